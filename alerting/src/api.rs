//! The drill HTTP API (JSON), mounted by the daemon next to `/metrics`:
//!
//! | method and path | role | what |
//! |---|---|---|
//! | `GET /api/drills` | read | every drill (`name`, `scope`, `start_ms`, `end_ms` or null while open) |
//! | `POST /api/drills` `{"name", "scope": ["CIDR", …]}` | security | opens a drill → 201; 409 while another is open or the name was used |
//! | `GET /api/drills/current` | read | the open drill, 404 when none |
//! | `POST /api/drills/current/end` | security | ends it → 200 with the run |
//! | `POST /api/drills/current/injections` `{"kind", "target", "note"?, "if_index"?}` | security | records the ground-truth time (now), carries out the kind (see [`crate::drill::inject`]) → 201 `{id, at_ms, effect, …}` |
//! | `GET /api/drills/current/alerts` | read | alerts tagged with the open drill (their `id` is what acks take) |
//! | `POST /api/drills/current/acks` `{"alert_id", "by"}` | security | acknowledges an alert of the open drill → 201; `alert_id` is a drill alert id (`KEY@FIRED_MS`) or a plain alert key; 404 when no alert of the drill matches |
//! | `GET /api/drills/{name}/report?format=json\|md\|html` | read | the report (an open drill is reported up to now) |
//!
//! Writes need `Authorization: Bearer TOKEN` of a token with role `security` (401 without
//! or with an unknown token, 403 with a token lacking the role); reads are open unless
//! [`DrillAuthConfig::read_requires_token`]. Errors are `{"error": "…"}`.

use crate::alert::store::AlertStore;
use crate::drill::auth::{Denied, DrillAuthConfig};
use crate::drill::inject::{self, InjectionKind, InjectorConfig};
use crate::drill::store::{DrillStore, resolve_acks};
use crate::drill::{Cidr, html, markdown};
use crate::error::AlertError;
use crate::time::{rfc3339_millis, to_millis};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::fmt;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

/// Where "now" comes from; tests pass a manual clock so reported times are exact.
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// Everything the drill API needs; cheap to clone.
#[derive(Clone)]
pub struct DrillApiState {
    pub drills: DrillStore,
    /// The alert store whose `alert_history` drills are tagged from (same database).
    pub alerts: AlertStore,
    pub auth: Arc<DrillAuthConfig>,
    pub injector: Arc<InjectorConfig>,
    pub clock: Clock,
    /// For the traps' sysUpTime.
    started: Instant,
}

impl fmt::Debug for DrillApiState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DrillApiState")
            .field("auth", &self.auth)
            .field("injector", &self.injector)
            .finish_non_exhaustive()
    }
}

impl DrillApiState {
    /// State on the system clock.
    pub fn new(
        drills: DrillStore,
        alerts: AlertStore,
        auth: DrillAuthConfig,
        injector: InjectorConfig,
    ) -> Self {
        Self {
            drills,
            alerts,
            auth: Arc::new(auth),
            injector: Arc::new(injector),
            clock: Arc::new(SystemTime::now),
            started: Instant::now(),
        }
    }

    /// Replaces the clock (tests).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    fn now_ms(&self) -> i64 {
        to_millis((self.clock)())
    }

    fn uptime_ticks(&self) -> u32 {
        // TimeTicks wrap at 2^32 hundredths of a second, as an agent's sysUpTime does.
        (self.started.elapsed().as_millis() / 10 % (1u128 << 32)) as u32
    }
}

/// The routes above, with their full paths: `app.merge(router(state))`.
pub fn router(state: DrillApiState) -> Router {
    Router::new()
        .route("/api/drills", get(list_drills).post(start_drill))
        .route("/api/drills/current", get(current_drill))
        .route("/api/drills/current/end", post(end_drill))
        .route("/api/drills/current/injections", post(inject))
        .route("/api/drills/current/alerts", get(current_alerts))
        .route("/api/drills/current/acks", post(ack))
        .route("/api/drills/{name}/report", get(report))
        .with_state(state)
}

/// An error response: status plus `{"error": message}`.
#[derive(Debug)]
struct ApiError {
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

impl From<Denied> for ApiError {
    fn from(d: Denied) -> Self {
        match d {
            Denied::Unauthenticated(m) => Self::new(StatusCode::UNAUTHORIZED, m),
            Denied::Forbidden(m) => Self::new(StatusCode::FORBIDDEN, m),
        }
    }
}

impl From<AlertError> for ApiError {
    fn from(e: AlertError) -> Self {
        match e {
            // Conflicts with the drill state (one open, names unique).
            AlertError::Drill { .. } => Self::new(StatusCode::CONFLICT, e.to_string()),
            other => {
                tracing::error!(error = %other, "drill API");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, other.to_string())
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (self.status, axum::Json(json!({ "error": self.message }))).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        resp
    }
}

type ApiResult<T> = Result<T, ApiError>;

fn auth_header(headers: &HeaderMap) -> ApiResult<Option<&str>> {
    headers
        .get(header::AUTHORIZATION)
        .map(|v| {
            v.to_str().map_err(|_| {
                ApiError::new(StatusCode::UNAUTHORIZED, "Authorization header is not text")
            })
        })
        .transpose()
}

fn can_read(state: &DrillApiState, headers: &HeaderMap) -> ApiResult<()> {
    Ok(state.auth.check_read(auth_header(headers)?)?)
}

fn can_write(state: &DrillApiState, headers: &HeaderMap) -> ApiResult<String> {
    Ok(state.auth.check_write(auth_header(headers)?)?)
}

fn parse_body<T: DeserializeOwned>(body: &Bytes) -> ApiResult<T> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, format!("request body: {e}")))
}

fn created(v: Value) -> Response {
    (StatusCode::CREATED, axum::Json(v)).into_response()
}

async fn open_drill(state: &DrillApiState) -> ApiResult<crate::drill::store::DrillRun> {
    state
        .drills
        .current()
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "no drill is open"))
}

async fn list_drills(
    State(state): State<DrillApiState>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    can_read(&state, &headers)?;
    let runs = state.drills.list().await?;
    Ok(axum::Json(json!(runs)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StartRequest {
    name: String,
    #[serde(default)]
    scope: Vec<String>,
}

async fn start_drill(
    State(state): State<DrillApiState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let who = can_write(&state, &headers)?;
    let req: StartRequest = parse_body(&body)?;
    let name = req.name.trim();
    if name.is_empty() || name.len() > 200 || name.contains('/') {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "name: 1..=200 characters without '/'",
        ));
    }
    let scope = req
        .scope
        .iter()
        .map(|s| s.parse::<Cidr>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, format!("scope: {e}")))?;
    let run = state.drills.start(name, &scope, state.now_ms()).await?;
    tracing::info!(drill = %run.name, by = %who, "drill started");
    Ok(created(json!(run)))
}

async fn current_drill(
    State(state): State<DrillApiState>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    can_read(&state, &headers)?;
    Ok(axum::Json(json!(open_drill(&state).await?)).into_response())
}

async fn end_drill(State(state): State<DrillApiState>, headers: HeaderMap) -> ApiResult<Response> {
    let who = can_write(&state, &headers)?;
    let run = state
        .drills
        .end_current(state.now_ms())
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "no drill is open"))?;
    tracing::info!(drill = %run.name, by = %who, "drill ended");
    Ok(axum::Json(json!(run)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InjectRequest {
    kind: String,
    target: String,
    #[serde(default)]
    note: String,
    /// Interface of a `link-down` (default 1).
    #[serde(default)]
    if_index: Option<u32>,
}

async fn inject(
    State(state): State<DrillApiState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let who = can_write(&state, &headers)?;
    let req: InjectRequest = parse_body(&body)?;
    let kind: InjectionKind = req
        .kind
        .parse()
        .map_err(|e: String| ApiError::new(StatusCode::BAD_REQUEST, format!("kind: {e}")))?;
    let target = req.target.trim().to_string();
    let run = open_drill(&state).await?;
    inject::check(kind, &target, &run.scope, &state.injector)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e))?;
    // Ground truth is the moment before the effect starts.
    let at_ms = state.now_ms();
    let stored = state
        .drills
        .add_injection(&run.name, kind.as_str(), &target, &req.note, at_ms)
        .await?;
    let effect = inject::perform(
        kind,
        &target,
        req.if_index.unwrap_or(1),
        state.uptime_ticks(),
        &state.injector,
    )
    .await;
    tracing::info!(drill = %run.name, by = %who, id = %stored.injection.id,
        kind = kind.as_str(), %target, action = %effect.action, "drill injection");
    if let Some(e) = &effect.error {
        tracing::warn!(drill = %run.name, id = %stored.injection.id, error = %e,
            "drill injection recorded but its effect failed");
    }
    Ok(created(json!({
        "id": stored.injection.id,
        "drill": run.name,
        "kind": stored.injection.kind,
        "target": stored.injection.target,
        "note": stored.note,
        "at_ms": at_ms,
        "at": rfc3339_millis(at_ms),
        "effect": effect,
    })))
}

async fn current_alerts(
    State(state): State<DrillApiState>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    can_read(&state, &headers)?;
    let run = open_drill(&state).await?;
    let alerts = state
        .drills
        .drill_alerts(&state.alerts, &run, state.now_ms())
        .await?;
    Ok(axum::Json(json!(alerts)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AckRequest {
    alert_id: String,
    /// Who acknowledged; defaults to the token's name.
    #[serde(default)]
    by: String,
}

async fn ack(
    State(state): State<DrillApiState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let token_holder = can_write(&state, &headers)?;
    let req: AckRequest = parse_body(&body)?;
    let run = open_drill(&state).await?;
    let now = state.now_ms();
    let alerts = state.drills.drill_alerts(&state.alerts, &run, now).await?;
    let probe = crate::drill::Ack {
        alert_id: req.alert_id.trim().to_string(),
        who: String::new(),
        at_ms: now,
    };
    let resolved = resolve_acks(std::slice::from_ref(&probe), &alerts);
    if !resolved
        .first()
        .is_some_and(|k| alerts.iter().any(|a| a.id == k.alert_id))
    {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!(
                "no alert of drill {:?} has id {:?} (see GET /api/drills/current/alerts)",
                run.name, probe.alert_id
            ),
        ));
    }
    let who = if req.by.trim().is_empty() {
        token_holder
    } else {
        req.by.trim().to_string()
    };
    let ack = state
        .drills
        .add_ack(&run.name, &probe.alert_id, &who, now)
        .await?;
    tracing::info!(drill = %run.name, alert = %ack.alert_id, by = %who, "drill alert acknowledged");
    Ok(created(json!({
        "drill": run.name,
        "alert_id": ack.alert_id,
        "resolved_alert_id": resolved.first().map(|k| k.alert_id.clone()),
        "by": ack.who,
        "at_ms": ack.at_ms,
        "at": rfc3339_millis(ack.at_ms),
    })))
}

#[derive(Deserialize)]
struct ReportQuery {
    format: Option<String>,
}

async fn report(
    State(state): State<DrillApiState>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(q): Query<ReportQuery>,
) -> ApiResult<Response> {
    can_read(&state, &headers)?;
    let format = q.format.as_deref().unwrap_or("json");
    if !matches!(format, "json" | "md" | "html") {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("format {format:?}: use json, md or html"),
        ));
    }
    let report = state
        .drills
        .report(&state.alerts, &name, state.now_ms())
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, format!("no drill {name:?}")))?;
    let (content_type, body) = match format {
        "md" => ("text/markdown; charset=utf-8", markdown::render(&report)),
        "html" => ("text/html; charset=utf-8", html::render(&report)),
        _ => ("application/json", report.to_json()),
    };
    Ok(([(header::CONTENT_TYPE, content_type)], body).into_response())
}
