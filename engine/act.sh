#!/usr/bin/env bash
# Builds nektos/act, the workflow runner the CI tests drive (Gitea's act_runner is built on it and is
# not served by the Go module proxy), pinned by engine/act/go.mod and go.sum (engine/gotool.sh).
# Prints what it did and how long it took; the last line is the binary. Called by engine/build.sh,
# so `npm run engine` builds it on a fresh clone.
set -euo pipefail
# shellcheck source=engine/gotool.sh
. "$(dirname "$0")/gotool.sh"
build_go_tool act github.com/nektos/act github.com/nektos/act
"$bin" --version | grep -qx "act version ${version#v}" || fail "built act does not report ${version#v}"
echo "$bin"
