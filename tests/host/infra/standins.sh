#!/usr/bin/env bash
# Runs ON the test host (after bootstrap): a registry on 127.0.0.1:5000 and stand-in images
# pushed to it, so compose files pinned by digest are exercised as in production.
# Prints one line per pushed image: REPOSITORY TAG DIGEST.
# Usage: standins.sh REPO:TAG:KIND...   KIND healthy* passes its health probes, anything else fails them.
# With LB_STANDIN_REGISTRY=HOST:PORT it pushes to that (already running) registry instead of its own.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
REGISTRY="${LB_STANDIN_REGISTRY:-127.0.0.1:5000}"

missing=()
packages=(busybox-static)
[[ -n "${LB_STANDIN_REGISTRY:-}" ]] || packages+=(docker-registry)
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]} > 0)); then
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
fi
if [[ -z "${LB_STANDIN_REGISTRY:-}" ]]; then
cat >/etc/docker/registry/config.yml <<'CONF'
version: 0.1
storage:
  filesystem:
    rootdirectory: /var/lib/docker-registry
http:
  addr: 127.0.0.1:5000
CONF
systemctl restart docker-registry
for _ in $(seq 1 30); do curl -fsS "http://$REGISTRY/v2/" >/dev/null 2>&1 && break; sleep 1; done
fi

build() {
  local kind="$1" dir
  dir="$(mktemp -d)"
  mkdir -p "$dir/bin" "$dir/usr/local/bin" "$dir/standin" "$dir/tmp"
  cp /bin/busybox "$dir/bin/busybox"
  for applet in sh sleep mkdir cat echo date wget test; do ln -s busybox "$dir/bin/$applet"; done
  echo "$kind" >"$dir/standin/version"
  [[ "$kind" == healthy* ]] && touch "$dir/standin/healthy"
  # Health probes the rendered compose file uses; a stand-in answers by its kind.
  for probe in curl pg_isready mysqladmin redis-cli; do
    printf '#!/bin/sh\ntest -f /standin/healthy\n' >"$dir/usr/local/bin/$probe"
    chmod 0755 "$dir/usr/local/bin/$probe"
  done
  cat >"$dir/standin/run" <<'RUN'
#!/bin/sh
# Log each start into every data volume; a broken stand-in also scribbles over the data.
for d in /data /var/lib/postgresql/data /var/lib/mysql /var/www/html /app/data; do
  if [ -d "$d" ]; then
    echo "$(cat /standin/version) $(date -u +%FT%TZ)" >>"$d/standin.log"
    [ -f /standin/healthy ] || echo scribbled >"$d/marker"
  fi
done
trap 'exit 0' TERM INT
while :; do sleep 1 & wait $!; done
RUN
  chmod 0755 "$dir/standin/run"
  tar -C "$dir" -c . | docker import -c 'ENTRYPOINT ["/standin/run"]' -c 'ENV PATH=/usr/local/bin:/bin' - "standin:$kind" >/dev/null
  rm -rf "$dir"
}

declare -A built=()
for item in "$@"; do
  IFS=: read -r repo tag kind <<<"$item"
  [[ -n "${built[$kind]:-}" ]] || { build "$kind"; built[$kind]=1; }
  docker tag "standin:$kind" "$REGISTRY/$repo:$tag"
  docker push -q "$REGISTRY/$repo:$tag" >/dev/null
  digest="$(docker image inspect -f '{{range .RepoDigests}}{{println .}}{{end}}' "$REGISTRY/$repo:$tag" | grep "^$REGISTRY/$repo@" | head -1)"
  echo "$REGISTRY/$repo $tag ${digest#*@}"
done
