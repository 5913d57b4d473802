//! Sinks: consumers of samples, one file (or folder) per sink.
