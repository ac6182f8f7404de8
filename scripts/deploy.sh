#!/usr/bin/env bash
# Deploy one stage of sluice with awscli only (no SAM CLI, no Docker):
#   STAGE=pr-42 scripts/deploy.sh        (make deploy STAGE=pr-42)
#
# 1. `aws cloudformation package` uploads build/function.zip to the artifacts
#    bucket and writes a template that points at it;
# 2. `aws cloudformation deploy` creates or updates the stack sluice-<stage>
#    (CAPABILITY_IAM for the function's role, CAPABILITY_AUTO_EXPAND for the
#    SAM and LanguageExtensions transforms), with parameter overrides and tags;
# 3. the stack's outputs are printed;
# 4. on a stage's first deploy, the stack is deployed once more with
#    SiteOrigin set to its SiteUrl: the API's CORS names the site's origin,
#    which is known only once the distribution exists (docs/web.md); later
#    deploys keep the parameter (cloudformation deploy keeps what it is not
#    given);
# 5. the website is published (scripts/deploy-site.sh).
# DRY_RUN=1 prints the commands instead of running them.
#
# Environment: STAGE (required), BUILD (default build), ARTIFACT_BUCKET
# (default: the ArtifactsBucketName output of the sluice-bootstrap stack),
# ALARM_EMAIL, LOG_LEVEL (default INFO, DEBUG for previews),
# LOG_RETENTION_DAYS (default 365 in prod, 7 for previews), GIT_SHA (default:
# git's HEAD), CFN_ROLE_ARN (the CloudFormation service role from
# infra/bootstrap.yaml; CloudFormation then acts with it, not with the caller).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/aws-common.sh
. scripts/aws-common.sh

require_stage
build="${BUILD:-build}"
zip="$build/function.zip"

if [ "$STAGE" = prod ]; then
	log_level="${LOG_LEVEL:-INFO}"
	retention="${LOG_RETENTION_DAYS:-365}"
else
	log_level="${LOG_LEVEL:-DEBUG}"
	retention="${LOG_RETENTION_DAYS:-7}"
fi
sha="${GIT_SHA:-$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)}"

bucket="${ARTIFACT_BUCKET:-}"
if [ -z "$bucket" ]; then
	if [ -n "${DRY_RUN:-}" ]; then
		bucket=ARTIFACT_BUCKET # the ArtifactsBucketName output of sluice-bootstrap
	else
		bucket=$(aws_cmd cloudformation describe-stacks --stack-name sluice-bootstrap \
			--query "Stacks[0].Outputs[?OutputKey=='ArtifactsBucketName'].OutputValue" \
			--output text)
	fi
fi

if [ -n "${DRY_RUN:-}" ]; then
	echo "make package"
elif [ ! -f "$zip" ]; then
	echo "$0: $zip is missing: run make package" >&2
	exit 1
fi

# The template's CodeUri is relative to the repository root (build/function.zip)
# while `cloudformation package` resolves paths from the template's folder, so
# the packaged copy is made from a copy with the absolute path of the zip.
src="$build/deploy/$STACK.yaml"
packaged="$build/deploy/$STACK.packaged.yaml"
zip_abs="$(pwd)/$zip"
run mkdir -p "$build/deploy"
if [ -n "${DRY_RUN:-}" ]; then
	echo "sed 's|CodeUri: build/function.zip|CodeUri: $zip_abs|' infra/template.yaml > $src"
else
	sed "s|CodeUri: build/function.zip|CodeUri: $zip_abs|" infra/template.yaml >"$src"
	grep -qF "CodeUri: $zip_abs" "$src" || {
		echo "$0: infra/template.yaml has no 'CodeUri: build/function.zip'" >&2
		exit 1
	}
fi

run_aws cloudformation package \
	--template-file "$src" \
	--s3-bucket "$bucket" \
	--s3-prefix "$STACK" \
	--output-template-file "$packaged"

overrides=("Stage=$STAGE" "LogLevel=$log_level" "LogRetentionDays=$retention")
if [ -n "${ALARM_EMAIL:-}" ]; then
	overrides+=("AlarmEmail=$ALARM_EMAIL")
fi

run_aws cloudformation deploy \
	--template-file "$packaged" \
	--stack-name "$STACK" \
	--capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND \
	--no-fail-on-empty-changeset \
	${CFN_ROLE_ARN:+--role-arn "$CFN_ROLE_ARN"} \
	--parameter-overrides "${overrides[@]}" \
	--tags "project=sluice" "stage=$STAGE" "commit=$sha"

run_aws cloudformation describe-stacks \
	--stack-name "$STACK" \
	--query "Stacks[0].Outputs[].[OutputKey,OutputValue]" \
	--output text

stack_output() {
	aws_cmd cloudformation describe-stacks --stack-name "$STACK" \
		--query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
}

if [ -n "${DRY_RUN:-}" ]; then
	echo "# when SiteCorsOrigin differs from SiteUrl (the first deploy of a stage): the deploy above again with SiteOrigin=SITE_URL"
else
	site_url=$(stack_output SiteUrl)
	if [ "$(stack_output SiteCorsOrigin)" != "$site_url" ]; then
		echo "deploy: the API's CORS does not name $site_url yet; deploying with SiteOrigin=$site_url"
		aws_cmd cloudformation deploy \
			--template-file "$packaged" \
			--stack-name "$STACK" \
			--capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND \
			--no-fail-on-empty-changeset \
			${CFN_ROLE_ARN:+--role-arn "$CFN_ROLE_ARN"} \
			--parameter-overrides "${overrides[@]}" "SiteOrigin=$site_url" \
			--tags "project=sluice" "stage=$STAGE" "commit=$sha"
	fi
fi

scripts/deploy-site.sh
