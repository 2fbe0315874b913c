#!/usr/bin/env bash
# Builds Pebble, Let's Encrypt's ACME test server (the host tier issues the tenant certificate with
# it), pinned by engine/pebble/go.mod and go.sum (engine/gotool.sh). Prints what it did and how long
# it took; the last line is the binary. Called by the host tier's setup, so a cold machine builds it.
set -euo pipefail
# shellcheck source=engine/gotool.sh
. "$(dirname "$0")/gotool.sh"
build_go_tool pebble github.com/letsencrypt/pebble/v2 github.com/letsencrypt/pebble/v2/cmd/pebble
# Pebble built from a module reports "dev"; the module version is in the binary's build info.
go version -m "$bin" | grep -qE "^\s+mod\s+github.com/letsencrypt/pebble/v2\s+$version\b" \
  || fail "built pebble does not carry github.com/letsencrypt/pebble/v2 $version"
echo "$bin"
