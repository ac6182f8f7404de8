#!/usr/bin/env bash
# Publish the website of one stage (docs/web.md), after scripts/deploy.sh
# has deployed its stack:
#   STAGE=pr-42 scripts/deploy-site.sh     (make deploy runs it; make deploy-site alone)
#
# 1. config.json is written with the stack's ApiUrl: the page reads the API's
#    URL from it, so one build serves every stage;
# 2. web/dist/assets/ (content-hashed names) goes up with
#    Cache-Control: public, max-age=31536000, immutable; old assets stay, for
#    pages still open on the old index.html;
# 3. the other files of web/dist, then index.html and config.json, with
#    Cache-Control: no-cache (the pages last, so they never name an asset
#    that is not there yet);
# 4. /index.html and /config.json, and nothing else, are invalidated. The
#    SPA function serves every route as /index.html, so that is the one
#    cached page.
# DRY_RUN=1 prints the commands, with the stack's outputs as placeholders.
#
# Environment: STAGE (required), BUILD (default build), WEB_DIST (default
# web/dist), CFN_ROLE_ARN is not needed here (no CloudFormation call).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/aws-common.sh
. scripts/aws-common.sh

require_stage
build="${BUILD:-build}"
dist="${WEB_DIST:-web/dist}"
immutable="public, max-age=31536000, immutable"

output() {
	aws_cmd cloudformation describe-stacks --stack-name "$STACK" \
		--query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
}

if [ -n "${DRY_RUN:-}" ]; then
	echo "make web"
	api_url=API_URL bucket=SITE_BUCKET distribution=SITE_DISTRIBUTION_ID
else
	if [ ! -f "$dist/index.html" ]; then
		echo "$0: $dist/index.html is missing: run make web" >&2
		exit 1
	fi
	api_url=$(output ApiUrl)
	bucket=$(output SiteBucketName)
	distribution=$(output SiteDistributionId)
fi

config="$build/deploy/$STACK.config.json"
run mkdir -p "$build/deploy"
if [ -n "${DRY_RUN:-}" ]; then
	echo "printf '{\"apiUrl\":\"%s\"}\\n' $api_url > $config"
else
	printf '{"apiUrl":"%s"}\n' "$api_url" >"$config"
fi

run_aws s3 sync "$dist/assets" "s3://$bucket/assets" --exclude '*' --include '*.js' \
	--content-type 'text/javascript; charset=utf-8' --cache-control "$immutable"
run_aws s3 sync "$dist/assets" "s3://$bucket/assets" --exclude '*' --include '*.css' \
	--content-type 'text/css; charset=utf-8' --cache-control "$immutable"
run_aws s3 sync "$dist/assets" "s3://$bucket/assets" --exclude '*.js' --exclude '*.css' \
	--cache-control "$immutable"
run_aws s3 sync "$dist" "s3://$bucket" --exclude 'assets/*' --exclude index.html \
	--exclude config.json --cache-control no-cache
run_aws s3 cp "$dist/index.html" "s3://$bucket/index.html" \
	--content-type 'text/html; charset=utf-8' --cache-control no-cache
run_aws s3 cp "$config" "s3://$bucket/config.json" \
	--content-type application/json --cache-control no-cache
run_aws cloudfront create-invalidation --distribution-id "$distribution" \
	--paths /index.html /config.json
