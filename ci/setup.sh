#!/usr/bin/env bash
# Toolchain for a fresh Debian 12 build container (CodeBuild, or GitHub
# Actions' `container: debian:12`): the few packages scripts/deps needs to
# run, a virtualenv with the Python test tools (Debian's pip refuses to
# install system-wide), then make deps for everything else.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
	ca-certificates git make sudo python3 python3-venv nodejs npm zip unzip curl
python3 -m venv /opt/sluice-venv
/opt/sluice-venv/bin/pip install -q -r requirements-dev.txt
export PATH="/opt/sluice-venv/bin:$PATH"
make deps
