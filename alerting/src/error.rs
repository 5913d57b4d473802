//! The one error type of the crate. Every variant names what failed: the rule file, group
//! and rule; the expression being evaluated; the store; the notifier.

/// Everything that can go wrong in netops-alerting.
#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    /// A rule file could not be read or is not valid YAML in the Prometheus rule-file shape.
    #[error("{path}: {message}")]
    RuleFile { path: String, message: String },

    /// A group-level problem (bad interval, repeated group name).
    #[error("{path}: group \"{group}\": {message}")]
    Group {
        path: String,
        group: String,
        message: String,
    },

    /// A rule-level problem: PromQL syntax, an unsupported PromQL feature, a bad template.
    #[error("{path}: group \"{group}\", rule \"{rule}\": {message}")]
    Rule {
        path: String,
        group: String,
        rule: String,
        message: String,
    },

    /// Evaluation failed at run time (for example many-to-many matching).
    #[error("evaluating `{expr}`: {message}")]
    Eval { expr: String, message: String },

    /// The alert state store (SQLite or PostgreSQL) failed; `what` says which operation.
    #[error("alert store: {what}: {source}")]
    Store {
        what: String,
        #[source]
        source: sqlx::Error,
    },

    /// A notifier could not deliver; `notifier` names it (never its credentials).
    #[error("notifier {notifier}: {message}")]
    Notify { notifier: String, message: String },

    /// A drill definition or report could not be built.
    #[error("drill {drill}: {message}")]
    Drill { drill: String, message: String },
}

/// Errors the evaluator raises before it knows which rule it runs for; the caller wraps
/// them into [`AlertError::Eval`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalError(pub String);

impl std::fmt::Display for EvalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
