//! Reading records back, and the small grouped counts the gauges need. Rows are sorted in
//! Rust, not by `ORDER BY`, because text collation differs between backends and locales.

use super::Store;
use crate::date::Date;
use crate::error::{InventoryError, Result};
use crate::model::{BlindSpot, Site, StatusChange, Target};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::str::FromStr;

const SITE_COLUMNS: &str =
    "site_id, name, town, operator, lat, lon, status, planned_year, on_air_date, mgmt_ip";
const SPOT_COLUMNS: &str =
    "spot_id, town, lat, lon, category, reported_date, status, resolved_date";

fn get<'r, T>(row: &'r AnyRow, table: &str, col: &str) -> Result<T>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    row.try_get(col)
        .map_err(InventoryError::db(format!("decoding {table}.{col}")))
}

/// A stored value that no longer parses (someone edited the database by hand).
fn parse<T: FromStr>(table: &str, col: &str, key: &str, s: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    s.parse().map_err(|e: T::Err| {
        InventoryError::invalid(format!("{table}.{col} of {key}"), e.to_string())
    })
}

fn site_from_row(row: &AnyRow) -> Result<Site> {
    let t = "sites";
    let site_id: String = get(row, t, "site_id")?;
    let status: String = get(row, t, "status")?;
    let on_air: Option<String> = get(row, t, "on_air_date")?;
    let ip: Option<String> = get(row, t, "mgmt_ip")?;
    let planned_year: i64 = get(row, t, "planned_year")?;
    Ok(Site {
        name: get(row, t, "name")?,
        town: get(row, t, "town")?,
        operator: get(row, t, "operator")?,
        lat: get(row, t, "lat")?,
        lon: get(row, t, "lon")?,
        status: parse(t, "status", &site_id, &status)?,
        planned_year: i32::try_from(planned_year)
            .map_err(|_| InventoryError::invalid("sites.planned_year", planned_year.to_string()))?,
        on_air_date: on_air
            .map(|d| parse::<Date>(t, "on_air_date", &site_id, &d))
            .transpose()?,
        mgmt_ip: ip.map(|s| parse(t, "mgmt_ip", &site_id, &s)).transpose()?,
        site_id,
    })
}

fn spot_from_row(row: &AnyRow) -> Result<BlindSpot> {
    let t = "blind_spots";
    let spot_id: String = get(row, t, "spot_id")?;
    let category: String = get(row, t, "category")?;
    let status: String = get(row, t, "status")?;
    let reported: String = get(row, t, "reported_date")?;
    let resolved: Option<String> = get(row, t, "resolved_date")?;
    Ok(BlindSpot {
        town: get(row, t, "town")?,
        lat: get(row, t, "lat")?,
        lon: get(row, t, "lon")?,
        category: parse(t, "category", &spot_id, &category)?,
        reported_date: parse(t, "reported_date", &spot_id, &reported)?,
        status: parse(t, "status", &spot_id, &status)?,
        resolved_date: resolved
            .map(|d| parse(t, "resolved_date", &spot_id, &d))
            .transpose()?,
        spot_id,
    })
}

fn target_from_row(row: &AnyRow) -> Result<Target> {
    let year: i64 = get(row, "targets", "year")?;
    Ok(Target {
        town: get(row, "targets", "town")?,
        year: i32::try_from(year)
            .map_err(|_| InventoryError::invalid("targets.year", year.to_string()))?,
        target: get(row, "targets", "target")?,
    })
}

fn change_from_row(row: &AnyRow, table: &str, key_col: &str) -> Result<StatusChange> {
    Ok(StatusChange {
        id: get(row, table, key_col)?,
        seq: get(row, table, "seq")?,
        from_status: get(row, table, "from_status")?,
        to_status: get(row, table, "to_status")?,
        changed_at: get(row, table, "changed_at")?,
        changed_by: get(row, table, "changed_by")?,
    })
}

impl Store {
    async fn fetch(&self, what: &str, sql: &str, binds: &[&str]) -> Result<Vec<AnyRow>> {
        let mut q = sqlx::query(sql);
        for b in binds {
            q = q.bind(b.to_string());
        }
        q.fetch_all(&self.pool)
            .await
            .map_err(InventoryError::db(format!("reading {what}")))
    }

    /// Every site, sorted by `site_id`.
    pub async fn sites(&self) -> Result<Vec<Site>> {
        let rows = self
            .fetch("sites", &format!("SELECT {SITE_COLUMNS} FROM sites"), &[])
            .await?;
        let mut sites = rows.iter().map(site_from_row).collect::<Result<Vec<_>>>()?;
        sites.sort_by(|a, b| a.site_id.cmp(&b.site_id));
        Ok(sites)
    }

    pub async fn site(&self, site_id: &str) -> Result<Option<Site>> {
        let rows = self
            .fetch(
                "sites",
                &format!("SELECT {SITE_COLUMNS} FROM sites WHERE site_id = $1"),
                &[site_id],
            )
            .await?;
        rows.first().map(site_from_row).transpose()
    }

    /// Targets, of one year or all, sorted by (year, town).
    pub async fn targets(&self, year: Option<i32>) -> Result<Vec<Target>> {
        let rows = self
            .fetch("targets", "SELECT town, year, target FROM targets", &[])
            .await?;
        let mut targets = rows
            .iter()
            .map(target_from_row)
            .collect::<Result<Vec<_>>>()?;
        targets.retain(|t| year.is_none_or(|y| t.year == y));
        targets.sort_by(|a, b| (a.year, &a.town).cmp(&(b.year, &b.town)));
        Ok(targets)
    }

    /// Every blind spot, sorted by `spot_id`.
    pub async fn blind_spots(&self) -> Result<Vec<BlindSpot>> {
        let rows = self
            .fetch(
                "blind_spots",
                &format!("SELECT {SPOT_COLUMNS} FROM blind_spots"),
                &[],
            )
            .await?;
        let mut spots = rows.iter().map(spot_from_row).collect::<Result<Vec<_>>>()?;
        spots.sort_by(|a, b| a.spot_id.cmp(&b.spot_id));
        Ok(spots)
    }

    pub async fn blind_spot(&self, spot_id: &str) -> Result<Option<BlindSpot>> {
        let rows = self
            .fetch(
                "blind_spots",
                &format!("SELECT {SPOT_COLUMNS} FROM blind_spots WHERE spot_id = $1"),
                &[spot_id],
            )
            .await?;
        rows.first().map(spot_from_row).transpose()
    }

    /// A site's status changes, oldest first.
    pub async fn site_history(&self, site_id: &str) -> Result<Vec<StatusChange>> {
        self.history("site_status_history", "site_id", site_id)
            .await
    }

    /// A blind spot's status changes, oldest first.
    pub async fn blind_spot_history(&self, spot_id: &str) -> Result<Vec<StatusChange>> {
        self.history("blind_spot_status_history", "spot_id", spot_id)
            .await
    }

    async fn history(&self, table: &str, key_col: &str, key: &str) -> Result<Vec<StatusChange>> {
        let rows = self
            .fetch(
                table,
                &format!(
                    "SELECT {key_col}, seq, from_status, to_status, changed_at, changed_by \
                     FROM {table} WHERE {key_col} = $1 ORDER BY seq"
                ),
                &[key],
            )
            .await?;
        rows.iter()
            .map(|r| change_from_row(r, table, key_col))
            .collect()
    }

    /// `(town, status, count)` for a table with those columns, sorted.
    pub(crate) async fn count_by_town_status(
        &self,
        table: &str,
    ) -> Result<Vec<(String, String, i64)>> {
        let rows = self
            .fetch(
                table,
                &format!("SELECT town, status, COUNT(*) AS n FROM {table} GROUP BY town, status"),
                &[],
            )
            .await?;
        let mut out = rows
            .iter()
            .map(|r| {
                Ok((
                    get(r, table, "town")?,
                    get(r, table, "status")?,
                    get(r, table, "n")?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        out.sort();
        Ok(out)
    }

    /// Live sites (on air or accepted) that have a management address.
    pub(crate) async fn live_sites_with_mgmt_ip(&self) -> Result<Vec<Site>> {
        let rows = self
            .fetch(
                "sites",
                &format!(
                    "SELECT {SITE_COLUMNS} FROM sites WHERE mgmt_ip IS NOT NULL \
                     AND status IN ('on_air', 'accepted')"
                ),
                &[],
            )
            .await?;
        let mut sites = rows.iter().map(site_from_row).collect::<Result<Vec<_>>>()?;
        sites.sort_by(|a, b| a.site_id.cmp(&b.site_id));
        Ok(sites)
    }
}
