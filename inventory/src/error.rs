//! The crate's one error type. Every variant names what failed: the file and line, the
//! field, the site or the database operation.

use crate::import::RowError;

#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    /// The store URL is neither `sqlite:` nor `postgres:`/`postgresql:`.
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://USER@HOST:PORT/DB")]
    UnsupportedUrl(String),

    /// A database operation failed; `what` says which one.
    #[error("database: {what}: {source}")]
    Db {
        what: String,
        #[source]
        source: sqlx::Error,
    },

    #[error("database migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),

    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },

    /// A CSV file had invalid rows; it was refused whole and nothing was written.
    #[error("{file} refused ({n} invalid rows); nothing was written:\n{list}", n = errors.len(), list = RowError::join(errors))]
    Refused { file: String, errors: Vec<RowError> },

    /// A value given through the API or a function argument is invalid.
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },

    #[error("{what} not found")]
    NotFound { what: String },

    #[error("writing CSV: {0}")]
    CsvWrite(#[from] csv::Error),
}

impl InventoryError {
    pub(crate) fn db(what: impl Into<String>) -> impl FnOnce(sqlx::Error) -> Self {
        let what = what.into();
        move |source| Self::Db { what, source }
    }

    pub(crate) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

pub type Result<T, E = InventoryError> = std::result::Result<T, E>;
