//! Build progress against the yearly task, per town and in total.
//!
//! Definitions (from the inventory issue): a site is **built in year Y** when its
//! `on_air_date` falls in Y and its status is `on_air` or `accepted`; it is **in service**
//! at a date when built by then and not decommissioned (a decommissioned or suspended site
//! is not live, so it is in neither count). The pipeline is the sites not on air today
//! (planned, approved, under construction, powered, suspended).

use super::{StatusCount, html, json, percent, percent_text, ratio, svg, thousands};
use crate::date::Date;
use crate::error::Result;
use crate::model::{Site, SiteStatus, Target};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProgressReport {
    pub year: i32,
    pub target: i64,
    pub built: i64,
    /// `built / target`, four decimals; `null` when there is no target.
    pub completion_ratio: Option<f64>,
    /// The same in percent, one decimal (113.7).
    pub completion_percent: Option<f64>,
    pub in_service_end_of_year: i64,
    pub pipeline: Vec<StatusCount>,
    pub towns: Vec<TownProgress>,
    pub monthly: Vec<MonthPoint>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TownProgress {
    pub town: String,
    pub target: i64,
    pub built: i64,
    pub completion_ratio: Option<f64>,
    pub completion_percent: Option<f64>,
    /// 1 = highest completion; towns without a target are not ranked.
    pub rank: Option<u32>,
    pub in_service_end_of_year: i64,
    pub pipeline: Vec<StatusCount>,
}

/// One month of year Y: sites built that month, cumulative, and where an even pace
/// through the year would stand (target × month / 12).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthPoint {
    pub month: u8,
    pub built: i64,
    pub cumulative_built: i64,
    pub target_pace: f64,
}

const PIPELINE: &[SiteStatus] = &[
    SiteStatus::Planned,
    SiteStatus::Approved,
    SiteStatus::UnderConstruction,
    SiteStatus::Powered,
    SiteStatus::Suspended,
];

#[derive(Default)]
struct Tally {
    target: i64,
    built: i64,
    in_service: i64,
    pipeline: BTreeMap<SiteStatus, i64>,
}

fn pipeline_counts(p: &BTreeMap<SiteStatus, i64>) -> Vec<StatusCount> {
    PIPELINE
        .iter()
        .map(|s| StatusCount {
            status: s.as_str().to_string(),
            count: p.get(s).copied().unwrap_or(0),
        })
        .collect()
}

impl ProgressReport {
    /// Computes the report for `year` from all sites and all targets.
    pub fn compute(year: i32, sites: &[Site], targets: &[Target]) -> Self {
        let end = Date::end_of_year(year);
        let mut towns: BTreeMap<&str, Tally> = BTreeMap::new();
        let mut monthly = [0i64; 12];
        for t in targets.iter().filter(|t| t.year == year) {
            towns.entry(&t.town).or_default().target += t.target;
        }
        for s in sites {
            let tally = towns.entry(&s.town).or_default();
            if s.status.is_pipeline() {
                *tally.pipeline.entry(s.status).or_default() += 1;
            }
            let Some(on_air) = s.on_air_date.filter(|_| s.status.is_live()) else {
                continue;
            };
            if on_air <= end {
                tally.in_service += 1;
            }
            if on_air.year() == year {
                tally.built += 1;
                monthly[usize::from(on_air.month() - 1)] += 1;
            }
        }

        let mut rows: Vec<TownProgress> = towns
            .iter()
            .map(|(town, t)| TownProgress {
                town: (*town).to_string(),
                target: t.target,
                built: t.built,
                completion_ratio: ratio(t.built, t.target),
                completion_percent: percent(t.built, t.target),
                rank: None,
                in_service_end_of_year: t.in_service,
                pipeline: pipeline_counts(&t.pipeline),
            })
            .collect();
        // Rank by exact ratio (cross-multiplied, no float ties), ties share a rank.
        let by_ratio = |a: &TownProgress, b: &TownProgress| {
            (i128::from(b.built) * i128::from(a.target))
                .cmp(&(i128::from(a.built) * i128::from(b.target)))
        };
        rows.sort_by(|a, b| {
            (b.target > 0)
                .cmp(&(a.target > 0))
                .then_with(|| {
                    if a.target > 0 && b.target > 0 {
                        by_ratio(a, b)
                    } else {
                        std::cmp::Ordering::Equal
                    }
                })
                .then_with(|| b.built.cmp(&a.built))
                .then_with(|| a.town.cmp(&b.town))
        });
        let mut rank = 0;
        for i in 0..rows.len() {
            if rows[i].target <= 0 {
                break;
            }
            if i == 0 || by_ratio(&rows[i - 1], &rows[i]).is_ne() {
                rank = i as u32 + 1;
            }
            rows[i].rank = Some(rank);
        }

        let target: i64 = towns.values().map(|t| t.target).sum();
        let built: i64 = towns.values().map(|t| t.built).sum();
        let mut all_pipeline = BTreeMap::new();
        for t in towns.values() {
            for (s, n) in &t.pipeline {
                *all_pipeline.entry(*s).or_default() += n;
            }
        }
        let mut cumulative = 0;
        let monthly = (1..=12u8)
            .map(|m| {
                let b = monthly[usize::from(m - 1)];
                cumulative += b;
                MonthPoint {
                    month: m,
                    built: b,
                    cumulative_built: cumulative,
                    target_pace: super::round_to(target as f64 * f64::from(m) / 12.0, 1),
                }
            })
            .collect();
        ProgressReport {
            year,
            target,
            built,
            completion_ratio: ratio(built, target),
            completion_percent: percent(built, target),
            in_service_end_of_year: towns.values().map(|t| t.in_service).sum(),
            pipeline: pipeline_counts(&all_pipeline),
            towns: rows,
            monthly,
        }
    }

    pub fn to_json(&self) -> String {
        json(self)
    }

    /// One row per town (by rank) and a final `TOTAL` row.
    pub fn to_csv(&self) -> Result<String> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut header = vec![
            "town",
            "target",
            "built",
            "completion_ratio",
            "completion_percent",
            "rank",
            "in_service_end_of_year",
        ];
        header.extend(PIPELINE.iter().map(|s| s.as_str()));
        w.write_record(&header)?;
        let opt = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
        let mut write_row = |town: &str,
                             target: i64,
                             built: i64,
                             r: Option<f64>,
                             p: Option<f64>,
                             rank: String,
                             in_service: i64,
                             pipeline: &[StatusCount]|
         -> Result<()> {
            let mut rec = vec![
                town.to_string(),
                target.to_string(),
                built.to_string(),
                opt(r),
                opt(p),
                rank,
                in_service.to_string(),
            ];
            rec.extend(pipeline.iter().map(|c| c.count.to_string()));
            w.write_record(&rec)?;
            Ok(())
        };
        for t in &self.towns {
            write_row(
                &t.town,
                t.target,
                t.built,
                t.completion_ratio,
                t.completion_percent,
                t.rank.map(|r| r.to_string()).unwrap_or_default(),
                t.in_service_end_of_year,
                &t.pipeline,
            )?;
        }
        write_row(
            "TOTAL",
            self.target,
            self.built,
            self.completion_ratio,
            self.completion_percent,
            String::new(),
            self.in_service_end_of_year,
            &self.pipeline,
        )?;
        csv_string(w)
    }

    /// A self-contained page: headline figures, progress bar per town, cumulative build
    /// against target pace, and the table.
    pub fn to_html(&self) -> String {
        let y = self.year;
        let pipeline_total: i64 = self.pipeline.iter().map(|c| c.count).sum();
        let mut body = String::new();
        body.push_str(&format!(
            "<h1>5G build progress {y}</h1>\n<p class=\"sub\">Sites built in {y} (on air or \
             accepted, on-air date in {y}) against the yearly task, per town.</p>\n"
        ));
        body.push_str("<div class=\"kpis\">\n");
        body.push_str(&html::kpi(
            "built",
            &format!("Built in {y}"),
            &thousands(self.built),
        ));
        body.push_str(&html::kpi(
            "target",
            &format!("Target {y}"),
            &thousands(self.target),
        ));
        body.push_str(&html::kpi(
            "completion",
            "Completion",
            &percent_text(self.completion_percent),
        ));
        body.push_str(&html::kpi(
            "in-service",
            &format!("In service end of {y}"),
            &thousands(self.in_service_end_of_year),
        ));
        body.push_str(&html::kpi(
            "pipeline",
            "Pipeline now",
            &thousands(pipeline_total),
        ));
        body.push_str("</div>\n");
        body.push_str(&format!(
            "<p class=\"headline\" id=\"headline\">{} / {} = {} — {} sites in service at the end of {y}</p>\n",
            thousands(self.built),
            thousands(self.target),
            percent_text(self.completion_percent),
            thousands(self.in_service_end_of_year)
        ));

        body.push_str("<h2>Completion by town</h2>\n");
        let bars: Vec<svg::Bar> = self
            .towns
            .iter()
            .filter(|t| t.target > 0)
            .map(|t| svg::Bar {
                label: t.town.clone(),
                value: t.built as f64,
                goal: t.target as f64,
                text: format!(
                    "{} / {} ({})",
                    thousands(t.built),
                    thousands(t.target),
                    percent_text(t.completion_percent)
                ),
            })
            .collect();
        body.push_str(&svg::progress_bars(&bars));

        body.push_str(&format!(
            "<h2>Cumulative sites built in {y} vs target pace</h2>\n"
        ));
        let cumulative: Vec<f64> = self
            .monthly
            .iter()
            .map(|m| m.cumulative_built as f64)
            .collect();
        body.push_str(&svg::cumulative_line(&cumulative, self.target as f64));

        body.push_str("<h2>Towns</h2>\n<table>\n<thead><tr><th>Rank</th><th>Town</th>\
                       <th class=\"n\">Target</th><th class=\"n\">Built</th><th class=\"n\">Completion</th>\
                       <th class=\"n\">In service</th><th class=\"n\">Pipeline</th></tr></thead>\n<tbody>\n");
        for t in &self.towns {
            body.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
                 <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
                t.rank.map(|r| r.to_string()).unwrap_or_else(|| "–".into()),
                html::escape(&t.town),
                thousands(t.target),
                thousands(t.built),
                percent_text(t.completion_percent),
                thousands(t.in_service_end_of_year),
                thousands(t.pipeline.iter().map(|c| c.count).sum()),
            ));
        }
        body.push_str(&format!(
            "<tr class=\"total\" id=\"total-row\"><td></td><td>Total</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n</tbody>\n</table>\n",
            thousands(self.target),
            thousands(self.built),
            percent_text(self.completion_percent),
            thousands(self.in_service_end_of_year),
            thousands(pipeline_total),
        ));
        body.push_str("<h2>Pipeline now</h2>\n<p>");
        body.push_str(
            &self
                .pipeline
                .iter()
                .map(|c| format!("{}: {}", c.status.replace('_', " "), thousands(c.count)))
                .collect::<Vec<_>>()
                .join(" · "),
        );
        body.push_str("</p>\n");
        html::page(&format!("5G build progress {y}"), &body)
    }
}

pub(crate) fn csv_string(w: csv::Writer<Vec<u8>>) -> Result<String> {
    let bytes = w
        .into_inner()
        .map_err(|e| crate::error::InventoryError::CsvWrite(e.into_error().into()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(id: &str, town: &str, status: SiteStatus, on_air: Option<&str>) -> Site {
        Site {
            site_id: id.into(),
            name: id.into(),
            town: town.into(),
            operator: "中国移动".into(),
            lat: 22.9,
            lon: 113.3,
            status,
            planned_year: 2023,
            on_air_date: on_air.and_then(|d| d.parse().ok()),
            mgmt_ip: None,
        }
    }

    #[test]
    fn counts_follow_the_definitions() {
        use SiteStatus::*;
        let sites = vec![
            site("a", "市桥街", OnAir, Some("2023-03-01")),
            site("b", "市桥街", Accepted, Some("2023-12-31")),
            site("c", "市桥街", Decommissioned, Some("2023-05-01")),
            site("d", "市桥街", Accepted, Some("2021-05-01")),
            site("e", "市桥街", OnAir, Some("2024-01-01")),
            site("f", "沙湾街", Suspended, Some("2023-02-01")),
            site("g", "沙湾街", Planned, None),
            site("h", "沙湾街", OnAir, Some("2023-07-09")),
        ];
        let targets = vec![
            Target {
                town: "市桥街".into(),
                year: 2023,
                target: 2,
            },
            Target {
                town: "沙湾街".into(),
                year: 2023,
                target: 2,
            },
            Target {
                town: "沙湾街".into(),
                year: 2024,
                target: 9,
            },
        ];
        let r = ProgressReport::compute(2023, &sites, &targets);
        assert_eq!((r.target, r.built, r.in_service_end_of_year), (4, 3, 4));
        assert_eq!(r.completion_percent, Some(75.0));
        assert_eq!(r.towns[0].town, "市桥街");
        assert_eq!(r.towns[0].rank, Some(1));
        assert_eq!(r.towns[1].rank, Some(2));
        assert_eq!(r.towns[1].completion_ratio, Some(0.5));
        assert_eq!(r.monthly[2].built, 1);
        assert_eq!(r.monthly[11].cumulative_built, 3);
        assert_eq!(r.monthly[5].target_pace, 2.0);
        let planned: i64 = r.pipeline.iter().map(|c| c.count).sum();
        assert_eq!(planned, 2);
    }

    #[test]
    fn equal_ratios_share_a_rank() {
        let sites = vec![
            site("a", "A", SiteStatus::OnAir, Some("2023-01-01")),
            site("b", "B", SiteStatus::OnAir, Some("2023-01-01")),
            site("c", "B", SiteStatus::OnAir, Some("2023-01-01")),
        ];
        let targets = vec![
            Target {
                town: "A".into(),
                year: 2023,
                target: 1,
            },
            Target {
                town: "B".into(),
                year: 2023,
                target: 2,
            },
            Target {
                town: "C".into(),
                year: 2023,
                target: 5,
            },
        ];
        let r = ProgressReport::compute(2023, &sites, &targets);
        let ranks: Vec<_> = r.towns.iter().map(|t| (t.town.as_str(), t.rank)).collect();
        assert_eq!(ranks, vec![("B", Some(1)), ("A", Some(1)), ("C", Some(3))]);
    }
}
