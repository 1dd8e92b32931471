#!/usr/bin/env bash
# Installs (once) the Python tools the tests and CI drive, and puts their scripts on PATH.
# Sourced by scripts/test.sh and .ci/run; a fresh machine needs only Python's pip.
#   awscli           the official CLI (botocore carries AWS's API models): emulator conformance
#   moto[server]     third-party emulator: EventBridge pattern checks and differential tests
#   ministack        third-party emulator with EKS access entries: differential tests
#   cfn-lint, aws-sam-cli   template lint (both work offline)
#   cargo-lambda, ziglang   building the deployable zips the way `sam build` does

python_scripts="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')"
export PATH="$python_scripts:$PATH"

need=()
command -v aws >/dev/null 2>&1 || need+=(awscli)
command -v moto_server >/dev/null 2>&1 || need+=("moto[server]")
command -v ministack >/dev/null 2>&1 || need+=(ministack)
command -v cfn-lint >/dev/null 2>&1 || need+=(cfn-lint)
command -v sam >/dev/null 2>&1 || need+=(aws-sam-cli)
command -v cargo-lambda >/dev/null 2>&1 || need+=(cargo-lambda ziglang)
if [ ${#need[@]} -gt 0 ]; then
    echo "installing Python tools: ${need[*]}"
    python3 -m pip install --quiet --disable-pip-version-check "${need[@]}"
    command -v pyenv >/dev/null 2>&1 && pyenv rehash || true
fi
