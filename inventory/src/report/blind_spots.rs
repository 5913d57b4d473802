//! Blind spots: counts by status, category and town, what was resolved in the year, the
//! age of what is still open, and a coverage check that finds, for each open spot, the
//! nearest live site and whether a site came on air near it after it was reported
//! ("likely fixed — verify on site").
//!
//! The report is "as of" the end of the year asked for, or today for the current year:
//! a spot counts when reported by then, and is open then unless it was resolved by then.

use super::{StatusCount, html, json, svg, thousands};
use crate::date::Date;
use crate::error::Result;
use crate::geo::{PointIndex, haversine_m};
use crate::model::{BlindSpot, Site, SpotCategory, SpotStatus};
use serde::Serialize;
use std::collections::BTreeMap;

/// How close (metres) a site that came on air after a report must be to call the spot
/// likely fixed: about one urban 5G cell radius.
pub const DEFAULT_RADIUS_M: f64 = 300.0;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BlindSpotReport {
    pub year: i32,
    pub as_of: Date,
    pub radius_m: f64,
    /// Spots reported by `as_of`.
    pub total: i64,
    pub reported_in_year: i64,
    pub resolved_in_year: i64,
    pub open: i64,
    pub likely_fixed: i64,
    /// Current status of the spots reported by `as_of`.
    pub by_status: Vec<StatusCount>,
    pub by_category: Vec<CategoryCount>,
    pub by_town: Vec<TownSpots>,
    pub ageing: Vec<AgeBucket>,
    /// Open spots, likely-fixed first, then oldest first.
    pub open_spots: Vec<OpenSpot>,
    /// (lat, lon, open) of every counted spot, for the HTML map.
    #[serde(skip)]
    map: Vec<(f64, f64, bool)>,
    /// Each town's name at the centre of its spots, for the HTML map.
    #[serde(skip)]
    town_centres: Vec<(String, f64, f64)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CategoryCount {
    pub category: String,
    pub total: i64,
    pub open: i64,
    pub resolved_in_year: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TownSpots {
    pub town: String,
    pub total: i64,
    pub open: i64,
    pub resolved_in_year: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgeBucket {
    pub label: String,
    pub min_days: i64,
    /// `None` for the open-ended last bucket.
    pub max_days: Option<i64>,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpenSpot {
    pub spot_id: String,
    pub town: String,
    pub category: SpotCategory,
    pub status: SpotStatus,
    pub reported_date: Date,
    pub age_days: i64,
    pub nearest_site_id: Option<String>,
    pub nearest_site_name: Option<String>,
    /// Metres, rounded to the metre.
    pub nearest_distance_m: Option<f64>,
    pub likely_fixed: bool,
    /// The nearest site that came on air after the report, within the radius.
    pub likely_fixed_by: Option<String>,
    pub likely_fixed_distance_m: Option<f64>,
}

const AGE_BUCKETS: &[(&str, i64, Option<i64>)] = &[
    ("0–30 days", 0, Some(30)),
    ("31–90 days", 31, Some(90)),
    ("91–180 days", 91, Some(180)),
    ("181–365 days", 181, Some(365)),
    ("over a year", 366, None),
];

impl BlindSpotReport {
    /// `today` decides `as_of` for the current year (passed in so tests are repeatable).
    pub fn compute(
        year: i32,
        radius_m: f64,
        today: Date,
        spots: &[BlindSpot],
        sites: &[Site],
    ) -> Self {
        let as_of = if year < today.year() {
            Date::end_of_year(year)
        } else {
            today
        };
        let live: Vec<&Site> = sites
            .iter()
            .filter(|s| s.status.is_live() && s.on_air_date.is_some_and(|d| d <= as_of))
            .collect();
        let index = PointIndex::new(&live.iter().map(|s| (s.lat, s.lon)).collect::<Vec<_>>());

        let mut by_status: BTreeMap<SpotStatus, i64> = BTreeMap::new();
        let mut by_category: BTreeMap<SpotCategory, CategoryCount> = BTreeMap::new();
        let mut by_town: BTreeMap<&str, TownSpots> = BTreeMap::new();
        let mut ageing = vec![0i64; AGE_BUCKETS.len()];
        let mut open_spots = Vec::new();
        let mut map = Vec::new();
        let mut centres: BTreeMap<&str, (f64, f64, f64)> = BTreeMap::new();
        let (mut total, mut reported_in_year, mut resolved_in_year) = (0, 0, 0);

        for spot in spots.iter().filter(|s| s.reported_date <= as_of) {
            total += 1;
            let resolved_then =
                spot.status.is_resolved() && spot.resolved_date.is_some_and(|d| d <= as_of);
            let resolved_this_year =
                spot.status.is_resolved() && spot.resolved_date.is_some_and(|d| d.year() == year);
            let open = !resolved_then;
            reported_in_year += i64::from(spot.reported_date.year() == year);
            resolved_in_year += i64::from(resolved_this_year);
            *by_status.entry(spot.status).or_default() += 1;
            let cat = by_category
                .entry(spot.category)
                .or_insert_with(|| CategoryCount {
                    category: spot.category.as_str().to_string(),
                    total: 0,
                    open: 0,
                    resolved_in_year: 0,
                });
            cat.total += 1;
            cat.open += i64::from(open);
            cat.resolved_in_year += i64::from(resolved_this_year);
            let town = by_town.entry(&spot.town).or_insert_with(|| TownSpots {
                town: spot.town.clone(),
                total: 0,
                open: 0,
                resolved_in_year: 0,
            });
            town.total += 1;
            town.open += i64::from(open);
            town.resolved_in_year += i64::from(resolved_this_year);
            map.push((spot.lat, spot.lon, open));
            let c = centres.entry(&spot.town).or_default();
            *c = (c.0 + spot.lat, c.1 + spot.lon, c.2 + 1.0);
            if !open {
                continue;
            }
            let age = as_of.days_after(spot.reported_date);
            if let Some(b) = AGE_BUCKETS
                .iter()
                .position(|(_, lo, hi)| age >= *lo && hi.is_none_or(|hi| age <= hi))
            {
                ageing[b] += 1;
            }
            open_spots.push(coverage(spot, age, radius_m, &live, &index));
        }
        open_spots.sort_by(|a, b| {
            b.likely_fixed
                .cmp(&a.likely_fixed)
                .then(b.age_days.cmp(&a.age_days))
                .then(a.spot_id.cmp(&b.spot_id))
        });

        BlindSpotReport {
            year,
            as_of,
            radius_m,
            total,
            reported_in_year,
            resolved_in_year,
            open: open_spots.len() as i64,
            likely_fixed: open_spots.iter().filter(|s| s.likely_fixed).count() as i64,
            by_status: SpotStatus::ALL
                .iter()
                .map(|s| StatusCount {
                    status: s.as_str().to_string(),
                    count: by_status.get(s).copied().unwrap_or(0),
                })
                .collect(),
            by_category: SpotCategory::ALL
                .iter()
                .map(|c| {
                    by_category.remove(c).unwrap_or_else(|| CategoryCount {
                        category: c.as_str().to_string(),
                        total: 0,
                        open: 0,
                        resolved_in_year: 0,
                    })
                })
                .collect(),
            by_town: by_town.into_values().collect(),
            ageing: AGE_BUCKETS
                .iter()
                .zip(ageing)
                .map(|((label, lo, hi), count)| AgeBucket {
                    label: (*label).to_string(),
                    min_days: *lo,
                    max_days: *hi,
                    count,
                })
                .collect(),
            open_spots,
            map,
            town_centres: centres
                .into_iter()
                .map(|(t, (lat, lon, n))| (t.to_string(), lat / n, lon / n))
                .collect(),
        }
    }

    pub fn to_json(&self) -> String {
        json(self)
    }

    /// One row per open spot with its coverage check: the spreadsheet planners work from.
    pub fn to_csv(&self) -> Result<String> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([
            "spot_id",
            "town",
            "category",
            "status",
            "reported_date",
            "age_days",
            "nearest_site_id",
            "nearest_distance_m",
            "likely_fixed",
            "likely_fixed_by",
            "likely_fixed_distance_m",
        ])?;
        let num = |v: Option<f64>| v.map(|v| format!("{v:.0}")).unwrap_or_default();
        for s in &self.open_spots {
            w.write_record([
                s.spot_id.as_str(),
                &s.town,
                s.category.as_str(),
                s.status.as_str(),
                &s.reported_date.to_string(),
                &s.age_days.to_string(),
                s.nearest_site_id.as_deref().unwrap_or(""),
                &num(s.nearest_distance_m),
                if s.likely_fixed { "yes" } else { "no" },
                s.likely_fixed_by.as_deref().unwrap_or(""),
                &num(s.likely_fixed_distance_m),
            ])?;
        }
        super::progress::csv_string(w)
    }

    pub fn to_html(&self) -> String {
        let y = self.year;
        let mut b = String::new();
        b.push_str(&format!(
            "<h1>Signal blind spots {y}</h1>\n<p class=\"sub\">As of {}; coverage check radius {} m \
             (an open spot with a site that came on air after it was reported, within the radius, \
             is likely fixed — verify on site).</p>\n<div class=\"kpis\">\n",
            self.as_of, self.radius_m
        ));
        b.push_str(&html::kpi(
            "total",
            &format!("Reported by {}", self.as_of),
            &thousands(self.total),
        ));
        b.push_str(&html::kpi(
            "resolved-in-year",
            &format!("Resolved in {y}"),
            &thousands(self.resolved_in_year),
        ));
        b.push_str(&html::kpi("open", "Open", &thousands(self.open)));
        b.push_str(&html::kpi(
            "likely-fixed",
            "Likely fixed — verify",
            &thousands(self.likely_fixed),
        ));
        b.push_str("</div>\n<h2>Map</h2>\n");
        let points: Vec<svg::MapPoint> = self
            .map
            .iter()
            .map(|&(lat, lon, open)| svg::MapPoint {
                lat,
                lon,
                class: usize::from(!open),
            })
            .collect();
        b.push_str(&svg::scatter(
            &points,
            &self.town_labels(),
            &[("open", "#cf222e"), ("resolved", "#8fbf9f")],
        ));

        b.push_str("<div class=\"grid\"><div>\n<h2>By current status</h2>\n<table><tbody>\n");
        for c in &self.by_status {
            b.push_str(&format!(
                "<tr><td>{}</td><td class=\"n\">{}</td></tr>\n",
                c.status,
                thousands(c.count)
            ));
        }
        b.push_str("</tbody></table>\n<h2>Ageing of open spots</h2>\n<table><tbody>\n");
        for a in &self.ageing {
            b.push_str(&format!(
                "<tr><td>{}</td><td class=\"n\">{}</td></tr>\n",
                html::escape(&a.label),
                thousands(a.count)
            ));
        }
        b.push_str("</tbody></table>\n</div><div>\n<h2>By category</h2>\n<table>\n<thead><tr><th>Category</th>\
                    <th class=\"n\">Total</th><th class=\"n\">Open</th>");
        b.push_str(&format!(
            "<th class=\"n\">Resolved in {y}</th></tr></thead><tbody>\n"
        ));
        for c in &self.by_category {
            b.push_str(&format!(
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
                c.category.replace('_', " "),
                thousands(c.total),
                thousands(c.open),
                thousands(c.resolved_in_year)
            ));
        }
        b.push_str(
            "</tbody></table>\n</div></div>\n<h2>By town</h2>\n<table>\n<thead><tr><th>Town</th>\
                    <th class=\"n\">Total</th><th class=\"n\">Open</th>",
        );
        b.push_str(&format!(
            "<th class=\"n\">Resolved in {y}</th></tr></thead><tbody>\n"
        ));
        for t in &self.by_town {
            b.push_str(&format!(
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
                html::escape(&t.town),
                thousands(t.total),
                thousands(t.open),
                thousands(t.resolved_in_year)
            ));
        }
        b.push_str(&format!(
            "<tr class=\"total\"><td>Total</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td></tr></tbody></table>\n",
            thousands(self.total),
            thousands(self.open),
            thousands(self.resolved_in_year)
        ));
        b.push_str("<h2>Coverage check of open spots</h2>\n<table>\n<thead><tr><th>Spot</th><th>Town</th>\
                    <th>Category</th><th>Status</th><th>Reported</th><th class=\"n\">Age (days)</th>\
                    <th>Nearest site</th><th class=\"n\">Distance (m)</th><th>Check</th></tr></thead><tbody>\n");
        for s in &self.open_spots {
            b.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td>\
                 <td>{}</td><td class=\"n\">{}</td><td>{}</td></tr>\n",
                html::escape(&s.spot_id),
                html::escape(&s.town),
                s.category.as_str().replace('_', " "),
                s.status,
                s.reported_date,
                s.age_days,
                html::escape(s.nearest_site_id.as_deref().unwrap_or("–")),
                s.nearest_distance_m
                    .map(|d| format!("{d:.0}"))
                    .unwrap_or_else(|| "–".into()),
                if s.likely_fixed {
                    format!(
                        "<span class=\"flag\">likely fixed — verify on site</span> ({})",
                        html::escape(s.likely_fixed_by.as_deref().unwrap_or(""))
                    )
                } else {
                    String::new()
                }
            ));
        }
        b.push_str("</tbody></table>\n");
        html::page(&format!("Signal blind spots {y}"), &b)
    }

    fn town_labels(&self) -> Vec<(String, f64, f64)> {
        self.town_centres.clone()
    }
}

fn coverage(
    spot: &BlindSpot,
    age_days: i64,
    radius_m: f64,
    live: &[&Site],
    index: &PointIndex,
) -> OpenSpot {
    let nearest = index.nearest(spot.lat, spot.lon).map(|i| live[i]);
    let fixer = index
        .within(spot.lat, spot.lon, radius_m)
        .into_iter()
        .map(|i| live[i])
        .filter(|s| s.on_air_date.is_some_and(|d| d >= spot.reported_date))
        .map(|s| (haversine_m(spot.lat, spot.lon, s.lat, s.lon), s))
        .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.site_id.cmp(&b.1.site_id)));
    OpenSpot {
        spot_id: spot.spot_id.clone(),
        town: spot.town.clone(),
        category: spot.category,
        status: spot.status,
        reported_date: spot.reported_date,
        age_days,
        nearest_site_id: nearest.map(|s| s.site_id.clone()),
        nearest_site_name: nearest.map(|s| s.name.clone()),
        nearest_distance_m: nearest.map(|s| haversine_m(spot.lat, spot.lon, s.lat, s.lon).round()),
        likely_fixed: fixer.is_some(),
        likely_fixed_by: fixer.map(|(_, s)| s.site_id.clone()),
        likely_fixed_distance_m: fixer.map(|(d, _)| d.round()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SiteStatus;

    fn d(s: &str) -> Date {
        s.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    fn site(id: &str, lat: f64, lon: f64, status: SiteStatus, on_air: &str) -> Site {
        Site {
            site_id: id.into(),
            name: id.into(),
            town: "石楼镇".into(),
            operator: "中国电信".into(),
            lat,
            lon,
            status,
            planned_year: 2023,
            on_air_date: Some(d(on_air)),
            mgmt_ip: None,
        }
    }

    fn spot(
        id: &str,
        lat: f64,
        reported: &str,
        status: SpotStatus,
        resolved: Option<&str>,
    ) -> BlindSpot {
        BlindSpot {
            spot_id: id.into(),
            town: "石楼镇".into(),
            lat,
            lon: 113.49,
            category: SpotCategory::Rural,
            reported_date: d(reported),
            status,
            resolved_date: resolved.map(d),
        }
    }

    #[test]
    fn as_of_end_of_year_and_coverage_check() {
        // 0.001° of latitude is ~111 m.
        let sites = vec![
            site("OLD", 22.9600, 113.49, SiteStatus::Accepted, "2022-01-01"),
            site("NEW", 22.9512, 113.49, SiteStatus::OnAir, "2023-06-01"),
            site(
                "GONE",
                22.9500,
                113.49,
                SiteStatus::Decommissioned,
                "2023-06-01",
            ),
            site("LATE", 22.9700, 113.49, SiteStatus::OnAir, "2024-02-01"),
        ];
        let spots = vec![
            // Open at the end of 2023; NEW (133 m, on air after the report) fixes it.
            spot("A", 22.9500, "2023-03-01", SpotStatus::Surveyed, None),
            // Resolved in 2024: open at the end of 2023; only OLD nearby, which predates it.
            spot(
                "B",
                22.9598,
                "2023-05-01",
                SpotStatus::Verified,
                Some("2024-03-01"),
            ),
            // Resolved in 2023.
            spot(
                "C",
                22.9300,
                "2023-01-01",
                SpotStatus::Resolved,
                Some("2023-02-01"),
            ),
            // Reported after the end of 2023: not in the 2023 report.
            spot("D", 22.9700, "2024-01-10", SpotStatus::Reported, None),
        ];
        let r = BlindSpotReport::compute(2023, 300.0, d("2025-01-01"), &spots, &sites);
        assert_eq!(r.as_of, d("2023-12-31"));
        assert_eq!(
            (r.total, r.open, r.resolved_in_year, r.likely_fixed),
            (3, 2, 1, 1)
        );
        let a = &r.open_spots[0];
        assert_eq!(a.spot_id, "A");
        assert_eq!(a.nearest_site_id.as_deref(), Some("NEW"));
        assert_eq!(a.likely_fixed_by.as_deref(), Some("NEW"));
        assert_eq!(a.nearest_distance_m, Some(133.0));
        assert_eq!(a.age_days, 305);
        let b = &r.open_spots[1];
        assert_eq!((b.spot_id.as_str(), b.likely_fixed), ("B", false));
        assert_eq!(b.nearest_site_id.as_deref(), Some("OLD"));
        assert_eq!(
            r.ageing.iter().map(|a| a.count).collect::<Vec<_>>(),
            vec![0, 0, 0, 2, 0]
        );

        // The current year is reported as of today, when LATE is on air and D is counted.
        let now = BlindSpotReport::compute(2024, 300.0, d("2024-06-30"), &spots, &sites);
        assert_eq!((now.total, now.open, now.resolved_in_year), (4, 2, 1));
        let d_spot = now
            .open_spots
            .iter()
            .find(|s| s.spot_id == "D")
            .map(|s| s.likely_fixed);
        assert_eq!(d_spot, Some(true));
    }
}
