#!/usr/bin/env bash
# npm run engine: builds the Pulumi CLI and the Node.js language host from the Go module proxy, pinned by
# engine/*/go.sum, into a cache outside the work tree (reused by every clone on this machine), and writes
# the provider plugins for this checkout. Prints what it built and how long each piece took; the last
# line is the folder holding the binaries.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

fail() { echo "engine: $1" >&2; exit "${2:-1}"; }
command -v go >/dev/null || fail "go is not on PATH (the engine is built from Go modules)"
[ -d node_modules/@pulumi/pulumi ] || fail "node_modules/@pulumi/pulumi missing: run npm ci first" 2

lock_version() { node -p "require('./package-lock.json').packages['node_modules/@pulumi/$1'].version"; }
pulumi_version=$(lock_version pulumi)
grep -q "github.com/pulumi/pulumi/pkg/v3 v$pulumi_version\b" engine/cli/go.mod \
  || fail "engine/cli/go.mod does not pin pkg/v3 v$pulumi_version, the @pulumi/pulumi of package-lock.json" 2
grep -q "github.com/pulumi/pulumi/sdk/v3 v$pulumi_version\b" engine/langhost/go.mod \
  || fail "engine/langhost/go.mod does not pin sdk/v3 v$pulumi_version, the @pulumi/pulumi of package-lock.json" 2

cache=${LETSBE_ENGINE_CACHE:-$HOME/.cache/letsbe-engine}/pulumi-v$pulumi_version
bin=$cache/bin
mkdir -p "$bin"
export GOFLAGS=-mod=readonly

# Rebuilds a binary only when its sources or pins changed; prints the piece and its time either way.
build() {
  local name=$1 dir=$2; shift 2
  local stamp
  stamp=$({ cat "$dir"/go.mod "$dir"/go.sum; cat "$dir"/*.go 2>/dev/null || true; } | sha256sum | cut -c1-16)
  local start=$SECONDS
  if [ -x "$bin/$name" ] && [ "$(cat "$bin/.$name.stamp" 2>/dev/null)" = "$stamp" ]; then
    echo "engine: $name cached ($bin/$name)"
    return
  fi
  (cd "$dir" && go build -trimpath "$@" -o "$bin/$name.tmp" "${BUILD_TARGET:-.}")
  mv "$bin/$name.tmp" "$bin/$name"
  echo "$stamp" > "$bin/.$name.stamp"
  echo "$((SECONDS - start))" > "$bin/.$name.seconds" # the last real build's time, for npm run bench
  echo "engine: $name built in $((SECONDS - start)) s"
}

BUILD_TARGET=github.com/pulumi/pulumi/pkg/v3/cmd/pulumi build pulumi engine/cli -tags osusergo,grpcnotrace \
  -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$pulumi_version"
build pulumi-language-nodejs engine/langhost -ldflags "-X main.Version=$pulumi_version"
"$bin/pulumi" version | grep -qx "v$pulumi_version" || fail "built pulumi does not report v$pulumi_version"

# The dynamic-provider host ships inside @pulumi/pulumi; the CLI finds bundled plugins next to itself.
cp node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs "$bin/"
echo "engine: pulumi-resource-pulumi-nodejs from @pulumi/pulumi $pulumi_version"

# Provider plugins: each release's Go module is asked for once; none is served here today, so each
# gets the stand-in launcher (tests/engine/standins) at the version its npm SDK declares.
home=$root/.cache/engine/home
[ -f dist/tests/engine/standins/main.js ] || fail "dist/tests/engine/standins/main.js missing: run npm run build first" 2
while read -r name module ref; do
  version=$(lock_version "$name")
  reason=$(GOFLAGS=-mod=mod go list -m -json "$module@$ref" 2>&1 | grep -m1 -E "403|404|not available|error|fatal" | sed -E "s/reading https?:[^ ]+ //; s/^go: [^ ]+: //" || true)
  plugin=$home/plugins/resource-$name-v$version
  mkdir -p "$plugin"
  printf '#!/bin/sh\nexec node %q %s %s "$@"\n' "$root/dist/tests/engine/standins/main.js" "$name" "$version" > "$plugin/pulumi-resource-$name"
  chmod +x "$plugin/pulumi-resource-$name"
  echo "engine: $name $version is a STAND-IN (${reason:-module resolved, but no build recipe yet}: $module@$ref)"
done <<'PLUGINS'
command github.com/pulumi/pulumi-command/provider 7f3eb6f3b77cd0fa3895ba437a695dd393f7dd25
random github.com/pulumi/pulumi-random/provider/v4 f2d8b029d0f708bd14bad9479e016560de9c0b6d
hcloud github.com/pulumi/pulumi-hcloud/provider 043b3476c7c546ebdecf3783a07bdc6db0f9352e
cloudflare github.com/pulumi/pulumi-cloudflare/provider/v6 6052b720f3a89f0477aaa0a9b88a386f6293e255
PLUGINS
bash engine/act.sh # the workflow runner of the CI tests (tests/engine/ci.test.ts)
echo "engine: PULUMI_HOME for this checkout: $home"
echo "$bin"
