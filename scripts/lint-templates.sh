#!/usr/bin/env bash
# Lints the CloudFormation / SAM templates offline: cfn-lint on both templates, then SAM's own
# validation with its linter. Any error or warning fails the script; the only ignores allowed are
# justified ones in .cfnlintrc or in a resource's `Metadata: cfn-lint: config: ignore_checks`.
set -euo pipefail
cd "$(dirname "$0")/.."

# Offline: no credentials, no telemetry; the region only selects cfn-lint's resource specs.
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
export SAM_CLI_TELEMETRY=0

# shellcheck source=python-tools.sh
source scripts/python-tools.sh

echo "cfn-lint $(cfn-lint --version | awk '{print $2}'): template.yaml member-account.yaml"
cfn-lint --non-zero-exit-code warning template.yaml member-account.yaml

echo "sam validate --lint: template.yaml"
sam validate --lint --template template.yaml
