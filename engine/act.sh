#!/usr/bin/env bash
# Builds nektos/act, the workflow runner the CI tests drive (Gitea's act_runner is built on it and is
# not served by the Go module proxy), from the module proxy, pinned by engine/act/go.mod and go.sum,
# into a cache outside the work tree. Prints what it did and how long it took; the last line is the
# binary. Called by engine/build.sh, so `npm run engine` builds it on a fresh clone.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$root/engine/act

fail() { echo "engine: $1" >&2; exit "${2:-1}"; }
command -v go >/dev/null || fail "go is not on PATH (act is built from Go modules)"
version=$(sed -nE "s@^\s*(require )?github.com/nektos/act (v[0-9][^ ]*).*@\2@p" "$dir/go.mod")
[ -n "$version" ] || fail "engine/act/go.mod does not require github.com/nektos/act at one version" 2

bin=${LETSBE_ENGINE_CACHE:-$HOME/.cache/letsbe-engine}/act-$version
mkdir -p "$bin"
stamp=$(cat "$dir/go.mod" "$dir/go.sum" | sha256sum | cut -c1-16)
start=$SECONDS
if [ -x "$bin/act" ] && [ "$(cat "$bin/.act.stamp" 2>/dev/null)" = "$stamp" ]; then
  echo "engine: act $version cached ($bin/act)"
else
  (cd "$dir" && GOFLAGS=-mod=readonly go build -trimpath -o "$bin/act.tmp" github.com/nektos/act)
  mv "$bin/act.tmp" "$bin/act"
  echo "$stamp" > "$bin/.act.stamp"
  echo "$((SECONDS - start))" > "$bin/.act.seconds"
  echo "engine: act $version built in $((SECONDS - start)) s"
fi
"$bin/act" --version | grep -qx "act version ${version#v}" || fail "built act does not report ${version#v}"
echo "$bin/act"
