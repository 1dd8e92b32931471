#!/usr/bin/env bash
# The one test command (see README): installs the Python tools the tests drive, then runs every
# Rust test in the workspace. Works on a fresh machine with only Rust and pip.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target}"

cargo test --workspace --all-targets
