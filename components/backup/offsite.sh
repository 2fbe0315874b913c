#!/usr/bin/env bash
# Stage: the daily backup's off-site remote, this tenant's own Storage Box subaccount over SFTP.
# Host, user and password arrive on stdin (OFFSITE_*); the password is obscured here, by rclone
# reading it on its standard input, so it is never on a command line. The SFTP server's host key
# is recorded on first contact and pinned from then on.
set -euo pipefail
if ! declare -F lb_changed >/dev/null; then
  # shellcheck source-path=SCRIPTDIR source=../host/scripts/lib.sh
  source "$(dirname "${BASH_SOURCE[0]}")/../host/scripts/lib.sh"
fi

OFFSITE_CONFIG=/etc/letsbe/backup-rclone.conf
OFFSITE_KNOWN_HOSTS=/etc/letsbe/backup-known_hosts
# What the config was written from (a digest, root-only): rclone's obscuring is salted, so the
# config itself differs on every run and cannot tell whether anything changed.
OFFSITE_SOURCE_DIGEST=/etc/letsbe/backup-rclone.sha256

stage_main() {
  local host user password digest obscured keys
  local port="${LB_OFFSITE_PORT:-22}" remote="${LB_OFFSITE_REMOTE:-letsbe-offsite}"
  host="$(lb_secret OFFSITE_HOST)"
  user="$(lb_secret OFFSITE_USER)"
  [[ "$host" =~ ^[A-Za-z0-9.-]+$ ]] || lb_fail "OFFSITE_HOST is not a host name"
  [[ "$user" =~ ^[A-Za-z0-9._-]+$ ]] || lb_fail "OFFSITE_USER is not a user name"
  [[ "$port" =~ ^[0-9]{1,5}$ ]] || lb_fail "LB_OFFSITE_PORT is not a port"
  [[ "$remote" =~ ^[A-Za-z0-9_-]+$ ]] || lb_fail "LB_OFFSITE_REMOTE is not an rclone remote name"
  password="$(lb_secret OFFSITE_PASSWORD)"
  [[ -n "$password" ]] || lb_fail "secret OFFSITE_PASSWORD is missing"
  lb_apt rclone openssh-client
  lb_dir /etc/letsbe 0755 root:root

  # Trust on first use, then pinned: rclone refuses a host whose key is not in this file. Names
  # as ssh-keyscan and Go's knownhosts write them: the bare host on 22, [host]:port otherwise.
  local known="$host"
  [[ "$port" == 22 ]] || known="[$host]:$port"
  if ! { [[ -f "$OFFSITE_KNOWN_HOSTS" ]] && ssh-keygen -F "$known" -f "$OFFSITE_KNOWN_HOSTS" >/dev/null 2>&1; }; then
    keys="$(ssh-keyscan -T 15 -p "$port" -t ed25519,ecdsa,rsa "$host" 2>/dev/null || true)"
    [[ -n "$keys" ]] || lb_fail "no SSH host key from the off-site host $host port $port (ssh-keyscan)"
    { [[ -f "$OFFSITE_KNOWN_HOSTS" ]] && cat "$OFFSITE_KNOWN_HOSTS"; printf '%s\n' "$keys"; } | lb_put "$OFFSITE_KNOWN_HOSTS" 0600 root:root
  fi

  digest="$(printf '%s\n%s\n%s\n%s\n%s\n' "$remote" "$host" "$port" "$user" "$password" | sha256sum | cut -d' ' -f1)"
  if [[ -f "$OFFSITE_CONFIG" && -f "$OFFSITE_SOURCE_DIGEST" && "$(cat "$OFFSITE_SOURCE_DIGEST")" == "$digest" ]]; then
    return 0
  fi
  obscured="$(printf '%s' "$password" | rclone obscure -)"
  [[ -n "$obscured" ]] || lb_fail "rclone obscure gave nothing"
  # shell_type none: port 22 of a Storage Box speaks SFTP only, and rclone then runs no remote commands.
  lb_put "$OFFSITE_CONFIG" 0600 root:root <<CONF
# Managed by LetsBe bootstrap (offsite stage).
[$remote]
type = sftp
host = $host
port = $port
user = $user
pass = $obscured
shell_type = none
known_hosts_file = $OFFSITE_KNOWN_HOSTS
CONF
  printf '%s\n' "$digest" | lb_put "$OFFSITE_SOURCE_DIGEST" 0600 root:root
}
