#!/usr/bin/env bash
# Deploy one stage of sluice with awscli only (no SAM CLI, no Docker):
#   STAGE=pr-42 scripts/deploy.sh        (make deploy STAGE=pr-42)
#
# 1. `aws cloudformation package` uploads build/function.zip to the artifacts
#    bucket and writes a template that points at it;
# 2. the stage's network and database come from the environment's stacks
#    (sluice-network-<env>, sluice-database-<env>; env is prod for prod, dev
#    for every other stage, or DB_ENV): their outputs become parameter
#    overrides. A preview (pr-*) gets a database of its own on dev's
#    instance, sluice_pr_<n>, and leaves the instance's alarms to dev;
# 3. the stack update: `aws cloudformation deploy` creates or updates the
#    stack sluice-<stage> (CAPABILITY_IAM for the function's role,
#    CAPABILITY_AUTO_EXPAND for the SAM and LanguageExtensions transforms)
#    with everything new except the code of the functions that serve
#    traffic (scripts/hold-traffic.py keeps theirs; a new stack gets all);
# 4. the migrations, inside the VPC: scripts/migrate.sh invokes the migrate
#    function (create-database first for a preview) and fails on its error;
# 5. the traffic shift: the same deploy with the new code everywhere, which
#    publishes new versions and moves the `live` aliases (in prod through
#    CodeDeploy's canary, rolled back on the alarms);
#    then the stack's outputs are printed;
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
# ALARM_EMAIL, LOG_LEVEL (default INFO, DEBUG for previews), DB_ENV,
# API_DOMAIN and API_ZONE_ID (the API's own domain and its Route 53 zone),
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
if [ -n "${API_DOMAIN:-}" ]; then
	overrides+=("ApiDomainName=$API_DOMAIN" "ApiHostedZoneId=${API_ZONE_ID:?API_DOMAIN needs API_ZONE_ID}")
fi

# The environment's network and database (docs/database.md).
if [ "$STAGE" = prod ]; then db_env="${DB_ENV:-prod}"; else db_env="${DB_ENV:-dev}"; fi
network_stack="sluice-network-$db_env"
database_stack="sluice-database-$db_env"
# other_output STACK KEY: an output of another stack (a placeholder in a dry run).
other_output() {
	if [ -n "${DRY_RUN:-}" ]; then
		echo "$1.$2"
	else
		aws_cmd cloudformation describe-stacks --stack-name "$1" \
			--query "Stacks[0].Outputs[?OutputKey=='$2'].OutputValue" --output text
	fi
}
overrides+=(
	"FunctionSubnetIds=$(other_output "$network_stack" PrivateSubnetIds)"
	"FunctionSecurityGroupId=$(other_output "$database_stack" FunctionSecurityGroupId)"
	"MigrateSecurityGroupId=$(other_output "$database_stack" MigrateSecurityGroupId)"
	"DatabaseProxyEndpoint=$(other_output "$database_stack" ProxyEndpoint)"
	"DatabaseProxyResourceId=$(other_output "$database_stack" ProxyResourceId)"
	"DatabaseEndpoint=$(other_output "$database_stack" DatabaseEndpoint)"
	"DatabaseResourceId=$(other_output "$database_stack" DatabaseResourceId)"
	"DatabaseMigrationUser=sluice_migrator"
)
case "$STAGE" in
pr-*)
	# A database of its own on dev's instance; dev's stack has the alarms.
	overrides+=("DatabaseName=sluice_${STAGE//-/_}")
	preview=1
	;;
*)
	overrides+=(
		"DatabaseName=sluice"
		"DatabaseInstanceId=$(other_output "$database_stack" DatabaseInstanceId)"
		"DatabaseProxyName=$(other_output "$database_stack" ProxyName)"
		"DatabaseConnectionsAlarmThreshold=$(other_output "$database_stack" ProxyConnectionsAlarmThreshold)"
	)
	preview=
	;;
esac

# deploy_stack TEMPLATE [OVERRIDE...]: one `aws cloudformation deploy`.
deploy_stack() {
	local template="$1"
	shift
	run_aws cloudformation deploy \
		--template-file "$template" \
		--stack-name "$STACK" \
		--capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND \
		--no-fail-on-empty-changeset \
		${CFN_ROLE_ARN:+--role-arn "$CFN_ROLE_ARN"} \
		--parameter-overrides "${overrides[@]}" "$@" \
		--tags "project=sluice" "stage=$STAGE" "commit=$sha"
}

# The stack update: everything but the serving functions' code.
held="$build/deploy/$STACK.hold.json"
deployed="$build/deploy/$STACK.deployed.yaml"
if [ -n "${DRY_RUN:-}" ]; then
	echo "# when $STACK exists: its running template, and the new one holding the code of the serving functions"
	run_aws cloudformation get-template --stack-name "$STACK" --template-stage Original \
		--query TemplateBody --output text
	run "${PYTHON:-python3}" scripts/hold-traffic.py "$packaged" "$deployed" "$held"
	first="$held"
elif aws_cmd cloudformation describe-stacks --stack-name "$STACK" >/dev/null 2>&1; then
	aws_cmd cloudformation get-template --stack-name "$STACK" --template-stage Original \
		--query TemplateBody --output text >"$deployed"
	"${PYTHON:-python3}" scripts/hold-traffic.py "$packaged" "$deployed" "$held"
	first="$held"
else
	first="$packaged" # a new stack: no traffic to hold
fi
echo "deploy: stack update"
deploy_stack "$first"

# The migrations, inside the VPC, before any traffic reaches the new code.
echo "deploy: migrations"
if [ -n "$preview" ]; then
	scripts/migrate.sh create-database
fi
scripts/migrate.sh up

# The traffic shift: new versions, the aliases move (the canary in prod).
echo "deploy: traffic shift"
deploy_stack "$packaged"

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
		deploy_stack "$packaged" "SiteOrigin=$site_url"
	fi
fi

scripts/deploy-site.sh
