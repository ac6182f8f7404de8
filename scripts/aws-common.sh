# shellcheck shell=bash
# Sourced by the deploy scripts: stage validation, the stack name, and one
# way to run (or, with DRY_RUN=1, print) an awscli command.
#
# AWS_ENDPOINT_URL, when set, is passed to every aws command as --endpoint-url
# (the tests point the scripts at moto's server this way).

# The stage names the stack: sluice-<stage>. Same pattern as the template's.
require_stage() {
	if [ -z "${STAGE:-}" ]; then
		echo "$0: STAGE is required (prod, pr-42, dev, ...)" >&2
		exit 2
	fi
	if ! [[ "$STAGE" =~ ^[a-z0-9][a-z0-9-]{0,19}$ ]]; then
		echo "$0: STAGE '$STAGE' must match ^[a-z0-9][a-z0-9-]{0,19}\$" >&2
		exit 2
	fi
	# shellcheck disable=SC2034 # used by the scripts that source this file
	STACK="sluice-$STAGE"
}

# aws_cmd ARGS...: run aws, with the endpoint override if any.
aws_cmd() {
	if [ -n "${AWS_ENDPOINT_URL:-}" ]; then
		aws --endpoint-url "$AWS_ENDPOINT_URL" "$@"
	else
		aws "$@"
	fi
}

# run_aws ARGS...: aws_cmd, or with DRY_RUN=1 the command line it would run.
run_aws() {
	if [ -n "${AWS_ENDPOINT_URL:-}" ]; then
		run aws --endpoint-url "$AWS_ENDPOINT_URL" "$@"
	else
		run aws "$@"
	fi
}

# run ARGS...: run a command, or print it shell-quoted when DRY_RUN is set.
run() {
	if [ -n "${DRY_RUN:-}" ]; then
		printf '%q ' "$@" | sed 's/ $//'
		echo
	else
		"$@"
	fi
}
