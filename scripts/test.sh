#!/usr/bin/env bash
# The whole test suite: installs what the tests need, then format, lints and every test.
# Tests that need a real service (snmpd, Prometheus, ...) start it themselves on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
