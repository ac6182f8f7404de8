#!/usr/bin/env bash
# Run the stage's migrate function (infra/template.yaml, Handler: migrate)
# inside the VPC and fail when it fails:
#   STAGE=pr-42 scripts/migrate.sh [up|status|plan|create-database|drop-database]
#
# `aws lambda invoke` exits 0 even when the function failed; the failure is
# in the answer's FunctionError. This script prints the function's answer
# (its "output" is what `sluice migrate` would print, or the error naming
# the file and PostgreSQL's reason) and exits 1 on FunctionError, so a
# pipeline's job fails with it. The migrate function's timeout is 300 s, so
# awscli's 60 s read timeout is raised above it.
#
# create-database and drop-database are the preview commands
# (docs/database.md): a preview's PGDATABASE is a database of its own on
# dev's instance, created before its first migration and dropped by
# make destroy.
#
# DRY_RUN=1 prints the invocation; the function's name is then a placeholder.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/aws-common.sh
. scripts/aws-common.sh

require_stage
command="${1:-up}"
case "$command" in
up | status | plan | create-database | drop-database) ;;
*)
	echo "$0: unknown command '$command' (up, status, plan, create-database, drop-database)" >&2
	exit 2
	;;
esac

if [ -n "${DRY_RUN:-}" ]; then
	fn="MIGRATE_FUNCTION_OF_$STACK"
else
	fn=$(aws_cmd cloudformation describe-stacks --stack-name "$STACK" \
		--query "Stacks[0].Outputs[?OutputKey=='MigrateFunctionName'].OutputValue" --output text)
fi

out_dir="${BUILD:-build}/deploy"
answer="$out_dir/$STACK.migrate-$command.json"
meta="$out_dir/$STACK.migrate-$command.meta.json"
run mkdir -p "$out_dir"
if [ -n "${DRY_RUN:-}" ]; then
	run_aws lambda invoke --function-name "$fn" --cli-binary-format raw-in-base64-out \
		--cli-read-timeout 330 --payload "{\"command\":\"$command\"}" "$answer"
	exit 0
fi
run_aws lambda invoke --function-name "$fn" --cli-binary-format raw-in-base64-out \
	--cli-read-timeout 330 --payload "{\"command\":\"$command\"}" "$answer" >"$meta"
cat "$answer"
echo
if grep -q '"FunctionError"' "$meta"; then
	echo "migrate: $command failed in $fn (see the answer above)" >&2
	exit 1
fi
echo "migrate: $command done in $fn"
