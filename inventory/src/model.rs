//! The inventory's records (site, yearly target, blind spot), their status lifecycles and
//! the validation rules shared by CSV import and the HTTP API.

use crate::date::Date;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// Declares a status/category enum with its wire names (CSV, JSON, database), kept in
/// lifecycle order so reports list them in that order.
macro_rules! wire_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $wire)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($wire => Ok($name::$variant),)+
                    _ => Err(format!(
                        "unknown value {s:?} (expected one of: {})",
                        [$($wire),+].join(", ")
                    )),
                }
            }
        }
    };
}

wire_enum!(
    /// Where a 5G site is in its life: `planned → approved → under_construction → powered →
    /// on_air → accepted`, or set aside (`suspended`) or removed (`decommissioned`).
    SiteStatus {
        Planned = "planned",
        Approved = "approved",
        UnderConstruction = "under_construction",
        Powered = "powered",
        OnAir = "on_air",
        Accepted = "accepted",
        Suspended = "suspended",
        Decommissioned = "decommissioned",
    }
);

impl SiteStatus {
    /// On air or accepted: the site carries traffic and counts as built.
    pub fn is_live(self) -> bool {
        matches!(self, SiteStatus::OnAir | SiteStatus::Accepted)
    }

    /// Not yet on air: the build pipeline (suspended sites are reported with it).
    pub fn is_pipeline(self) -> bool {
        matches!(
            self,
            SiteStatus::Planned
                | SiteStatus::Approved
                | SiteStatus::UnderConstruction
                | SiteStatus::Powered
                | SiteStatus::Suspended
        )
    }
}

wire_enum!(
    /// A blind spot's life: `reported → surveyed → scheduled → resolved → verified`.
    SpotStatus {
        Reported = "reported",
        Surveyed = "surveyed",
        Scheduled = "scheduled",
        Resolved = "resolved",
        Verified = "verified",
    }
);

impl SpotStatus {
    pub fn is_resolved(self) -> bool {
        matches!(self, SpotStatus::Resolved | SpotStatus::Verified)
    }
}

wire_enum!(
    /// Who suffers from a blind spot.
    SpotCategory {
        Enterprise = "enterprise",
        Residential = "residential",
        Transport = "transport",
        PublicService = "public_service",
        Rural = "rural",
    }
);

/// A 5G base station.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Site {
    pub site_id: String,
    pub name: String,
    pub town: String,
    pub operator: String,
    pub lat: f64,
    pub lon: f64,
    pub status: SiteStatus,
    pub planned_year: i32,
    #[serde(default)]
    pub on_air_date: Option<Date>,
    #[serde(default)]
    pub mgmt_ip: Option<IpAddr>,
}

/// A town's build task for one year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub town: String,
    pub year: i32,
    pub target: i64,
}

/// A place where the public reported poor or no 5G signal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlindSpot {
    pub spot_id: String,
    pub town: String,
    pub lat: f64,
    pub lon: f64,
    pub category: SpotCategory,
    pub reported_date: Date,
    pub status: SpotStatus,
    #[serde(default)]
    pub resolved_date: Option<Date>,
}

/// One recorded status change of a site or blind spot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    pub id: String,
    pub seq: i64,
    pub from_status: Option<String>,
    pub to_status: String,
    /// UTC, `YYYY-MM-DDTHH:MM:SSZ`.
    pub changed_at: String,
    pub changed_by: String,
}

/// A (field, reason) complaint about one record.
pub type Problem = (&'static str, String);

/// Years a plan can sensibly mention; catches `23` and `20233` typos.
pub const YEARS: std::ops::RangeInclusive<i32> = 1990..=2100;

pub(crate) fn check_text(field: &'static str, value: &str, problems: &mut Vec<Problem>) {
    if value.trim().is_empty() {
        problems.push((field, "must not be empty".into()));
    }
}

pub(crate) fn check_coordinates(lat: f64, lon: f64, problems: &mut Vec<Problem>) {
    if !(lat.is_finite() && (-90.0..=90.0).contains(&lat)) {
        problems.push(("lat", format!("{lat} is outside -90..90")));
    }
    if !(lon.is_finite() && (-180.0..=180.0).contains(&lon)) {
        problems.push(("lon", format!("{lon} is outside -180..180")));
    }
}

pub(crate) fn check_year(field: &'static str, year: i32, problems: &mut Vec<Problem>) {
    if !YEARS.contains(&year) {
        problems.push((
            field,
            format!("{year} is outside {}..{}", YEARS.start(), YEARS.end()),
        ));
    }
}

impl Site {
    /// Rules that involve the record as a whole (field syntax is checked while parsing).
    pub fn problems(&self) -> Vec<Problem> {
        let mut p = Vec::new();
        check_text("site_id", &self.site_id, &mut p);
        check_text("name", &self.name, &mut p);
        check_text("town", &self.town, &mut p);
        check_text("operator", &self.operator, &mut p);
        check_coordinates(self.lat, self.lon, &mut p);
        check_year("planned_year", self.planned_year, &mut p);
        // Built-in-year counting hangs on the date: a live site without one would silently
        // drop out of every report.
        if self.status.is_live() && self.on_air_date.is_none() {
            p.push((
                "on_air_date",
                format!("required when status is {}", self.status),
            ));
        }
        p
    }
}

impl Target {
    pub fn problems(&self) -> Vec<Problem> {
        let mut p = Vec::new();
        check_text("town", &self.town, &mut p);
        check_year("year", self.year, &mut p);
        if self.target < 0 {
            p.push(("target", format!("{} is negative", self.target)));
        }
        p
    }
}

impl BlindSpot {
    pub fn problems(&self) -> Vec<Problem> {
        let mut p = Vec::new();
        check_text("spot_id", &self.spot_id, &mut p);
        check_text("town", &self.town, &mut p);
        check_coordinates(self.lat, self.lon, &mut p);
        match (self.status.is_resolved(), self.resolved_date) {
            (true, None) => p.push((
                "resolved_date",
                format!("required when status is {}", self.status),
            )),
            (_, Some(r)) if r < self.reported_date => p.push((
                "resolved_date",
                format!("{r} is before reported_date {}", self.reported_date),
            )),
            _ => {}
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip() {
        for s in SiteStatus::ALL {
            assert_eq!(s.as_str().parse::<SiteStatus>(), Ok(*s));
        }
        assert_eq!(
            "on-air".parse::<SiteStatus>().unwrap_err(),
            "unknown value \"on-air\" (expected one of: planned, approved, under_construction, powered, on_air, accepted, suspended, decommissioned)"
        );
        assert_eq!(
            serde_json::to_string(&SpotCategory::PublicService).ok(),
            Some("\"public_service\"".into())
        );
    }

    #[test]
    fn live_site_needs_on_air_date() {
        let site = Site {
            site_id: "S1".into(),
            name: "市桥街移动1号".into(),
            town: "市桥街".into(),
            operator: "中国移动".into(),
            lat: 22.9,
            lon: 113.3,
            status: SiteStatus::OnAir,
            planned_year: 2023,
            on_air_date: None,
            mgmt_ip: None,
        };
        assert_eq!(
            site.problems(),
            vec![("on_air_date", "required when status is on_air".to_string())]
        );
    }
}
