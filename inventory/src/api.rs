//! The inventory's HTTP API, mounted by the daemon (`netops serve`): the planners' reports
//! and a JSON REST API over sites, targets and blind spots.
//!
//! | method | path | |
//! |---|---|---|
//! | GET | `/reports/progress?year=Y&format=json\|csv\|html` | build progress |
//! | GET | `/reports/blind-spots?year=Y&radius_m=M&format=…` | blind spots, coverage check |
//! | GET | `/sites?town=&status=`, `/sites/{site_id}`, `/sites/{site_id}/history` | |
//! | PUT | `/sites/{site_id}` (a site as JSON) | upsert, history recorded |
//! | GET | `/targets?year=` | |
//! | PUT | `/targets/{town}/{year}` (`{"target": N}`) | |
//! | GET | `/blind-spots?town=&status=`, `/blind-spots/{spot_id}`, `/blind-spots/{spot_id}/history` | |
//! | PUT | `/blind-spots/{spot_id}` (a blind spot as JSON) | |
//! | GET | `/probe-targets` | live sites with a management address |
//!
//! Writes need `Authorization: Bearer TOKEN` with a token of role `planner`: no or unknown
//! token → 401, another role → 403. Reads are open unless `read_requires_token` is set,
//! then any known token will do.

use crate::date::Date;
use crate::error::InventoryError;
use crate::metrics::probe_targets;
use crate::model::{BlindSpot, Site, Target};
use crate::report::{BlindSpotReport, DEFAULT_RADIUS_M, Format, ProgressReport};
use crate::store::{Store, UpsertSummary};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use indicatif::ProgressBar;
use netops_core::Secret;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads and writes.
    Planner,
    /// Reads only.
    Viewer,
}

/// One API token (from the daemon's config).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiToken {
    /// Who holds it; recorded as `api:NAME` in status history.
    pub name: String,
    pub token: Secret,
    pub role: Role,
}

/// API access rules (the daemon's `[inventory.api]` config section).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiAuthConfig {
    /// When true, reads need a known token too.
    #[serde(default)]
    pub read_requires_token: bool,
    #[serde(default)]
    pub tokens: Vec<ApiToken>,
}

/// Shared state of the router.
#[derive(Debug, Clone)]
pub struct ApiState {
    pub store: Store,
    pub auth: Arc<ApiAuthConfig>,
}

impl ApiState {
    pub fn new(store: Store, auth: ApiAuthConfig) -> Self {
        Self {
            store,
            auth: Arc::new(auth),
        }
    }
}

/// The inventory routes, ready to be nested or merged into the daemon's router.
pub fn router(state: ApiState) -> Router {
    Router::new()
        .route("/reports/progress", get(progress_report))
        .route("/reports/blind-spots", get(blind_spot_report))
        .route("/sites", get(list_sites))
        .route("/sites/{site_id}", get(get_site).put(put_site))
        .route("/sites/{site_id}/history", get(site_history))
        .route("/targets", get(list_targets))
        .route("/targets/{town}/{year}", axum::routing::put(put_target))
        .route("/blind-spots", get(list_spots))
        .route("/blind-spots/{spot_id}", get(get_spot).put(put_spot))
        .route("/blind-spots/{spot_id}/history", get(spot_history))
        .route("/probe-targets", get(list_probe_targets))
        .with_state(state)
}

/// An error answer: status and a JSON `{"error": "..."}` body.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }
}

impl From<InventoryError> for ApiError {
    fn from(e: InventoryError) -> Self {
        match &e {
            InventoryError::Invalid { .. } | InventoryError::Refused { .. } => {
                Self::new(StatusCode::BAD_REQUEST, e.to_string())
            }
            InventoryError::NotFound { .. } => Self::new(StatusCode::NOT_FOUND, e.to_string()),
            _ => {
                tracing::error!(error = %e, "inventory API");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal error; see the daemon log",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (
            self.status,
            Json(serde_json::json!({ "error": self.message })),
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        r
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// Compares without an early exit so response time does not hint at a token's prefix.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn bearer_token<'a>(state: &'a ApiState, headers: &HeaderMap) -> ApiResult<Option<&'a ApiToken>> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let presented = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "Authorization must be `Bearer TOKEN`",
            )
        })?;
    state
        .auth
        .tokens
        .iter()
        .find(|t| same_secret(t.token.expose(), presented))
        .map(Some)
        .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "unknown token"))
}

fn authorize_read(state: &ApiState, headers: &HeaderMap) -> ApiResult<()> {
    let token = bearer_token(state, headers)?;
    if state.auth.read_requires_token && token.is_none() {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "a bearer token is required",
        ));
    }
    Ok(())
}

/// Returns who is writing, for the status history.
fn authorize_write(state: &ApiState, headers: &HeaderMap) -> ApiResult<String> {
    match bearer_token(state, headers)? {
        None => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "writing needs a bearer token with role planner",
        )),
        Some(t) if t.role != Role::Planner => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!(
                "token {:?} has role {:?}; writing needs role planner",
                t.name, t.role
            ),
        )),
        Some(t) => Ok(format!("api:{}", t.name)),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportQuery {
    year: Option<i32>,
    radius_m: Option<f64>,
    format: Option<String>,
}

fn report_response(
    format: Format,
    json: String,
    csv: impl FnOnce() -> crate::error::Result<String>,
    html: impl FnOnce() -> String,
) -> ApiResult<Response> {
    let body = match format {
        Format::Json => json,
        Format::Csv => csv()?,
        Format::Html => html(),
    };
    Ok(([(header::CONTENT_TYPE, format.content_type())], body).into_response())
}

fn parse_format(q: &ReportQuery) -> ApiResult<Format> {
    Ok(q.format
        .as_deref()
        .map(str::parse)
        .transpose()?
        .unwrap_or_default())
}

async fn progress_report(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Query(q): Query<ReportQuery>,
) -> ApiResult<Response> {
    authorize_read(&state, &headers)?;
    let format = parse_format(&q)?;
    let year = q.year.unwrap_or_else(|| Date::today().year());
    let sites = state.store.sites().await?;
    let targets = state.store.targets(Some(year)).await?;
    let r = ProgressReport::compute(year, &sites, &targets);
    report_response(format, r.to_json(), || r.to_csv(), || r.to_html())
}

async fn blind_spot_report(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Query(q): Query<ReportQuery>,
) -> ApiResult<Response> {
    authorize_read(&state, &headers)?;
    let format = parse_format(&q)?;
    let today = Date::today();
    let radius = q.radius_m.unwrap_or(DEFAULT_RADIUS_M);
    if !(radius.is_finite() && radius >= 0.0) {
        return Err(
            InventoryError::invalid("radius_m", format!("{radius} is not a distance")).into(),
        );
    }
    let spots = state.store.blind_spots().await?;
    let sites = state.store.sites().await?;
    let r = BlindSpotReport::compute(
        q.year.unwrap_or(today.year()),
        radius,
        today,
        &spots,
        &sites,
    );
    report_response(format, r.to_json(), || r.to_csv(), || r.to_html())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    town: Option<String>,
    status: Option<String>,
}

async fn list_sites(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Vec<Site>>> {
    authorize_read(&state, &headers)?;
    let mut sites = state.store.sites().await?;
    sites.retain(|s| {
        q.town.as_deref().is_none_or(|t| s.town == t)
            && q.status.as_deref().is_none_or(|st| s.status.as_str() == st)
    });
    Ok(Json(sites))
}

async fn get_site(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path(site_id): Path<String>,
) -> ApiResult<Json<Site>> {
    authorize_read(&state, &headers)?;
    state.store.site(&site_id).await?.map(Json).ok_or_else(|| {
        InventoryError::NotFound {
            what: format!("site {site_id:?}"),
        }
        .into()
    })
}

async fn site_history(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path(site_id): Path<String>,
) -> ApiResult<Json<Vec<crate::model::StatusChange>>> {
    authorize_read(&state, &headers)?;
    Ok(Json(state.store.site_history(&site_id).await?))
}

/// Parses a JSON body after authorization, so an anonymous caller learns nothing from
/// body validation.
fn parse_body<T: serde::de::DeserializeOwned>(body: &Bytes) -> ApiResult<T> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, format!("request body: {e}")))
}

fn check(problems: Vec<crate::model::Problem>) -> ApiResult<()> {
    match problems.into_iter().next() {
        None => Ok(()),
        Some((field, reason)) => Err(InventoryError::invalid(field, reason).into()),
    }
}

fn written(summary: UpsertSummary, record: impl Serialize) -> Response {
    let status = if summary.inserted > 0 {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    (
        status,
        Json(serde_json::json!({ "record": record, "status_changes": summary.status_changes })),
    )
        .into_response()
}

async fn put_site(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path(site_id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let by = authorize_write(&state, &headers)?;
    let site: Site = parse_body(&body)?;
    if site.site_id != site_id {
        return Err(InventoryError::invalid(
            "site_id",
            format!(
                "{:?} in the body does not match {site_id:?} in the path",
                site.site_id
            ),
        )
        .into());
    }
    check(site.problems())?;
    let summary = state
        .store
        .upsert_sites(std::slice::from_ref(&site), &by, &ProgressBar::hidden())
        .await?;
    Ok(written(summary, site))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListTargetsQuery {
    year: Option<i32>,
}

async fn list_targets(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Query(q): Query<ListTargetsQuery>,
) -> ApiResult<Json<Vec<Target>>> {
    authorize_read(&state, &headers)?;
    Ok(Json(state.store.targets(q.year).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetBody {
    target: i64,
}

async fn put_target(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path((town, year)): Path<(String, i32)>,
    body: Bytes,
) -> ApiResult<Response> {
    authorize_write(&state, &headers)?;
    let b: TargetBody = parse_body(&body)?;
    let target = Target {
        town,
        year,
        target: b.target,
    };
    check(target.problems())?;
    let summary = state
        .store
        .upsert_targets(std::slice::from_ref(&target), &ProgressBar::hidden())
        .await?;
    Ok(written(summary, target))
}

async fn list_spots(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Vec<BlindSpot>>> {
    authorize_read(&state, &headers)?;
    let mut spots = state.store.blind_spots().await?;
    spots.retain(|s| {
        q.town.as_deref().is_none_or(|t| s.town == t)
            && q.status.as_deref().is_none_or(|st| s.status.as_str() == st)
    });
    Ok(Json(spots))
}

async fn get_spot(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path(spot_id): Path<String>,
) -> ApiResult<Json<BlindSpot>> {
    authorize_read(&state, &headers)?;
    state
        .store
        .blind_spot(&spot_id)
        .await?
        .map(Json)
        .ok_or_else(|| {
            InventoryError::NotFound {
                what: format!("blind spot {spot_id:?}"),
            }
            .into()
        })
}

async fn spot_history(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path(spot_id): Path<String>,
) -> ApiResult<Json<Vec<crate::model::StatusChange>>> {
    authorize_read(&state, &headers)?;
    Ok(Json(state.store.blind_spot_history(&spot_id).await?))
}

async fn put_spot(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Path(spot_id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let by = authorize_write(&state, &headers)?;
    let spot: BlindSpot = parse_body(&body)?;
    if spot.spot_id != spot_id {
        return Err(InventoryError::invalid(
            "spot_id",
            format!(
                "{:?} in the body does not match {spot_id:?} in the path",
                spot.spot_id
            ),
        )
        .into());
    }
    check(spot.problems())?;
    let summary = state
        .store
        .upsert_blind_spots(std::slice::from_ref(&spot), &by, &ProgressBar::hidden())
        .await?;
    Ok(written(summary, spot))
}

async fn list_probe_targets(
    State(state): State<ApiState>,
    headers: HeaderMap,
) -> ApiResult<Json<Vec<crate::metrics::ProbeTarget>>> {
    authorize_read(&state, &headers)?;
    Ok(Json(probe_targets(&state.store).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_comparison() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
    }
}
