#!/usr/bin/env bash
# Shared helpers of the bootstrap stages. Every helper changes the host only when it differs
# from what is wanted, and counts what it changed, so a second run reports zero changes.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
# `printf ... | lb_put ...` must count its change in this shell, not in a pipeline subshell.
shopt -s lastpipe

LB_CHANGES=0
# 1 when the last lb_put/lb_apt changed something (callers reload services on it).
LB_LAST_CHANGED=0

lb_log() { printf '[letsbe] %s\n' "$*"; }
lb_fail() { printf '[letsbe] error: %s\n' "$*" >&2; exit 1; }

lb_changed() {
  LB_CHANGES=$((LB_CHANGES + 1))
  LB_LAST_CHANGED=1
  printf '[letsbe] changed: %s\n' "$*"
}

# lb_put PATH MODE OWNER:GROUP < content. Written in place (bind-mounted files cannot be renamed over).
lb_put() {
  local path="$1" mode="$2" owner="$3" tmp
  LB_LAST_CHANGED=0
  tmp="$(mktemp)"
  cat >"$tmp"
  if [[ ! -f "$path" ]] || ! cmp -s "$tmp" "$path"; then
    # Only when missing: install -d would also reset the mode of an existing folder.
    [[ -d "$(dirname "$path")" ]] || install -d -m 0755 "$(dirname "$path")"
    # Tighten before the content lands, so a secret is never briefly world-readable.
    touch "$path" && chmod "$mode" "$path" && chown "$owner" "$path"
    cat "$tmp" >"$path"
    lb_changed "$path"
  fi
  rm -f "$tmp"
  if [[ "$(stat -L -c '%a %U:%G' "$path")" != "${mode#0} $owner" ]]; then
    chmod "$mode" "$path" && chown "$owner" "$path"
    lb_changed "$path mode/owner"
  fi
}

# lb_mode PATH MODE OWNER:GROUP: an existing file or folder (a package's) gets this mode and owner.
lb_mode() {
  local path="$1" mode="$2" owner="$3"
  [[ -e "$path" ]] || return 0
  if [[ "$(stat -L -c '%a %U:%G' "$path")" != "${mode#0} $owner" ]]; then
    chmod "$mode" "$path" && chown "$owner" "$path"
    lb_changed "$path mode/owner"
  fi
}

# lb_dir PATH MODE OWNER:GROUP
lb_dir() {
  local path="$1" mode="$2" owner="$3"
  if [[ ! -d "$path" ]]; then
    install -d -m "$mode" -o "${owner%%:*}" -g "${owner##*:}" "$path"
    lb_changed "$path/"
  elif [[ "$(stat -L -c '%a %U:%G' "$path")" != "${mode#0} $owner" ]]; then
    chmod "$mode" "$path" && chown "$owner" "$path"
    lb_changed "$path/ mode/owner"
  fi
}

# Containers (the test hosts) share the machine's kernel: kernel settings and the audit
# subsystem are configured there but cannot be applied.
lb_in_container() { systemd-detect-virt --quiet --container; }

lb_installed() { [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]; }

# lb_apt PKG... installs only what is missing, without recommends.
lb_apt() {
  local missing=() pkg
  # shellcheck disable=SC2034 # read by the stages
  LB_LAST_CHANGED=0
  for pkg in "$@"; do lb_installed "$pkg" || missing+=("$pkg"); done
  ((${#missing[@]} == 0)) && return 0
  if [[ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -print -quit 2>/dev/null)" ]]; then
    apt-get update -qq
  fi
  apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}" >/dev/null
  lb_changed "installed ${missing[*]}"
}

# lb_enable UNIT: enabled and running.
lb_enable() {
  local unit="$1"
  if ! systemctl is-enabled --quiet "$unit" 2>/dev/null; then
    systemctl enable --quiet "$unit"
    lb_changed "enabled $unit"
  fi
  if ! systemctl is-active --quiet "$unit"; then
    systemctl start "$unit"
    lb_changed "started $unit"
  fi
}

# lb_secret NAME: a value from this stage's secrets file (loaded by the runner); empty if absent.
lb_secret() {
  local var="LB_SECRET_$1"
  printf '%s' "${!var:-}"
}

# lb_tunnel_up IFACE: the WireGuard interface exists and has had a handshake in the last 3 minutes
# (keepalives renew it every 2). SSH moves onto the tunnel only then, so a switch never locks out.
lb_tunnel_up() {
  local now _key ts
  command -v wg >/dev/null && ip link show "$1" >/dev/null 2>&1 || return 1
  now="$(date +%s)"
  while read -r _key ts; do
    if [[ "$ts" =~ ^[0-9]+$ ]] && ((ts > 0 && now - ts < 180)); then return 0; fi
  done < <(wg show "$1" latest-handshakes 2>/dev/null)
  return 1
}

lb_require() {
  local name
  for name in "$@"; do [[ -n "${!name:-}" ]] || lb_fail "parameter $name is required by stage ${LB_STAGE:-?}"; done
}
