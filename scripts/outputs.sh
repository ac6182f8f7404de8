#!/usr/bin/env bash
# Print a stage's stack outputs (ApiUrl, BucketName, DashboardUrl, AlarmTopicArn):
#   STAGE=pr-42 scripts/outputs.sh       (make outputs STAGE=pr-42)
# With OUTPUT=KEY, print only that output's value (for scripts and workflows).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/aws-common.sh
. scripts/aws-common.sh

require_stage
if [ -n "${OUTPUT:-}" ]; then
	run_aws cloudformation describe-stacks --stack-name "$STACK" \
		--query "Stacks[0].Outputs[?OutputKey=='$OUTPUT'].OutputValue" --output text
else
	run_aws cloudformation describe-stacks --stack-name "$STACK" \
		--query "Stacks[0].Outputs[].[OutputKey,OutputValue]" --output text
fi
