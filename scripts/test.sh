#!/usr/bin/env bash
# The one test command (see README): installs the Python tools the tests drive (official AWS CLI,
# moto, ministack), then runs every Rust test in the workspace: unit and property tests, the engine
# against the in-process emulator through the real AWS SDK clients, emulator conformance with the
# AWS CLI, differential tests against moto and ministack, the Lambda handlers end to end, the CLI
# (including the demo) and the EventBridge patterns of template.yaml.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
# shellcheck source=python-tools.sh
source scripts/python-tools.sh

cargo test --workspace --all-targets
scripts/iam-simulate.sh  # the IAM boundary: templates rendered and evaluated by a third-party simulator
