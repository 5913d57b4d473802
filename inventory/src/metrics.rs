//! What the daemon takes from the inventory: gauges for Prometheus and the probe targets.

use crate::error::Result;
use crate::model::{SiteStatus, SpotStatus};
use crate::store::Store;
use netops_core::{Labels, Sample};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::time::SystemTime;

/// Count per (town, status), with every status of every known town present (zeros
/// included), so a series does not vanish when its last site changes status.
fn complete(
    counts: Vec<(String, String, i64)>,
    statuses: &[&str],
) -> BTreeMap<(String, String), i64> {
    let towns: BTreeSet<String> = counts.iter().map(|(t, _, _)| t.clone()).collect();
    let mut out: BTreeMap<(String, String), i64> = towns
        .into_iter()
        .flat_map(|t| {
            statuses
                .iter()
                .map(move |s| ((t.clone(), (*s).to_string()), 0))
        })
        .collect();
    for (town, status, n) in counts {
        *out.entry((town, status)).or_default() += n;
    }
    out
}

/// `netops_sites{town,status}`, `netops_site_target{town,year}` and
/// `netops_blind_spots{town,status}`, as gauges stamped now.
pub async fn gauges(store: &Store) -> Result<Vec<Sample>> {
    let now = SystemTime::now();
    let mut samples = Vec::new();
    let site_statuses: Vec<&str> = SiteStatus::ALL.iter().map(|s| s.as_str()).collect();
    for ((town, status), n) in complete(store.count_by_town_status("sites").await?, &site_statuses)
    {
        samples.push(Sample::gauge(
            "netops_sites",
            Labels::new().with("town", town).with("status", status),
            n as f64,
            now,
        ));
    }
    for t in store.targets(None).await? {
        samples.push(Sample::gauge(
            "netops_site_target",
            Labels::new()
                .with("town", t.town)
                .with("year", t.year.to_string()),
            t.target as f64,
            now,
        ));
    }
    let spot_statuses: Vec<&str> = SpotStatus::ALL.iter().map(|s| s.as_str()).collect();
    for ((town, status), n) in complete(
        store.count_by_town_status("blind_spots").await?,
        &spot_statuses,
    ) {
        samples.push(Sample::gauge(
            "netops_blind_spots",
            Labels::new().with("town", town).with("status", status),
            n as f64,
            now,
        ));
    }
    Ok(samples)
}

/// A live site the daemon should probe: an on-air site that stops answering is an alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProbeTarget {
    pub site_id: String,
    pub name: String,
    pub town: String,
    pub operator: String,
    pub status: SiteStatus,
    pub mgmt_ip: IpAddr,
}

/// Sites with a management address and status `on_air` or `accepted`, by `site_id`.
pub async fn probe_targets(store: &Store) -> Result<Vec<ProbeTarget>> {
    Ok(store
        .live_sites_with_mgmt_ip()
        .await?
        .into_iter()
        .filter_map(|s| {
            Some(ProbeTarget {
                mgmt_ip: s.mgmt_ip?,
                site_id: s.site_id,
                name: s.name,
                town: s.town,
                operator: s.operator,
                status: s.status,
            })
        })
        .collect())
}
