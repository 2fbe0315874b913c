#!/usr/bin/env bash
# Test-only: an image registry on this machine for the end-to-end tier. Stand-ins are pushed to it
# once (real digests); every tenant host container reaches it through a loopback forwarder.
#   registry.sh start PORT DIR   serve on 0.0.0.0:PORT, storage under DIR; prints the pid
#   registry.sh stop PID         stop the registry this script started
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

start() {
  local port="$1" dir="$2"
  if ! command -v docker-registry >/dev/null; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends docker-registry </dev/null >/dev/null
  fi
  mkdir -p "$dir/data"
  cat >"$dir/config.yml" <<CONF
version: 0.1
storage:
  filesystem:
    rootdirectory: $dir/data
http:
  addr: 0.0.0.0:$port
CONF
  setsid docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 </dev/null &
  local pid=$!
  for _ in $(seq 1 30); do
    if curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1; then echo "$pid"; return 0; fi
    sleep 1
  done
  echo "registry did not come up; see $dir/registry.log" >&2
  kill "$pid" 2>/dev/null || true
  exit 1
}

stop() {
  kill "$1" 2>/dev/null || true
}

case "${1:-}" in
  start) start "$2" "$3" ;;
  stop) stop "$2" ;;
  *) echo "usage: $0 start PORT DIR|stop PID" >&2; exit 2 ;;
esac
