#!/usr/bin/env python3
"""The first of a deploy's two stack updates: everything of the new
template except the code of the functions that serve traffic.

    hold-traffic.py NEW_PACKAGED DEPLOYED OUT

NEW_PACKAGED is `aws cloudformation package`'s output for this release,
DEPLOYED the template the stack runs now (`get-template --template-stage
Original`), OUT a JSON template to deploy first. Every function with an
AutoPublishAlias keeps the CodeUri it has in DEPLOYED, so SAM publishes no
new version of it and its alias, the API's integration, does not move: the
traffic stays on the running release. Every other change goes out, the
migrate function's new code included; scripts/deploy.sh then runs the
migrations and deploys NEW_PACKAGED itself, which moves the aliases (the
canary, in prod). A function new in this release has no old code: it gets
the new one (it serves nothing yet).
"""

import json
import sys

from cfnlint.decode import decode


def load(path):
    template, matches = decode(path)
    if matches:
        sys.exit("%s: %s" % (path, "; ".join(str(m) for m in matches)))
    return template


def main(argv):
    if len(argv) != 4:
        sys.exit(__doc__)
    new, deployed = load(argv[1]), load(argv[2])
    old_resources = deployed.get("Resources", {})
    held = []
    for name, res in new.get("Resources", {}).items():
        props = res.get("Properties", {})
        if res.get("Type") != "AWS::Serverless::Function" or "AutoPublishAlias" not in props:
            continue
        old = old_resources.get(name, {}).get("Properties", {}).get("CodeUri")
        if old is not None:
            props["CodeUri"] = old
            held.append(name)
    with open(argv[3], "w") as f:
        json.dump(new, f, indent=1)
    print("hold-traffic: %s keep their running code" % (", ".join(held) or "no functions"))


if __name__ == "__main__":
    main(sys.argv)
