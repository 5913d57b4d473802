//! Planners' reports. Each report is a plain struct computed by a pure function from the
//! records (so SQLite and PostgreSQL give identical output), then rendered as JSON, CSV or
//! a self-contained HTML page with inline SVG charts.

pub mod blind_spots;
mod html;
pub mod progress;
mod svg;

use crate::error::InventoryError;
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

pub use blind_spots::{BlindSpotReport, DEFAULT_RADIUS_M};
pub use progress::ProgressReport;

/// Output format of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Json,
    Csv,
    Html,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Html => "text/html; charset=utf-8",
        }
    }
}

impl FromStr for Format {
    type Err = InventoryError;
    fn from_str(s: &str) -> Result<Self, InventoryError> {
        match s {
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            "html" => Ok(Format::Html),
            other => Err(InventoryError::invalid(
                "format",
                format!("{other:?} is not one of json, csv, html"),
            )),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Html => "html",
        })
    }
}

/// A status (or category) and how many records have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusCount {
    pub status: String,
    pub count: i64,
}

/// `built / target` to four decimals (1.1370), `None` without a target.
pub(crate) fn ratio(built: i64, target: i64) -> Option<f64> {
    (target > 0).then(|| round_to(built as f64 / target as f64, 4))
}

/// The same as a percentage with one decimal (113.7).
pub(crate) fn percent(built: i64, target: i64) -> Option<f64> {
    (target > 0).then(|| round_to(100.0 * built as f64 / target as f64, 1))
}

pub(crate) fn round_to(x: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (x * f).round() / f
}

/// `13693` → `13,693`, the way the published figures are written.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `Some(113.7)` → `113.7 %`, `None` → `–`.
pub fn percent_text(p: Option<f64>) -> String {
    p.map_or_else(|| "–".to_string(), |p| format!("{p:.1} %"))
}

fn json<T: Serialize>(value: &T) -> String {
    // Serializing plain structs of strings and numbers cannot fail; NaN never gets in
    // because ratios are only computed with a positive denominator.
    serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_print_like_the_published_ones() {
        assert_eq!(thousands(13693), "13,693");
        assert_eq!(thousands(2041), "2,041");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(-1234567), "-1,234,567");
        assert_eq!(percent_text(percent(2041, 1795)), "113.7 %");
        assert_eq!(ratio(2041, 1795), Some(1.137));
        assert_eq!(ratio(1, 0), None);
    }
}
