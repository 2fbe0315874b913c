#!/usr/bin/env bash
# Builds Pebble, Let's Encrypt's ACME test server (the host tier issues the tenant certificate with
# it), from the Go module proxy, pinned by engine/pebble/go.mod and go.sum, into a cache outside the
# work tree. Prints what it did and how long it took; the last line is the binary. Called by the host
# tier's setup and by engine/build.sh, so a cold machine builds it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$root/engine/pebble

fail() { echo "engine: $1" >&2; exit "${2:-1}"; }
command -v go >/dev/null || fail "go is not on PATH (pebble is built from Go modules)"
version=$(sed -nE "s@^\s*(require )?github.com/letsencrypt/pebble/v2 (v[0-9][^ ]*).*@\2@p" "$dir/go.mod")
[ -n "$version" ] || fail "engine/pebble/go.mod does not require github.com/letsencrypt/pebble/v2 at one version" 2

bin=${LETSBE_ENGINE_CACHE:-$HOME/.cache/letsbe-engine}/pebble-$version
mkdir -p "$bin"
stamp=$(cat "$dir/go.mod" "$dir/go.sum" | sha256sum | cut -c1-16)
start=$SECONDS
if [ -x "$bin/pebble" ] && [ "$(cat "$bin/.pebble.stamp" 2>/dev/null)" = "$stamp" ]; then
  echo "engine: pebble $version cached ($bin/pebble)"
else
  (cd "$dir" && GOFLAGS=-mod=readonly go build -trimpath -o "$bin/pebble.tmp" github.com/letsencrypt/pebble/v2/cmd/pebble)
  mv "$bin/pebble.tmp" "$bin/pebble"
  echo "$stamp" > "$bin/.pebble.stamp"
  echo "$((SECONDS - start))" > "$bin/.pebble.seconds"
  echo "engine: pebble $version built in $((SECONDS - start)) s"
fi
# Pebble built from a module reports "dev"; the module version is in the binary's build info.
go version -m "$bin/pebble" | grep -qE "^\s+mod\s+github.com/letsencrypt/pebble/v2\s+$version\b" \
  || fail "built pebble does not carry github.com/letsencrypt/pebble/v2 $version"
echo "$bin/pebble"
