#!/usr/bin/env bash
# The IAM boundary, proven with third-party tools (README, "IAM permissions, and why"):
#   1. expand the SAM transform of template.yaml (aws-sam-translator, AWS's own) and render both
#      templates with the realistic parameters of tests/iam/scenario.json (cloud-radar);
#   2. evaluate with @cloud-copilot/iam-simulate (pinned in tests/iam/package-lock.json):
#      allowed - every call the engine and the functions make must be allowed for the role that
#                made it: the hand-written corpus tests/iam/corpus/engine-calls.jsonl, plus the
#                calls the emulator records during `eks-sso-sync demo` when it can
#                (EKS_SSO_SYNC_IAM_LOG);
#      denied  - every escalation in tests/iam/attacks.json must be denied.
#   3. check that emulator/policies/member-roles.json (the rendered member roles the demo and the
#      enforcement tests seed) is what the templates render today; --write-emulator-policies
#      rewrites it instead of failing.
# Prints both tables with "allowed: N/N" and "denied: M/M"; exits non-zero on any mismatch.
# Needs only Python with pip and node with npm.
set -euo pipefail
cd "$(dirname "$0")/.."
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-eu-west-1}"
export SAM_CLI_TELEMETRY=0

# shellcheck source=python-tools.sh
source scripts/python-tools.sh

write_policies=false
[ "${1:-}" = --write-emulator-policies ] && write_policies=true

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd tests/iam && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

corpora=(tests/iam/corpus/engine-calls.jsonl)
# Rendered first: the demo below seeds its member roles with the committed copy.
"$tools_dir/sam/bin/python" tests/iam/sam_transform.py template.yaml >"$work/hub-cfn.json"
"$tools_dir/cloud-radar/bin/python" tests/iam/render.py tests/iam/scenario.json "$work/hub-cfn.json" \
    member-account.yaml "$work/policies.json"
committed=emulator/policies/member-roles.json
python3 tests/iam/emulator_policies.py "$work/policies.json" "$work/member-roles.json"
if $write_policies; then
    cp "$work/member-roles.json" "$committed"
    echo "iam-simulate: wrote $committed"
elif ! diff -u "$committed" "$work/member-roles.json" >"$work/policies.diff"; then
    cat "$work/policies.diff" >&2
    echo "iam-simulate: $committed is not what member-account.yaml renders;" \
        "run scripts/iam-simulate.sh --write-emulator-policies and commit it" >&2
    exit 1
fi
echo "emulator member-role policies: $committed matches the rendered templates"

# The emulator records one line per call made with assumed-role credentials once it supports it.
if grep -rqs EKS_SSO_SYNC_IAM_LOG emulator/src; then
    export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
    EKS_SSO_SYNC_IAM_LOG="$work/recorded.jsonl" cargo run --quiet -p eks-sso-sync-cli -- demo >"$work/demo.log" 2>&1 \
        || { cat "$work/demo.log" >&2; echo "iam-simulate: the demo failed" >&2; exit 1; }
    [ -s "$work/recorded.jsonl" ] || { echo "iam-simulate: the demo recorded no call" >&2; exit 1; }
    corpora+=("$work/recorded.jsonl")
fi

node tests/iam/simulate.mjs "$work/policies.json" --allowed "${corpora[@]}" --denied tests/iam/attacks.json
