#!/usr/bin/env bash
# Empty one S3 bucket completely: every object version, every delete marker,
# every unfinished multipart upload. A versioned bucket that still holds any
# of them cannot be deleted, and neither can the stack that owns it.
#   scripts/empty-bucket.sh BUCKET
# Honours AWS_ENDPOINT_URL (tests run it against moto's S3 server).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/aws-common.sh
. scripts/aws-common.sh

bucket="${1:?usage: $0 BUCKET}"
page=1000 # DeleteObjects takes at most 1000 keys a call
batch="$(mktemp)"
trap 'rm -f "$batch"' EXIT

deleted=0
while :; do
	# The first page of what is left, versions and delete markers alike, in
	# DeleteObjects' own input shape; each round deletes what it lists.
	# shellcheck disable=SC2016 # JMESPath literals, not shell
	aws_cmd s3api list-object-versions --bucket "$bucket" --max-keys "$page" \
		--no-paginate --output json \
		--query '{Objects: [Versions || `[]`, DeleteMarkers || `[]`][] | [].{Key: Key, VersionId: VersionId}, Quiet: `true`}' \
		>"$batch"
	# shellcheck disable=SC2016
	n=$(aws_cmd s3api list-object-versions --bucket "$bucket" --max-keys "$page" \
		--no-paginate --output text \
		--query 'length([Versions || `[]`, DeleteMarkers || `[]`][])')
	[ "$n" -gt 0 ] || break
	aws_cmd s3api delete-objects --bucket "$bucket" --delete "file://$batch" --output text \
		--query 'Errors[].[Key,VersionId,Code]' | grep -v '^None$' && {
		echo "empty-bucket: $bucket: some deletions failed" >&2
		exit 1
	}
	deleted=$((deleted + n))
done

aws_cmd s3api list-multipart-uploads --bucket "$bucket" --output text \
	--query 'Uploads[].[Key,UploadId]' | while read -r key upload; do
	if [ -z "$key" ] || [ "$key" = None ]; then continue; fi
	aws_cmd s3api abort-multipart-upload --bucket "$bucket" --key "$key" --upload-id "$upload"
done

echo "empty-bucket: $bucket: deleted $deleted versions and delete markers"
