#!/usr/bin/env bash
# Stage: hostname, time zone and locale.
set -euo pipefail
if ! declare -F lb_changed >/dev/null; then
  # shellcheck source-path=SCRIPTDIR source=../lib.sh
  source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
fi

stage_main() {
  lb_require LB_HOSTNAME LB_TIMEZONE LB_LOCALE
  lb_apt tzdata
  printf '%s\n' "$LB_HOSTNAME" | lb_put /etc/hostname 0644 root:root
  if [[ "$(hostname)" != "$LB_HOSTNAME" ]]; then
    hostname "$LB_HOSTNAME"
    lb_changed "hostname $LB_HOSTNAME"
  fi
  if ! grep -qE "^127\.0\.1\.1[[:space:]]+$LB_HOSTNAME\$" /etc/hosts; then
    # In place: /etc/hosts can be a bind mount that cannot be renamed over.
    local hosts
    hosts="$(grep -v '^127\.0\.1\.1[[:space:]]' /etc/hosts || true)"
    printf '%s\n127.0.1.1\t%s\n' "$hosts" "$LB_HOSTNAME" >/etc/hosts
    lb_changed "/etc/hosts 127.0.1.1 $LB_HOSTNAME"
  fi
  [[ -f "/usr/share/zoneinfo/$LB_TIMEZONE" ]] || lb_fail "unknown time zone $LB_TIMEZONE"
  if [[ "$(readlink /etc/localtime)" != "/usr/share/zoneinfo/$LB_TIMEZONE" ]]; then
    ln -sfn "/usr/share/zoneinfo/$LB_TIMEZONE" /etc/localtime
    lb_changed "time zone $LB_TIMEZONE"
  fi
  printf '%s\n' "$LB_TIMEZONE" | lb_put /etc/timezone 0644 root:root
  printf 'LANG=%s\n' "$LB_LOCALE" | lb_put /etc/default/locale 0644 root:root
}
