#!/usr/bin/env bash
# Builds the three Lambda deployables the way `sam build` (BuildMethod: rust-cargolambda) does:
# `cargo lambda build --release --output-format zip`, one bootstrap.zip per function, and records
# each zip's size. Quiet except for the summary; the full cargo output goes to a log file that is
# printed (its tail) only when the build fails. See docs/lambda-build.md.
#
# Architecture: the template deploys arm64. Building it needs the aarch64-unknown-linux-gnu Rust
# target, which comes from the toolchain server and may be unreachable on a fresh machine: the
# script tries `rustup target add` once and otherwise builds for the host, saying which it built.
#
# Environment:
#   CARGO_TARGET_DIR   where to build (default: target); zips land in $CARGO_TARGET_DIR/lambda
#   LAMBDA_ARCH        force `arm64` or `x86_64` instead of choosing as above
#   LAMBDA_BUILD_VERBOSE=1  pass -v to cargo (the rustc flags end up in the log)
set -euo pipefail
cd "$(dirname "$0")/.."

readonly FUNCTIONS=(group-sync cluster-bootstrap reconciler)
readonly ARM_TRIPLE=aarch64-unknown-linux-gnu
readonly X86_TRIPLE=x86_64-unknown-linux-gnu
target_dir="${CARGO_TARGET_DIR:-target}"
mkdir -p "$target_dir"
target_dir="$(cd "$target_dir" && pwd)"
readonly lambda_dir="$target_dir/lambda"
readonly sizes_file="$target_dir/lambda-sizes.txt"
readonly log_file="$target_dir/lambda-build.log"

fail() {
    echo "build-lambdas: $*" >&2
    exit 1
}

# cargo-lambda and zig (its linker for Linux glibc targets) both come from PyPI in seconds. Without
# zig, cargo-lambda would ask interactively whether to install it, which hangs a CI job.
have_zig() {
    command -v zig >/dev/null 2>&1 || python3 -m ziglang version >/dev/null 2>&1
}

ensure_cargo_lambda() {
    if cargo lambda --version >/dev/null 2>&1 && have_zig; then
        return
    fi
    python3 -m pip install --quiet --disable-pip-version-check cargo-lambda ziglang >"$log_file" 2>&1 ||
        { tail -n 20 "$log_file" >&2; fail "pip install cargo-lambda ziglang failed"; }
    hash -r
    cargo lambda --version >/dev/null 2>&1 || fail "cargo-lambda installed but 'cargo lambda' is not on PATH"
    have_zig || fail "ziglang installed but zig is not reachable"
}

arm_target_installed() {
    rustup target list --installed 2>/dev/null | grep -qx "$ARM_TRIPLE"
}

# Prints "<triple> <arch>" for the build: arm64 when its target is (or can be) installed, else the host.
choose_target() {
    case "${LAMBDA_ARCH:-}" in
        arm64) echo "$ARM_TRIPLE arm64"; return ;;
        x86_64) echo "$X86_TRIPLE x86_64"; return ;;
        "") ;;
        *) fail "LAMBDA_ARCH must be arm64 or x86_64, not '$LAMBDA_ARCH'" ;;
    esac
    if arm_target_installed || { rustup target add "$ARM_TRIPLE" >/dev/null 2>&1 && arm_target_installed; }; then
        echo "$ARM_TRIPLE arm64"
        return
    fi
    case "$(uname -m)" in
        x86_64) echo "$X86_TRIPLE x86_64" ;;
        aarch64 | arm64) echo "$ARM_TRIPLE arm64" ;;
        *) fail "host architecture $(uname -m) is not a Lambda architecture" ;;
    esac
}

build() {
    local triple="$1"
    local args=(lambda build --release --output-format zip --target "$triple" --lambda-dir "$lambda_dir")
    # The bundled mapping is what MAPPING_SOURCE=file (the template default) reads from /var/task.
    [[ -f mapping.yaml ]] && args+=(--include mapping.yaml)
    [[ "${LAMBDA_BUILD_VERBOSE:-}" == 1 ]] && args+=(-v)
    for f in "${FUNCTIONS[@]}"; do args+=(-p "$f"); done
    if ! cargo "${args[@]}" >"$log_file" 2>&1; then
        tail -n 40 "$log_file" >&2
        fail "cargo lambda build failed (full log: $log_file)"
    fi
}

summarise() {
    local arch="$1" triple="$2" seconds="$3"
    {
        echo "architecture: $arch ($triple)"
        echo "build seconds: $seconds"
        for f in "${FUNCTIONS[@]}"; do
            local zip="$lambda_dir/$f/bootstrap.zip"
            [[ -f "$zip" ]] || fail "expected $zip after the build"
            local bytes
            bytes=$(stat -c %s "$zip")
            awk -v f="$f" -v z="$zip" -v b="$bytes" \
                'BEGIN { printf "%-18s %10d bytes %7.2f MiB  %s\n", f, b, b / 1048576, z }'
        done
    } | tee "$sizes_file"
}

main() {
    ensure_cargo_lambda
    local choice triple arch
    choice="$(choose_target)"
    read -r triple arch <<<"$choice"
    local start=$SECONDS
    build "$triple"
    summarise "$arch" "$triple" $((SECONDS - start))
}

main "$@"
