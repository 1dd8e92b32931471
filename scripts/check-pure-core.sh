#!/usr/bin/env bash
# The crate layout as a compiler guarantee (README, "Crate layout"), in seconds:
#
# 1. The pure core — `eks-sso-sync` without features: domain, mapping, inventory, desired state,
#    planner — has no async runtime, AWS SDK or Lambda crate anywhere in its normal dependency
#    tree (`cargo tree` resolves without building).
# 2. It compiles that way (`cargo check --no-default-features`): a `use tokio::…` in the planner
#    fails here, not in review.
# 3. The Lambda functions, resolved together as `cargo lambda build -p …` builds them, do not
#    turn on the in-memory test fakes (`memory`) or the aws-auth import (`migrate`).
set -euo pipefail
cd "$(dirname "$0")/.."

readonly CORE=eks-sso-sync
readonly FUNCTIONS=(group-sync cluster-bootstrap reconciler)
# Crate names the pure core must not depend on, directly or not.
readonly FORBIDDEN='^(tokio|futures|async-trait|lambda_runtime|aws[-_])'
readonly FORBIDDEN_FEATURES='^(memory|migrate)$'

fail() {
    echo "check-pure-core: $*" >&2
    exit 1
}

core_tree="$(cargo tree -p "$CORE" --no-default-features -e normal --prefix none --quiet)"
# `name vX.Y.Z (…)`, once per crate.
core_crates="$(awk '{ print $1 }' <<<"$core_tree" | sort -u)"
offending="$(grep -E "$FORBIDDEN" <<<"$core_crates" || true)"
[[ -z "$offending" ]] ||
    fail "the pure core depends on: $(tr '\n' ' ' <<<"$offending")(see: cargo tree -p $CORE --no-default-features -e normal -i <crate>)"
echo "pure core: $(wc -l <<<"$core_crates") crates, none of tokio, futures, async-trait, lambda_runtime, aws-*"

cargo check -p "$CORE" --no-default-features --lib --quiet ||
    fail "the pure core does not compile without the engine features"
echo "pure core: compiles with --no-default-features"

function_args=()
for f in "${FUNCTIONS[@]}"; do function_args+=(-p "$f"); done
# `-e normal,features`: features as a release build of the functions resolves them (dev
# dependencies, which may enable `memory`, are left out). Lines read `eks-sso-sync feature "x"`.
enabled="$(cargo tree "${function_args[@]}" -e normal,features --prefix none --quiet -i "$CORE" |
    sed -n 's/^eks-sso-sync feature "\([^"]*\)".*/\1/p' | sort -u)"
[[ -n "$enabled" ]] || fail "found no feature of $CORE in the functions' tree (did cargo tree's output change?)"
leaked="$(grep -E "$FORBIDDEN_FEATURES" <<<"$enabled" || true)"
[[ -z "$leaked" ]] ||
    fail "the Lambda functions enable $CORE feature(s) $(tr '\n' ' ' <<<"$leaked")(test fakes or the aws-auth import would ship in the binaries)"
echo "functions: $CORE features $(tr '\n' ' ' <<<"$enabled")(no memory, no migrate)"
