//! A deterministic, made-up district consistent with the published 2023 figures, for
//! tests and the demo: 16 towns, targets for 2022–2024 (2023 sums to 1,795), sites from
//! 2019 on (2,041 built in 2023, 13,693 in service at the end of 2023, some decommissioned
//! or suspended, more built in 2024, a pipeline of planned/approved/under-construction/
//! powered sites), and blind spots (233 resolved in 2023, some still open).
//!
//! The seed moves coordinates, names, dates and operators; the published totals hold for
//! every seed. Management addresses are loopback (127.23.x.y, ::1) on purpose, so a demo
//! daemon probing them never sends traffic off the machine.

use crate::date::{Date, days_in_month};
use crate::model::{BlindSpot, Site, SiteStatus, SpotCategory, SpotStatus, Target};
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

/// The district's published 2023 figures.
pub mod published {
    pub const YEAR: i32 = 2023;
    pub const BUILT: i64 = 2_041;
    pub const TARGET: i64 = 1_795;
    pub const COMPLETION_PERCENT: f64 = 113.7;
    pub const IN_SERVICE_END_OF_YEAR: i64 = 13_693;
    pub const BLIND_SPOTS_RESOLVED: i64 = 233;
}

/// A town (街道/镇) with its approximate centre.
#[derive(Debug, Clone, Copy)]
pub struct Town {
    pub name: &'static str,
    pub lat: f64,
    pub lon: f64,
    pub target_2023: i64,
    pub built_2023: i64,
}

/// Targets sum to 1,795 and built to 2,041; every town's ratio differs, so ranks are
/// unambiguous.
pub const TOWNS: [Town; 16] = [
    Town {
        name: "市桥街",
        lat: 22.945,
        lon: 113.365,
        target_2023: 150,
        built_2023: 182,
    },
    Town {
        name: "沙头街",
        lat: 22.925,
        lon: 113.345,
        target_2023: 110,
        built_2023: 118,
    },
    Town {
        name: "东环街",
        lat: 22.955,
        lon: 113.395,
        target_2023: 120,
        built_2023: 131,
    },
    Town {
        name: "桥南街",
        lat: 22.922,
        lon: 113.378,
        target_2023: 95,
        built_2023: 99,
    },
    Town {
        name: "钟村街",
        lat: 23.010,
        lon: 113.315,
        target_2023: 125,
        built_2023: 150,
    },
    Town {
        name: "石壁街",
        lat: 23.000,
        lon: 113.283,
        target_2023: 105,
        built_2023: 108,
    },
    Town {
        name: "大石街",
        lat: 23.027,
        lon: 113.322,
        target_2023: 140,
        built_2023: 171,
    },
    Town {
        name: "洛浦街",
        lat: 23.047,
        lon: 113.290,
        target_2023: 110,
        built_2023: 125,
    },
    Town {
        name: "南村镇",
        lat: 23.000,
        lon: 113.370,
        target_2023: 160,
        built_2023: 190,
    },
    Town {
        name: "新造镇",
        lat: 23.038,
        lon: 113.423,
        target_2023: 90,
        built_2023: 86,
    },
    Town {
        name: "化龙镇",
        lat: 23.022,
        lon: 113.472,
        target_2023: 100,
        built_2023: 119,
    },
    Town {
        name: "石楼镇",
        lat: 22.958,
        lon: 113.492,
        target_2023: 95,
        built_2023: 104,
    },
    Town {
        name: "石碁镇",
        lat: 22.953,
        lon: 113.440,
        target_2023: 120,
        built_2023: 139,
    },
    Town {
        name: "沙湾街",
        lat: 22.903,
        lon: 113.330,
        target_2023: 80,
        built_2023: 92,
    },
    Town {
        name: "小谷围街",
        lat: 23.060,
        lon: 113.392,
        target_2023: 105,
        built_2023: 131,
    },
    Town {
        name: "大龙街",
        lat: 22.972,
        lon: 113.418,
        target_2023: 90,
        built_2023: 96,
    },
];

/// Sites built before 2023 and still in service: 13,693 − 2,041.
const EARLIER_BUILT: [(i32, i64); 4] = [(2019, 1_800), (2020, 2_900), (2021, 3_300), (2022, 3_652)];
const BUILT_2024: i64 = 1_500;
const DECOMMISSIONED: i64 = 160;
const SUSPENDED: i64 = 25;
const PIPELINE: [(SiteStatus, i64); 4] = [
    (SiteStatus::Planned, 300),
    (SiteStatus::Approved, 220),
    (SiteStatus::UnderConstruction, 400),
    (SiteStatus::Powered, 90),
];
/// Construction speeds up through the year; relative weight of each month.
const MONTH_WEIGHTS: [u32; 12] = [4, 5, 7, 7, 8, 9, 9, 10, 10, 10, 10, 11];
const OPERATORS: [(&str, &str, u32); 4] = [
    ("中国移动", "移动", 45),
    ("中国电信", "电信", 25),
    ("中国联通", "联通", 25),
    ("中国广电", "广电", 5),
];

/// SplitMix64: tiny, fast and good enough for made-up data; no dependency.
#[derive(Debug)]
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    /// Roughly bell-shaped in [-1, 1]: sites cluster near a town's centre.
    fn bell(&mut self) -> f64 {
        (self.unit() + self.unit() + self.unit()) / 1.5 - 1.0
    }
    fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut x = self.below(u64::from(total)) as u32;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }
    fn date_in(&mut self, year: i32, month_weights: &[u32; 12]) -> Date {
        let month = self.weighted(month_weights) as u8 + 1;
        let day = self.below(u64::from(days_in_month(year, month))) as u8 + 1;
        Date::new(year, month, day).unwrap_or_else(|| Date::end_of_year(year))
    }
    fn date_between(&mut self, from: Date, to: Date) -> Date {
        let span = to.days_after(from).max(0) as u64;
        Date::from_days_since_epoch(from.days_since_epoch() + self.below(span + 1) as i64)
    }
}

/// Splits `total` over the towns in proportion to `weight` (largest remainders last,
/// so the parts always add up to `total`).
fn split(total: i64, weight: impl Fn(&Town) -> i64) -> Vec<i64> {
    let sum: i64 = TOWNS.iter().map(&weight).sum();
    let mut parts: Vec<i64> = TOWNS.iter().map(|t| total * weight(t) / sum).collect();
    let mut rest = total - parts.iter().sum::<i64>();
    let mut i = 0;
    let n = parts.len();
    while rest > 0 {
        parts[i % n] += 1;
        rest -= 1;
        i += 1;
    }
    parts
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

struct SiteMaker {
    rng: Rng,
    next_id: u32,
    sites: Vec<Site>,
}

impl SiteMaker {
    fn add(&mut self, town: &Town, status: SiteStatus, planned_year: i32, on_air: Option<Date>) {
        self.next_id += 1;
        let op = self.rng.weighted(&OPERATORS.map(|o| o.2));
        let (lat, lon) = (
            round6(town.lat + 0.018 * self.rng.bell()),
            round6(town.lon + 0.022 * self.rng.bell()),
        );
        let mgmt_ip = (status.is_live() && self.next_id.is_multiple_of(20)).then(|| {
            if self.next_id.is_multiple_of(1000) {
                IpAddr::V6(Ipv6Addr::LOCALHOST)
            } else {
                IpAddr::V4(Ipv4Addr::new(
                    127,
                    23,
                    (self.next_id / 250) as u8,
                    (self.next_id % 250) as u8 + 1,
                ))
            }
        });
        self.sites.push(Site {
            site_id: format!("PY5G-{:06}", self.next_id),
            name: format!(
                "{}{}{:04}站",
                town.name,
                OPERATORS[op].1,
                self.next_id % 10_000
            ),
            town: town.name.to_string(),
            operator: OPERATORS[op].0.to_string(),
            lat,
            lon,
            status,
            planned_year,
            on_air_date: on_air,
            mgmt_ip,
        });
    }
}

/// The whole made-up district: (sites, targets, blind spots), each sorted by id.
pub fn generate_district(seed: u64) -> (Vec<Site>, Vec<Target>, Vec<BlindSpot>) {
    let mut m = SiteMaker {
        rng: Rng(seed ^ 0x5EED_0000_2023_0001),
        next_id: 0,
        sites: Vec::new(),
    };
    let uniform = [1u32; 12];
    for (year, total) in EARLIER_BUILT {
        for (town, n) in TOWNS.iter().zip(split(total, |t| t.built_2023)) {
            for _ in 0..n {
                let status = if m.rng.unit() < 0.9 {
                    SiteStatus::Accepted
                } else {
                    SiteStatus::OnAir
                };
                let on_air = m.rng.date_in(year, &uniform);
                let planned = year - i32::from(m.rng.unit() < 0.2);
                m.add(town, status, planned, Some(on_air));
            }
        }
    }
    for town in &TOWNS {
        for _ in 0..town.built_2023 {
            let status = if m.rng.unit() < 0.7 {
                SiteStatus::Accepted
            } else {
                SiteStatus::OnAir
            };
            let on_air = m.rng.date_in(2023, &MONTH_WEIGHTS);
            m.add(town, status, 2023, Some(on_air));
        }
    }
    for (town, n) in TOWNS.iter().zip(split(DECOMMISSIONED, |t| t.target_2023)) {
        for _ in 0..n {
            let year = 2019 + m.rng.below(3) as i32;
            let on_air = m.rng.date_in(year, &uniform);
            m.add(town, SiteStatus::Decommissioned, year, Some(on_air));
        }
    }
    for (town, n) in TOWNS.iter().zip(split(SUSPENDED, |t| t.target_2023)) {
        for _ in 0..n {
            let on_air = m.rng.date_in(2022, &uniform);
            m.add(town, SiteStatus::Suspended, 2022, Some(on_air));
        }
    }
    for (town, n) in TOWNS.iter().zip(split(BUILT_2024, |t| t.target_2023)) {
        for _ in 0..n {
            let status = if m.rng.unit() < 0.8 {
                SiteStatus::OnAir
            } else {
                SiteStatus::Accepted
            };
            let on_air = m.rng.date_in(2024, &MONTH_WEIGHTS);
            m.add(town, status, 2024, Some(on_air));
        }
    }
    for (status, total) in PIPELINE {
        for (town, n) in TOWNS.iter().zip(split(total, |t| t.target_2023)) {
            for _ in 0..n {
                let year = if status == SiteStatus::Planned {
                    2025
                } else {
                    2024 + m.rng.below(2) as i32
                };
                m.add(town, status, year, None);
            }
        }
    }

    let mut targets = Vec::new();
    let built_2022 = split(EARLIER_BUILT[3].1, |t| t.built_2023);
    for (town, b22) in TOWNS.iter().zip(built_2022) {
        targets.push(Target {
            town: town.name.into(),
            year: 2022,
            target: b22 * 97 / 100,
        });
        targets.push(Target {
            town: town.name.into(),
            year: 2023,
            target: town.target_2023,
        });
        targets.push(Target {
            town: town.name.into(),
            year: 2024,
            target: town.target_2023 * 92 / 100,
        });
    }
    targets.sort_by(|a, b| (a.year, &a.town).cmp(&(b.year, &b.town)));

    let spots = blind_spots(&mut m.rng);
    let mut sites = m.sites;
    sites.sort_by(|a, b| a.site_id.cmp(&b.site_id));
    (sites, targets, spots)
}

fn day(y: i32, m: u8, d: u8) -> Date {
    Date::new(y, m, d).unwrap_or_else(|| Date::end_of_year(y))
}

fn blind_spots(rng: &mut Rng) -> Vec<BlindSpot> {
    let mut spots = Vec::new();
    let mut add =
        |rng: &mut Rng, reported: Date, status: SpotStatus, resolved: Option<Date>, spread: f64| {
            let town = &TOWNS[rng.below(TOWNS.len() as u64) as usize];
            let category = SpotCategory::ALL[rng.weighted(&[15, 40, 15, 15, 15])];
            spots.push(BlindSpot {
                spot_id: format!("BS-{:05}", spots.len() + 1),
                town: town.name.to_string(),
                lat: round6(town.lat + spread * rng.bell()),
                lon: round6(town.lon + spread * 1.2 * rng.bell()),
                category,
                reported_date: reported,
                status,
                resolved_date: resolved,
            });
        };
    let verified_or_resolved = |rng: &mut Rng| {
        if rng.unit() < 0.65 {
            SpotStatus::Verified
        } else {
            SpotStatus::Resolved
        }
    };
    // Resolved in 2022.
    for _ in 0..30 {
        let resolved = rng.date_between(day(2022, 4, 1), day(2022, 12, 31));
        let reported =
            Date::from_days_since_epoch(resolved.days_since_epoch() - 20 - rng.below(90) as i64);
        let st = verified_or_resolved(rng);
        add(rng, reported, st, Some(resolved), 0.02);
    }
    // The published 233 resolved in 2023.
    for _ in 0..super::fixture::published::BLIND_SPOTS_RESOLVED {
        let resolved = rng.date_between(day(2023, 1, 10), day(2023, 12, 31));
        let reported =
            Date::from_days_since_epoch(resolved.days_since_epoch() - 15 - rng.below(135) as i64);
        let st = verified_or_resolved(rng);
        add(rng, reported, st, Some(resolved), 0.02);
    }
    // Reported in 2023, resolved in 2024: open at the end of 2023.
    for _ in 0..70 {
        let reported = rng.date_between(day(2023, 5, 1), day(2023, 12, 20));
        let resolved = rng.date_between(day(2024, 1, 5), day(2024, 9, 30));
        let st = verified_or_resolved(rng);
        add(rng, reported, st, Some(resolved), 0.02);
    }
    // Still open: some in town, some on the rural fringe far from any site.
    let open = [
        SpotStatus::Reported,
        SpotStatus::Surveyed,
        SpotStatus::Scheduled,
    ];
    for i in 0..85 {
        let reported = if i < 45 {
            rng.date_between(day(2023, 3, 1), day(2023, 12, 31))
        } else {
            rng.date_between(day(2024, 1, 1), day(2025, 6, 30))
        };
        let st = open[rng.below(3) as usize];
        let spread = if i % 3 == 0 { 0.045 } else { 0.02 };
        add(rng, reported, st, None, spread);
    }
    spots
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

/// Sites as import CSV (header included).
pub fn sites_csv(sites: &[Site]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(crate::import::ImportKind::Sites.columns());
    for s in sites {
        let _ = w.write_record([
            s.site_id.clone(),
            s.name.clone(),
            s.town.clone(),
            s.operator.clone(),
            s.lat.to_string(),
            s.lon.to_string(),
            s.status.to_string(),
            s.planned_year.to_string(),
            opt(&s.on_air_date),
            opt(&s.mgmt_ip),
        ]);
    }
    into_string(w)
}

/// Targets as import CSV.
pub fn targets_csv(targets: &[Target]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(crate::import::ImportKind::Targets.columns());
    for t in targets {
        let _ = w.write_record([t.town.clone(), t.year.to_string(), t.target.to_string()]);
    }
    into_string(w)
}

/// Blind spots as import CSV.
pub fn blind_spots_csv(spots: &[BlindSpot]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(crate::import::ImportKind::BlindSpots.columns());
    for s in spots {
        let _ = w.write_record([
            s.spot_id.clone(),
            s.town.clone(),
            s.lat.to_string(),
            s.lon.to_string(),
            s.category.to_string(),
            s.reported_date.to_string(),
            s.status.to_string(),
            opt(&s.resolved_date),
        ]);
    }
    into_string(w)
}

fn into_string(w: csv::Writer<Vec<u8>>) -> String {
    // Writing to a Vec cannot fail.
    w.into_inner()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

/// Paths of the three CSV files written by [`write_district_csvs`].
#[derive(Debug, Clone)]
pub struct DistrictFiles {
    pub sites: PathBuf,
    pub targets: PathBuf,
    pub blind_spots: PathBuf,
}

/// Writes `sites.csv`, `targets.csv` and `blind_spots.csv` for `seed` into `dir`.
pub fn write_district_csvs(dir: &Path, seed: u64) -> std::io::Result<DistrictFiles> {
    let (sites, targets, spots) = generate_district(seed);
    let files = DistrictFiles {
        sites: dir.join("sites.csv"),
        targets: dir.join("targets.csv"),
        blind_spots: dir.join("blind_spots.csv"),
    };
    for (path, text) in [
        (&files.sites, sites_csv(&sites)),
        (&files.targets, targets_csv(&targets)),
        (&files.blind_spots, blind_spots_csv(&spots)),
    ] {
        std::fs::File::create(path)?.write_all(text.as_bytes())?;
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{BlindSpotReport, ProgressReport};

    #[test]
    fn published_figures_hold_for_several_seeds() {
        for seed in [0, 1, 42] {
            let (sites, targets, spots) = generate_district(seed);
            let r = ProgressReport::compute(2023, &sites, &targets);
            assert_eq!(r.target, published::TARGET);
            assert_eq!(r.built, published::BUILT);
            assert_eq!(r.completion_percent, Some(published::COMPLETION_PERCENT));
            assert_eq!(r.in_service_end_of_year, published::IN_SERVICE_END_OF_YEAR);
            assert_eq!(r.towns.len(), 16);
            let b = BlindSpotReport::compute(2023, 300.0, day(2026, 1, 1), &spots, &sites);
            assert_eq!(b.resolved_in_year, published::BLIND_SPOTS_RESOLVED);
        }
    }

    #[test]
    fn same_seed_same_district() {
        assert_eq!(generate_district(7), generate_district(7));
        assert_ne!(generate_district(7).0, generate_district(8).0);
    }

    #[test]
    fn generated_csv_parses_back() {
        use crate::import::{ImportKind, Parsed, parse_csv};
        let (sites, targets, spots) = generate_district(3);
        assert_eq!(
            parse_csv(ImportKind::Sites, "s", sites_csv(&sites).as_bytes()),
            Ok(Parsed::Sites(sites))
        );
        assert_eq!(
            parse_csv(ImportKind::Targets, "t", targets_csv(&targets).as_bytes()),
            Ok(Parsed::Targets(targets))
        );
        assert_eq!(
            parse_csv(
                ImportKind::BlindSpots,
                "b",
                blind_spots_csv(&spots).as_bytes()
            ),
            Ok(Parsed::BlindSpots(spots))
        );
    }
}
