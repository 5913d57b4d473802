//! netops-inventory: the 5G base-station inventory (sites and their lifecycle, yearly build
//! targets per town, signal blind spots), its store (SQLite by default, PostgreSQL by URL),
//! CSV import, and the planners' reports (build progress, blind spots).
//!
//! Nothing is implemented yet: see the inventory issue.
