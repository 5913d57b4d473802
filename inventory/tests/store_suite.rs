//! The store, import and reports against real SQLite and real PostgreSQL: the same
//! scenarios run on both (see `on_both_backends!`).

mod common;

use common::TestDb;
use netops_inventory::fixture::{self, published};
use netops_inventory::import::{ImportKind, ImportOptions, import_file};
use netops_inventory::{
    BlindSpotReport, Date, InventoryError, ProgressReport, SiteStatus, Store, gauges, probe_targets,
};
use std::path::Path;

const SEED: u64 = 2023;

async fn import_district(store: &Store, dir: &Path) {
    let files = fixture::write_district_csvs(dir, SEED).expect("write fixture CSVs");
    let opts = ImportOptions::default();
    for (kind, path) in [
        (ImportKind::Sites, &files.sites),
        (ImportKind::Targets, &files.targets),
        (ImportKind::BlindSpots, &files.blind_spots),
    ] {
        import_file(store, kind, path, &opts)
            .await
            .unwrap_or_else(|e| panic!("import {}: {e}", path.display()));
    }
}

async fn reports(store: &Store) -> (ProgressReport, BlindSpotReport) {
    let sites = store.sites().await.expect("sites");
    let targets = store.targets(None).await.expect("targets");
    let spots = store.blind_spots().await.expect("blind spots");
    let today = Date::new(2026, 1, 1).expect("date");
    (
        ProgressReport::compute(published::YEAR, &sites, &targets),
        BlindSpotReport::compute(published::YEAR, 300.0, today, &spots, &sites),
    )
}

/// Import the generated district, and the reports give the district's published figures.
async fn fixture_reproduces_published_figures(db: TestDb) {
    let dir = tempfile::tempdir().expect("temp dir");
    import_district(&db.store, dir.path()).await;
    let (progress, spots) = reports(&db.store).await;

    assert_eq!(progress.built, 2_041);
    assert_eq!(progress.target, 1_795);
    assert_eq!(progress.completion_ratio, Some(1.137));
    assert_eq!(progress.completion_percent, Some(113.7));
    assert_eq!(progress.in_service_end_of_year, 13_693);
    assert_eq!(progress.towns.len(), 16);
    assert_eq!(progress.towns.iter().map(|t| t.target).sum::<i64>(), 1_795);
    assert_eq!(progress.towns[0].rank, Some(1));
    assert_eq!(progress.monthly[11].cumulative_built, 2_041);
    assert_eq!(spots.resolved_in_year, 233);

    let json: serde_json::Value = serde_json::from_str(&progress.to_json()).expect("JSON");
    assert_eq!(json["year"], 2023);
    assert_eq!(json["built"], 2041);
    assert_eq!(json["target"], 1795);
    assert_eq!(json["completion_ratio"], 1.137);
    assert_eq!(json["in_service_end_of_year"], 13693);
    let town = &json["towns"][0];
    for key in [
        "town",
        "target",
        "built",
        "completion_ratio",
        "rank",
        "in_service_end_of_year",
    ] {
        assert!(!town[key].is_null(), "towns[0].{key} missing in {town}");
    }
    let spots_json: serde_json::Value = serde_json::from_str(&spots.to_json()).expect("JSON");
    assert_eq!(spots_json["resolved_in_year"], 233);

    // What came back from the store is exactly what was generated (UTF-8 names,
    // coordinates, dates, addresses), so the report equals the in-memory one.
    let (sites, targets, blind_spots) = fixture::generate_district(SEED);
    assert_eq!(db.store.sites().await.expect("sites"), sites);
    assert_eq!(db.store.targets(None).await.expect("targets"), targets);
    assert_eq!(db.store.blind_spots().await.expect("spots"), blind_spots);
    assert_eq!(progress, ProgressReport::compute(2023, &sites, &targets));
}

const GOOD_AND_BAD: &str = "\
site_id,name,town,operator,lat,lon,status,planned_year,on_air_date,mgmt_ip
S-1,市桥街移动0001站,市桥街,中国移动,22.945,113.365,on_air,2023,2023-03-01,127.0.0.1
S-2,沙头街电信0002站,沙头街,中国电信,122.9,113.3,planned,2024,,
S-3,东环街联通0003站,东环街,中国联通,22.95,113.39,live,2023,2023-04-01,
S-1,市桥街移动0004站,市桥街,中国移动,22.94,113.36,accepted,2023,2023-13-01,
S-5,桥南街广电0005站,桥南街,中国广电,22.92,113.37,accepted,2023,,::1
S-6,钟村街移动0006站,钟村街,中国移动,23.01,113.31,powered,2024,,10.0.0.300
";

/// A file with any bad row is refused whole, every bad row listed, nothing written.
async fn bad_file_is_refused_whole(db: TestDb) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("sites.csv");
    std::fs::write(&path, GOOD_AND_BAD).expect("write CSV");
    let err = import_file(
        &db.store,
        ImportKind::Sites,
        &path,
        &ImportOptions::default(),
    )
    .await
    .expect_err("a file with bad rows must be refused");
    let InventoryError::Refused { errors, .. } = &err else {
        panic!("expected Refused, got {err}");
    };
    let p = path.display();
    let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        vec![
            format!("{p}:3: lat: 122.9 is outside -90..90"),
            format!(
                "{p}:4: status: unknown value \"live\" (expected one of: planned, approved, under_construction, powered, on_air, accepted, suspended, decommissioned)"
            ),
            format!("{p}:5: site_id: duplicate of line 2"),
            format!("{p}:5: on_air_date: \"2023-13-01\" is not a calendar date"),
            format!("{p}:6: on_air_date: required when status is accepted"),
            format!("{p}:7: mgmt_ip: \"10.0.0.300\" is not an IPv4 or IPv6 address"),
        ]
    );
    assert!(
        db.store.sites().await.expect("sites").is_empty(),
        "nothing may be written"
    );
    assert!(
        db.store
            .site_history("S-1")
            .await
            .expect("history")
            .is_empty()
    );
}

/// Re-importing updates rows by id and writes one history row per status change.
async fn upsert_records_status_history(db: TestDb) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("sites.csv");
    let header = "site_id,name,town,operator,lat,lon,status,planned_year,on_air_date,mgmt_ip\n";
    std::fs::write(
        &path,
        format!(
            "{header}A,小谷围街移动1号,小谷围街,中国移动,23.06,113.39,approved,2024,,\n\
             B,沙湾街电信2号,沙湾街,中国电信,22.9,113.33,under_construction,2024,,\n"
        ),
    )
    .expect("write");
    let first = ImportOptions {
        changed_by: "alice".into(),
        progress: false,
    };
    let s = import_file(&db.store, ImportKind::Sites, &path, &first)
        .await
        .expect("import 1");
    assert_eq!((s.inserted, s.updated, s.status_changes), (2, 0, 2));

    // A moves on, B only gets a new name: one status change.
    std::fs::write(
        &path,
        format!(
            "{header}A,小谷围街移动1号,小谷围街,中国移动,23.06,113.39,under_construction,2024,,\n\
             B,沙湾街电信2号站,沙湾街,中国电信,22.9,113.33,under_construction,2024,,\n"
        ),
    )
    .expect("write");
    let second = ImportOptions {
        changed_by: "bob".into(),
        progress: false,
    };
    let s = import_file(&db.store, ImportKind::Sites, &path, &second)
        .await
        .expect("import 2");
    assert_eq!((s.inserted, s.updated, s.status_changes), (0, 2, 1));

    let a = db.store.site_history("A").await.expect("history A");
    let summary: Vec<_> = a
        .iter()
        .map(|c| {
            (
                c.seq,
                c.from_status.as_deref(),
                c.to_status.as_str(),
                c.changed_by.as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (1, None, "approved", "alice"),
            (2, Some("approved"), "under_construction", "bob"),
        ]
    );
    // The date of each change is kept, as an ISO timestamp of when it was recorded.
    assert!(
        a.iter()
            .all(|c| c.changed_at.len() == 20 && c.changed_at.ends_with('Z'))
    );
    assert_eq!(
        db.store.site_history("B").await.expect("history B").len(),
        1
    );
    let b = db.store.site("B").await.expect("site B").expect("B exists");
    assert_eq!(b.name, "沙湾街电信2号站");
    assert_eq!(b.town, "沙湾街");
    assert_eq!(b.status, SiteStatus::UnderConstruction);
}

/// The daemon's view: gauges and probe targets.
async fn gauges_and_probe_targets(db: TestDb) {
    let dir = tempfile::tempdir().expect("temp dir");
    import_district(&db.store, dir.path()).await;
    let samples = gauges(&db.store).await.expect("gauges");
    let value = |name: &str, labels: &[(&str, &str)]| -> Option<f64> {
        samples
            .iter()
            .find(|s| s.name == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
            .map(|s| s.value)
    };
    assert_eq!(
        value(
            "netops_site_target",
            &[("town", "市桥街"), ("year", "2023")]
        ),
        Some(150.0)
    );
    let live: f64 = samples
        .iter()
        .filter(|s| s.name == "netops_sites")
        .filter(|s| matches!(s.labels.get("status"), Some("on_air" | "accepted")))
        .map(|s| s.value)
        .sum();
    assert_eq!(
        live,
        13_693.0 + 1_500.0,
        "in service end of 2023 plus 2024's build"
    );
    // Every status of every town is present, zeros included.
    assert_eq!(
        samples.iter().filter(|s| s.name == "netops_sites").count(),
        16 * 8
    );
    assert_eq!(
        samples
            .iter()
            .filter(|s| s.name == "netops_blind_spots")
            .count(),
        16 * 5
    );
    let spots: f64 = samples
        .iter()
        .filter(|s| s.name == "netops_blind_spots")
        .map(|s| s.value)
        .sum();
    assert_eq!(
        spots as usize,
        db.store.blind_spots().await.expect("spots").len()
    );

    let targets = probe_targets(&db.store).await.expect("probe targets");
    let (sites, _, _) = fixture::generate_district(SEED);
    let expected: Vec<&str> = sites
        .iter()
        .filter(|s| s.mgmt_ip.is_some() && s.status.is_live())
        .map(|s| s.site_id.as_str())
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(
        targets
            .iter()
            .map(|t| t.site_id.as_str())
            .collect::<Vec<_>>(),
        expected
    );
    assert!(targets.iter().all(|t| t.mgmt_ip.is_loopback()));
}

scenarios!(
    [
        fixture_reproduces_published_figures,
        bad_file_is_refused_whole,
        upsert_records_status_history,
        gauges_and_probe_targets,
    ],
    postgres_and_sqlite_give_the_same_reports
);

/// PostgreSQL and SQLite give byte-identical reports in every format.
async fn postgres_and_sqlite_give_the_same_reports(
    cluster: &netops_test_support::postgres::Postgres,
) {
    eprintln!("postgres: same reports as SQLite");
    let (lite, pg) = (
        common::sqlite().await,
        common::pg_db(cluster, "compare").await,
    );
    let dir = tempfile::tempdir().expect("temp dir");
    import_district(&lite.store, dir.path()).await;
    import_district(&pg.store, dir.path()).await;
    let (lp, lb) = reports(&lite.store).await;
    let (pp, pb) = reports(&pg.store).await;
    assert_eq!(lp.to_json(), pp.to_json());
    assert_eq!(lp.to_csv().expect("csv"), pp.to_csv().expect("csv"));
    assert_eq!(lp.to_html(), pp.to_html());
    assert_eq!(lb.to_json(), pb.to_json());
    assert_eq!(lb.to_csv().expect("csv"), pb.to_csv().expect("csv"));
    assert_eq!(lb.to_html(), pb.to_html());
}
