//! Errors of the agent simulator. Each names what failed: the recording file and line, the
//! command-line flag, the port.

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// A `.snmprec` line that cannot be read: `file:line: field: reason`.
    #[error("{file}:{line}: {field}: {reason}")]
    Snmprec {
        file: String,
        line: usize,
        field: &'static str,
        reason: String,
    },

    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },

    /// A bad command-line value (`--fault`, `--v3-user`, `--agents`, ...).
    #[error("{flag}: {reason}")]
    Config { flag: &'static str, reason: String },

    #[error("cannot bind agent {agent} on {address}: {source}{hint}")]
    Bind {
        agent: usize,
        address: std::net::SocketAddr,
        source: std::io::Error,
        hint: String,
    },
}
