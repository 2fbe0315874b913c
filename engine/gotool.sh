#!/usr/bin/env bash
# Sourced by the scripts that build one pinned Go tool (act.sh, pebble.sh): the tool's module is
# pinned by engine/NAME/go.mod and go.sum, built into a cache outside the work tree, rebuilt only
# when those two files change. Sets $version and $bin (the binary's path).
set -euo pipefail

fail() { echo "engine: $1" >&2; exit "${2:-1}"; }

# build_go_tool NAME MODULE PACKAGE
build_go_tool() {
  local name=$1 module=$2 package=$3 dir cache stamp start
  dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$name
  command -v go >/dev/null || fail "go is not on PATH ($name is built from Go modules)"
  version=$(sed -nE "s@^\s*(require )?$module (v[0-9][^ ]*).*@\2@p" "$dir/go.mod")
  [ -n "$version" ] || fail "engine/$name/go.mod does not require $module at one version" 2
  cache=${LETSBE_ENGINE_CACHE:-$HOME/.cache/letsbe-engine}/$name-$version
  bin=$cache/$name
  mkdir -p "$cache"
  stamp=$(cat "$dir/go.mod" "$dir/go.sum" | sha256sum | cut -c1-16)
  start=$SECONDS
  if [ -x "$bin" ] && [ "$(cat "$cache/.$name.stamp" 2>/dev/null)" = "$stamp" ]; then
    echo "engine: $name $version cached ($bin)"
  else
    (cd "$dir" && GOFLAGS=-mod=readonly go build -trimpath -o "$bin.tmp" "$package")
    mv "$bin.tmp" "$bin"
    echo "$stamp" > "$cache/.$name.stamp"
    echo "$((SECONDS - start))" > "$cache/.$name.seconds"
    echo "engine: $name $version built in $((SECONDS - start)) s"
  fi
}
