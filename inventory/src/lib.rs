//! netops-inventory: the 5G base-station inventory planners work from.
//!
//! - [`model`]: [`Site`] (with its status lifecycle), [`Target`] (yearly build task per
//!   town) and [`BlindSpot`], and the validation rules shared by import and API.
//! - [`store::Store`]: SQLite by default (`sqlite://netops.db`), PostgreSQL by URL, one code
//!   path through sqlx's Any driver; migrations run on open; every status change is kept.
//! - [`import`]: CSV import, validated whole before anything is written, batched in one
//!   transaction (100,000 rows in seconds).
//! - [`report`]: build progress and blind-spot reports as JSON, CSV or self-contained HTML
//!   with inline SVG; [`geo`] does the haversine nearest-site search behind the coverage check.
//! - [`api::router`]: the HTTP API the daemon mounts; [`metrics`]: its gauges and probe targets.
//! - [`fixture`]: a deterministic made-up district matching the published 2023 figures.

pub mod api;
pub mod date;
pub mod error;
pub mod fixture;
pub mod geo;
pub mod import;
pub mod metrics;
pub mod model;
pub mod report;
pub mod store;

pub use date::Date;
pub use error::{InventoryError, Result};
pub use import::{ImportKind, ImportOptions, RowError};
pub use metrics::{ProbeTarget, gauges, probe_targets};
pub use model::{BlindSpot, Site, SiteStatus, SpotCategory, SpotStatus, StatusChange, Target};
pub use report::{BlindSpotReport, Format, ProgressReport};
pub use store::{DEFAULT_URL, Store};
