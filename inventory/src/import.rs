//! CSV import: parse and validate the whole file first, then write it in one transaction.
//! A file with any bad row is refused whole, with every bad row listed as
//! `FILE:LINE: field: reason`, and nothing is written.

use crate::date::Date;
use crate::error::{InventoryError, Result};
use crate::model::{BlindSpot, Problem, Site, Target};
use crate::store::{Store, UpsertSummary};
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::HashMap;
use std::fmt;
use std::io::{IsTerminal, Read};
use std::net::IpAddr;
use std::path::Path;
use std::str::FromStr;

/// What a CSV file holds; each kind has exactly these header columns, in any order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    Sites,
    Targets,
    BlindSpots,
}

impl ImportKind {
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            ImportKind::Sites => &[
                "site_id",
                "name",
                "town",
                "operator",
                "lat",
                "lon",
                "status",
                "planned_year",
                "on_air_date",
                "mgmt_ip",
            ],
            ImportKind::Targets => &["town", "year", "target"],
            ImportKind::BlindSpots => &[
                "spot_id",
                "town",
                "lat",
                "lon",
                "category",
                "reported_date",
                "status",
                "resolved_date",
            ],
        }
    }

    pub fn noun(self) -> &'static str {
        match self {
            ImportKind::Sites => "sites",
            ImportKind::Targets => "targets",
            ImportKind::BlindSpots => "blind spots",
        }
    }
}

/// One complaint about one line of a CSV file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub file: String,
    pub line: u64,
    pub field: String,
    pub reason: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.file, self.line, self.field, self.reason
        )
    }
}

impl RowError {
    pub fn join(errors: &[RowError]) -> String {
        errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// The validated content of a file.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    Sites(Vec<Site>),
    Targets(Vec<Target>),
    BlindSpots(Vec<BlindSpot>),
}

impl Parsed {
    pub fn len(&self) -> usize {
        match self {
            Parsed::Sites(v) => v.len(),
            Parsed::Targets(v) => v.len(),
            Parsed::BlindSpots(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One row's fields by column name, collecting parse problems as it goes.
struct Row<'a> {
    record: &'a csv::StringRecord,
    index: &'a HashMap<&'static str, usize>,
    problems: Vec<Problem>,
}

impl<'a> Row<'a> {
    fn text(&self, col: &'static str) -> &'a str {
        self.index
            .get(col)
            .and_then(|&i| self.record.get(i))
            .unwrap_or("")
            .trim()
    }

    fn required<T: FromStr>(&mut self, col: &'static str, what: &str) -> Option<T> {
        let s = self.text(col);
        if s.is_empty() {
            self.problems.push((col, "must not be empty".into()));
            return None;
        }
        match s.parse() {
            Ok(v) => Some(v),
            Err(_) => {
                self.problems.push((col, format!("{s:?} is not {what}")));
                None
            }
        }
    }

    /// Enums and dates explain themselves in their `FromStr` error.
    fn described<T: FromStr<Err = String>>(&mut self, col: &'static str) -> Option<T> {
        let s = self.text(col);
        if s.is_empty() {
            self.problems.push((col, "must not be empty".into()));
            return None;
        }
        s.parse().map_err(|e| self.problems.push((col, e))).ok()
    }

    fn optional_date(&mut self, col: &'static str) -> Option<Option<Date>> {
        let s = self.text(col);
        if s.is_empty() {
            return Some(None);
        }
        s.parse()
            .map(Some)
            .map_err(|e| self.problems.push((col, e)))
            .ok()
    }

    fn optional_ip(&mut self, col: &'static str) -> Option<Option<IpAddr>> {
        let s = self.text(col);
        if s.is_empty() {
            return Some(None);
        }
        match s.parse() {
            Ok(ip) => Some(Some(ip)),
            Err(_) => {
                self.problems
                    .push((col, format!("{s:?} is not an IPv4 or IPv6 address")));
                None
            }
        }
    }

    fn site(&mut self) -> Option<Site> {
        let lat = self.required("lat", "a number");
        let lon = self.required("lon", "a number");
        let status = self.described("status");
        let planned_year = self.required("planned_year", "a year");
        let on_air_date = self.optional_date("on_air_date");
        let mgmt_ip = self.optional_ip("mgmt_ip");
        Some(Site {
            site_id: self.text("site_id").to_string(),
            name: self.text("name").to_string(),
            town: self.text("town").to_string(),
            operator: self.text("operator").to_string(),
            lat: lat?,
            lon: lon?,
            status: status?,
            planned_year: planned_year?,
            on_air_date: on_air_date?,
            mgmt_ip: mgmt_ip?,
        })
    }

    fn target(&mut self) -> Option<Target> {
        let year = self.required("year", "a year");
        let target = self.required("target", "a whole number");
        Some(Target {
            town: self.text("town").to_string(),
            year: year?,
            target: target?,
        })
    }

    fn blind_spot(&mut self) -> Option<BlindSpot> {
        let lat = self.required("lat", "a number");
        let lon = self.required("lon", "a number");
        let category = self.described("category");
        let reported_date = self.described("reported_date");
        let status = self.described("status");
        let resolved_date = self.optional_date("resolved_date");
        Some(BlindSpot {
            spot_id: self.text("spot_id").to_string(),
            town: self.text("town").to_string(),
            lat: lat?,
            lon: lon?,
            category: category?,
            reported_date: reported_date?,
            status: status?,
            resolved_date: resolved_date?,
        })
    }
}

/// Checks the header: every expected column once, nothing else.
fn header_index(
    kind: ImportKind,
    header: &csv::StringRecord,
    err: &mut dyn FnMut(u64, &str, String),
) -> Option<HashMap<&'static str, usize>> {
    let mut index = HashMap::new();
    let mut ok = true;
    for (i, raw) in header.iter().enumerate() {
        // Spreadsheets on Windows start UTF-8 files with a byte-order mark.
        let name = raw.trim().trim_start_matches('\u{feff}');
        match kind.columns().iter().find(|c| **c == name) {
            Some(col) if index.contains_key(col) => {
                err(1, "header", format!("column {name:?} appears twice"));
                ok = false;
            }
            Some(col) => {
                index.insert(*col, i);
            }
            None => {
                err(
                    1,
                    "header",
                    format!(
                        "unexpected column {name:?} (expected: {})",
                        kind.columns().join(",")
                    ),
                );
                ok = false;
            }
        }
    }
    for col in kind.columns() {
        if !index.contains_key(col) {
            err(1, "header", format!("missing column {col:?}"));
            ok = false;
        }
    }
    ok.then_some(index)
}

/// Parses and validates a whole CSV file. `file` is the name used in messages.
pub fn parse_csv(
    kind: ImportKind,
    file: &str,
    input: impl Read,
) -> std::result::Result<Parsed, Vec<RowError>> {
    let mut errors: Vec<RowError> = Vec::new();
    let mut err = |line: u64, field: &str, reason: String| {
        errors.push(RowError {
            file: file.to_string(),
            line,
            field: field.to_string(),
            reason,
        });
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(input);
    let mut records = reader.byte_records();

    let header = match records.next() {
        None => {
            err(1, "header", "file is empty".into());
            return Err(errors);
        }
        Some(Err(e)) => {
            err(1, "header", e.to_string());
            return Err(errors);
        }
        Some(Ok(h)) => match csv::StringRecord::from_byte_record(h) {
            Ok(h) => h,
            Err(_) => {
                err(1, "header", "not valid UTF-8".into());
                return Err(errors);
            }
        },
    };
    let Some(index) = header_index(kind, &header, &mut err) else {
        return Err(errors);
    };

    let mut parsed = match kind {
        ImportKind::Sites => Parsed::Sites(Vec::new()),
        ImportKind::Targets => Parsed::Targets(Vec::new()),
        ImportKind::BlindSpots => Parsed::BlindSpots(Vec::new()),
    };
    let mut first_line_of: HashMap<String, u64> = HashMap::new();
    for result in records {
        let record = match result {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                err(line, "row", e.to_string());
                break;
            }
        };
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let Ok(record) = csv::StringRecord::from_byte_record(record) else {
            err(line, "row", "not valid UTF-8".into());
            continue;
        };
        if record.len() != header.len() {
            err(
                line,
                "row",
                format!(
                    "has {} fields, the header has {}",
                    record.len(),
                    header.len()
                ),
            );
            continue;
        }
        let mut row = Row {
            record: &record,
            index: &index,
            problems: Vec::new(),
        };
        let (key_field, key) = match &mut parsed {
            Parsed::Sites(v) => {
                if let Some(site) = row.site() {
                    row.problems.extend(site.problems());
                    v.push(site);
                }
                ("site_id", row.text("site_id").to_string())
            }
            Parsed::Targets(v) => {
                if let Some(t) = row.target() {
                    row.problems.extend(t.problems());
                    v.push(t);
                }
                (
                    "year",
                    format!("{}\u{0}{}", row.text("town"), row.text("year")),
                )
            }
            Parsed::BlindSpots(v) => {
                if let Some(s) = row.blind_spot() {
                    row.problems.extend(s.problems());
                    v.push(s);
                }
                ("spot_id", row.text("spot_id").to_string())
            }
        };
        if !key.is_empty() {
            if let Some(first) = first_line_of.get(&key) {
                let what = if kind == ImportKind::Targets {
                    format!("duplicate town and year, first on line {first}")
                } else {
                    format!("duplicate of line {first}")
                };
                row.problems.push((key_field, what));
            } else {
                first_line_of.insert(key, line);
            }
        }
        // Report each field once, in column order, so messages are stable.
        let mut problems = std::mem::take(&mut row.problems);
        problems.sort_by_key(|(field, _)| {
            kind.columns()
                .iter()
                .position(|c| c == field)
                .unwrap_or(usize::MAX)
        });
        problems.dedup_by(|a, b| a.0 == b.0);
        for (field, reason) in problems {
            err(line, field, reason);
        }
    }
    if errors.is_empty() {
        Ok(parsed)
    } else {
        Err(errors)
    }
}

/// How an import runs.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Who is recorded in the status history.
    pub changed_by: String,
    /// Draw a progress bar on stderr (only if stderr is a terminal).
    pub progress: bool,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            changed_by: "import".into(),
            progress: false,
        }
    }
}

/// A progress bar for `len` rows, or a hidden one when stderr is not a terminal (CI logs,
/// pipes) so nothing but the result lands there.
pub fn progress_bar(len: u64, what: &str, wanted: bool) -> ProgressBar {
    if !wanted || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template(
        "{msg} [{bar:40}] {human_pos}/{human_len} rows ({elapsed}, eta {eta})",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(format!("importing {what}"));
    bar
}

/// Reads, validates and writes one CSV file. Refused whole on any bad row.
pub async fn import_file(
    store: &Store,
    kind: ImportKind,
    path: &Path,
    options: &ImportOptions,
) -> Result<UpsertSummary> {
    let label = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|source| InventoryError::Io {
        path: label.clone(),
        source,
    })?;
    let parsed = parse_csv(kind, &label, std::io::BufReader::new(file)).map_err(|errors| {
        InventoryError::Refused {
            file: label.clone(),
            errors,
        }
    })?;
    import_parsed(store, &parsed, options).await
}

/// Writes already-validated records (one transaction).
pub async fn import_parsed(
    store: &Store,
    parsed: &Parsed,
    options: &ImportOptions,
) -> Result<UpsertSummary> {
    let by = options.changed_by.as_str();
    let summary = match parsed {
        Parsed::Sites(v) => {
            let bar = progress_bar(v.len() as u64, "sites", options.progress);
            let s = store.upsert_sites(v, by, &bar).await;
            bar.finish_and_clear();
            s
        }
        Parsed::Targets(v) => {
            let bar = progress_bar(v.len() as u64, "targets", options.progress);
            let s = store.upsert_targets(v, &bar).await;
            bar.finish_and_clear();
            s
        }
        Parsed::BlindSpots(v) => {
            let bar = progress_bar(v.len() as u64, "blind spots", options.progress);
            let s = store.upsert_blind_spots(v, by, &bar).await;
            bar.finish_and_clear();
            s
        }
    }?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(kind: ImportKind, csv: &str) -> Vec<String> {
        match parse_csv(kind, "f.csv", csv.as_bytes()) {
            Ok(p) => panic!("accepted: {p:?}"),
            Err(e) => e.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn header_rules() {
        assert_eq!(
            errors(ImportKind::Targets, "town,year\n市桥街,2023\n"),
            vec!["f.csv:1: header: missing column \"target\""]
        );
        assert_eq!(
            errors(ImportKind::Targets, "town,year,target,extra\n"),
            vec!["f.csv:1: header: unexpected column \"extra\" (expected: town,year,target)"]
        );
        assert_eq!(
            errors(ImportKind::Targets, ""),
            vec!["f.csv:1: header: file is empty"]
        );
    }

    #[test]
    fn columns_in_any_order_and_bom() {
        let p = parse_csv(
            ImportKind::Targets,
            "f.csv",
            "\u{feff}target,town,year\n120,市桥街,2023\n".as_bytes(),
        );
        assert_eq!(
            p,
            Ok(Parsed::Targets(vec![Target {
                town: "市桥街".into(),
                year: 2023,
                target: 120
            }]))
        );
    }

    #[test]
    fn every_bad_row_is_listed() {
        let csv = "spot_id,town,lat,lon,category,reported_date,status,resolved_date\n\
                   B1,沙湾街,22.9,113.3,rural,2023-01-05,reported,\n\
                   B2,沙湾街,north,113.3,farm,2023-01-05,resolved,\n\
                   B1,沙湾街,22.9,113.3,rural,2023-02-30,reported,\n\
                   B4,沙湾街,22.9,113.3,rural,2023-03-01,verified,2023-02-01\n\
                   B5,沙湾街,22.9\n";
        assert_eq!(
            errors(ImportKind::BlindSpots, csv),
            vec![
                "f.csv:3: lat: \"north\" is not a number",
                "f.csv:3: category: unknown value \"farm\" (expected one of: enterprise, residential, transport, public_service, rural)",
                "f.csv:4: spot_id: duplicate of line 2",
                "f.csv:4: reported_date: \"2023-02-30\" is not a calendar date",
                "f.csv:5: resolved_date: 2023-02-01 is before reported_date 2023-03-01",
                "f.csv:6: row: has 3 fields, the header has 8",
            ]
        );
    }
}
