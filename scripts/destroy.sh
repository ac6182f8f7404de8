#!/usr/bin/env bash
# Tear down one stage: empty its buckets, delete the stack, wait.
#   STAGE=pr-42 scripts/destroy.sh               (make destroy STAGE=pr-42)
#   STAGE=prod CONFIRM=prod scripts/destroy.sh   (prod needs CONFIRM=prod)
#
# A stack whose bucket still holds objects, versions or delete markers fails
# to delete (seed 004), so every bucket of the stack is emptied first with
# scripts/empty-bucket.sh. In prod the buckets are DeletionPolicy Retain: they
# outlive the stack and keep their data, unless EMPTY_RETAINED=1.
# A preview's own database (sluice_pr_<n> on dev's instance) is dropped
# through its migrate function before the stack goes.
# DRY_RUN=1 prints the commands instead. CFN_ROLE_ARN: the service role to delete with.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/aws-common.sh
. scripts/aws-common.sh

require_stage
if [ "$STAGE" = prod ] && [ "${CONFIRM:-}" != prod ]; then
	echo "$0: refusing to destroy sluice-prod without CONFIRM=prod" >&2
	exit 2
fi

if [ -n "${DRY_RUN:-}" ]; then
	buckets="BUCKETS_OF_$STACK"
else
	buckets=$(aws_cmd cloudformation list-stack-resources --stack-name "$STACK" \
		--query "StackResourceSummaries[?ResourceType=='AWS::S3::Bucket' && ResourceStatus!='DELETE_COMPLETE'].PhysicalResourceId" \
		--output text)
fi

for bucket in $buckets; do
	[ "$bucket" != None ] || continue
	if [ "$STAGE" = prod ] && [ -z "${EMPTY_RETAINED:-}" ]; then
		echo "destroy: keeping $bucket and its data (Retain in prod)"
		continue
	fi
	run scripts/empty-bucket.sh "$bucket"
done

# A preview's database on dev's instance goes first, while its migrate
# function still exists to drop it.
case "$STAGE" in
pr-*) run scripts/migrate.sh drop-database ;;
esac

run_aws cloudformation delete-stack --stack-name "$STACK" ${CFN_ROLE_ARN:+--role-arn "$CFN_ROLE_ARN"}
run_aws cloudformation wait stack-delete-complete --stack-name "$STACK"
[ -n "${DRY_RUN:-}" ] || echo "destroy: $STACK deleted"
