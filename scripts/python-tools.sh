#!/usr/bin/env bash
# Installs (once) the Python tools the tests and CI drive, each in its own virtualenv so their
# pinned dependencies (awscli pins botocore exactly; ministack and moto want others) never fight,
# and puts their commands on PATH. Sourced by scripts/test.sh, scripts/lint-templates.sh and
# .ci/run; a fresh machine needs only Python with pip.
#   awscli                 the official CLI (botocore carries AWS's API models): emulator conformance
#   moto[server]           third-party emulator: EventBridge pattern checks and differential tests
#   ministack              third-party emulator with EKS access entries: differential tests
#   cfn-lint, aws-sam-cli  template lint (both work offline)
#   cargo-lambda, ziglang  building the deployable zips the way `sam build` does

tools_dir="${EKS_SSO_SYNC_TOOLS:-$HOME/.cache/eks-sso-sync-tools}"
mkdir -p "$tools_dir/bin"

# tool <venv> "<commands to expose>" <pip requirement>...
tool() {
    local name="$1" commands="$2"
    shift 2
    local first="${commands%% *}"
    if [ ! -x "$tools_dir/$name/bin/$first" ]; then
        echo "installing $* into $tools_dir/$name" >&2
        python3 -m venv "$tools_dir/$name"
        "$tools_dir/$name/bin/python" -m pip install --quiet --disable-pip-version-check "$@" >&2
    fi
    local command
    for command in $commands; do
        ln -sf "$tools_dir/$name/bin/$command" "$tools_dir/bin/$command"
    done
}

tool awscli "aws" awscli
tool moto "moto_server" "moto[server]"
tool ministack "ministack" ministack
tool cfn-lint "cfn-lint" cfn-lint
tool sam "sam" aws-sam-cli
tool cloud-radar "cfn-flip" "cloud-radar==0.17.0"  # renders templates for scripts/iam-simulate.sh
tool cargo-lambda "cargo-lambda" cargo-lambda ziglang
# cargo-lambda cross-compiles with zig; expose the binary the ziglang wheel ships.
for zig in "$tools_dir"/cargo-lambda/lib/python3*/site-packages/ziglang/zig; do
    [ -x "$zig" ] && ln -sf "$zig" "$tools_dir/bin/zig"
done

export PATH="$tools_dir/bin:$PATH"
