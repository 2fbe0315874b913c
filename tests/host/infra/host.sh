#!/usr/bin/env bash
# Test-only infrastructure for the real-host tier: a Debian 13 host (systemd, sshd) as a
# container reached over SSH on 127.0.0.1. Works unattended (CI, root, no stdin).
#   host.sh engine            install what is missing, start dockerd if none runs
#   host.sh image             build (or reuse the cached) trixie rootfs and import it
#   host.sh run NAME PORT KEY start a host container, authorize public key file KEY for root
#   host.sh stop NAME         remove the host container
#   host.sh engine-stop       stop dockerd if this script started it
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
CACHE="${LETSBE_HOST_CACHE:-$ROOT/.cache/host}"
IMAGE="letsbe-test/debian13-host:1"
ROOTFS_TAR="$CACHE/trixie-rootfs.tar"
export DEBIAN_FRONTEND=noninteractive

log() { printf '[host-infra] %s\n' "$*" >&2; }

need_packages() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  command -v shellcheck >/dev/null || missing+=(shellcheck)
  if ((${#missing[@]} > 0)); then
    log "installing ${missing[*]}"
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
  fi
  # From Debian 13 on, the docker CLI is its own package.
  if ! command -v docker >/dev/null; then
    apt-get install -y -qq --no-install-recommends docker-cli </dev/null >/dev/null
  fi
}

engine() {
  mkdir -p "$CACHE"
  need_packages
  # Prints "running" or "started": only the caller that saw "started" stops the engine.
  if docker info >/dev/null 2>&1; then
    log "a Docker engine already runs; using it"
    echo running
    return 0
  fi
  log "starting dockerd"
  # --bip is Docker's default bridge address, named so that `docker network inspect bridge`
  # reports its gateway (Debian's dockerd 20.10 leaves it empty otherwise; the e2e tier reads it).
  setsid dockerd --bip 172.17.0.1/16 >"$CACHE/dockerd.log" 2>&1 </dev/null &
  echo $! >"$CACHE/dockerd.pid"
  for _ in $(seq 1 60); do
    if docker info >/dev/null 2>&1; then echo started; return 0; fi
    sleep 1
  done
  log "dockerd did not come up; see $CACHE/dockerd.log"
  exit 1
}

engine_stop() {
  if [[ -f "$CACHE/dockerd.pid" ]]; then
    local pid
    pid="$(cat "$CACHE/dockerd.pid")"
    rm -f "$CACHE/dockerd.pid"
    if kill -0 "$pid" 2>/dev/null; then
      log "stopping the dockerd this script started ($pid)"
      kill "$pid"
      for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || return 0; sleep 1; done
    fi
  fi
}

build_rootfs() {
  local dir="$CACHE/rootfs.build"
  rm -rf "$dir"
  log "debootstrap trixie (minbase) into $dir"
  debootstrap --variant=minbase --include=systemd,systemd-sysv,openssh-server,dbus,iproute2,procps \
    trixie "$dir" http://deb.debian.org/debian >"$CACHE/debootstrap.log" 2>&1
  # Nested Docker networking needs this; it belongs to the test host, not to the product.
  mkdir -p "$dir/etc/systemd/system/docker.service.d"
  printf '[Service]\nEnvironment=DOCKER_ALLOW_IPV6_ON_IPV4_INTERFACE=1\n' \
    >"$dir/etc/systemd/system/docker.service.d/test-host.conf"
  # A user with a password, so the test can show password login works before hardening and not after.
  chroot "$dir" useradd -m -s /bin/bash probe
  echo 'probe:probe-password-1' | chroot "$dir" chpasswd
  printf 'PasswordAuthentication yes\n' >"$dir/etc/ssh/sshd_config.d/00-test-image.conf"
  rm -f "$dir"/etc/ssh/ssh_host_*
  chroot "$dir" apt-get clean
  tar -C "$dir" -cf "$ROOTFS_TAR.tmp" .
  mv "$ROOTFS_TAR.tmp" "$ROOTFS_TAR"
  rm -rf "$dir"
}

image() {
  mkdir -p "$CACHE"
  # Test files run in parallel and each asks for the image: one builds, the others wait for it.
  exec 9>"$CACHE/image.lock"
  flock 9
  if [[ ! -s "$ROOTFS_TAR" ]]; then build_rootfs; else log "reusing cached rootfs $ROOTFS_TAR"; fi
  local sum
  sum="$(sha256sum "$ROOTFS_TAR" | cut -c1-16)"
  if [[ "$(docker image inspect -f '{{index .Config.Labels "rootfs"}}' "$IMAGE" 2>/dev/null || true)" != "$sum" ]]; then
    log "importing $IMAGE"
    docker import -c 'CMD ["/sbin/init"]' -c "LABEL rootfs=$sum" "$ROOTFS_TAR" "$IMAGE" >/dev/null
  fi
}

run() {
  local name="$1" port="$2" key="$3"
  launch "$name" "$key" -p "127.0.0.1:$port:22"
}

# A host at a fixed address on a test network, reached there on port 22 as a server would be.
run_at() {
  local name="$1" net="$2" address="$3" key="$4"
  launch "$name" "$key" --network "$net" --ip "$address"
}

network() {
  local net="$1" subnet="$2" gateway="$3"
  docker network inspect "$net" >/dev/null 2>&1 \
    || docker network create --subnet "$subnet" --gateway "$gateway" "$net" >/dev/null
}

launch() {
  local name="$1" key="$2"
  shift 2
  docker rm -f "$name" >/dev/null 2>&1 || true
  docker run -d --name "$name" --hostname letsbe-test-host \
    --cap-add SYS_ADMIN --cap-add NET_ADMIN --security-opt seccomp=unconfined \
    --tmpfs /run --tmpfs /run/lock -v /sys/fs/cgroup:/sys/fs/cgroup:ro \
    -v /var/lib/docker "$@" "$IMAGE" /sbin/init >/dev/null
  for _ in $(seq 1 60); do
    if docker exec "$name" systemctl is-system-running --quiet 2>/dev/null \
      || [[ "$(docker exec "$name" systemctl is-system-running 2>/dev/null || true)" == degraded ]]; then break; fi
    sleep 1
  done
  # Host keys are made per container, as a fresh server would.
  docker exec "$name" ssh-keygen -A >/dev/null
  # sshd failed its first starts without host keys; clear that before starting it again.
  docker exec "$name" systemctl reset-failed ssh.service
  docker exec "$name" systemctl restart ssh.service
  docker exec "$name" install -d -m 0700 /root/.ssh
  docker cp "$key" "$name:/root/.ssh/authorized_keys"
  docker exec "$name" sh -c 'chown root:root /root/.ssh/authorized_keys && chmod 0600 /root/.ssh/authorized_keys'
  docker exec "$name" systemctl is-active --quiet ssh
}

stop() {
  docker rm -f -v "$1" >/dev/null 2>&1 || true
}

case "${1:-}" in
  engine) engine ;;
  engine-stop) engine_stop ;;
  image) image ;;
  run) run "$2" "$3" "$4" ;;
  run-at) run_at "$2" "$3" "$4" "$5" ;;
  network) network "$2" "$3" "$4" ;;
  network-rm) docker network rm "$2" >/dev/null 2>&1 || true ;;
  stop) stop "$2" ;;
  *) echo "usage: $0 engine|image|run NAME PORT KEY|run-at NAME NETWORK ADDRESS KEY|network NAME SUBNET GATEWAY|network-rm NAME|stop NAME|engine-stop" >&2; exit 2 ;;
esac
