#!/usr/bin/env bash
# Stage: fail2ban on sshd, reading the journal (Debian 13 hosts have no auth.log).
set -euo pipefail
if ! declare -F lb_changed >/dev/null; then
  # shellcheck source-path=SCRIPTDIR source=../lib.sh
  source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
fi

stage_main() {
  lb_require LB_SSH_PORT
  lb_apt fail2ban python3-systemd
  lb_put /etc/fail2ban/jail.d/letsbe.local 0644 root:root <<CONF
[DEFAULT]
banaction = ufw
bantime = 1h
findtime = 10m
maxretry = 5
ignoreip = 127.0.0.1/8 ::1 ${LB_MGMT_CIDRS:-}

[sshd]
enabled = true
backend = systemd
port = $LB_SSH_PORT
CONF
  local changed=$LB_LAST_CHANGED
  lb_enable fail2ban.service
  if [[ $changed == 1 ]]; then systemctl restart fail2ban.service; fi
}
