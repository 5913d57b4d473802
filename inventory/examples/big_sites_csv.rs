//! Writes a sites CSV of N rows (default 100,000) to stdout, for measuring import speed:
//!
//! ```text
//! cargo run --release -p netops-inventory --example big_sites_csv -- 100000 > /tmp/sites-100k.csv
//! time netops inventory --db sqlite:///tmp/bench.db import sites /tmp/sites-100k.csv
//! ```
//!
//! The rows are the generated district's sites repeated with fresh ids.

use netops_inventory::fixture::{generate_district, sites_csv};
use std::io::Write;

fn main() -> std::io::Result<()> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let (district, _, _) = generate_district(1);
    let sites: Vec<_> = district
        .iter()
        .cycle()
        .take(n)
        .enumerate()
        .map(|(i, s)| {
            let mut s = s.clone();
            s.site_id = format!("BIG-{:07}", i + 1);
            s
        })
        .collect();
    std::io::stdout()
        .lock()
        .write_all(sites_csv(&sites).as_bytes())
}
