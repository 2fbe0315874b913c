#!/usr/bin/env bash
# Stage: fail2ban, sandboxed by a systemd drop-in, for the ports that are public: its jails are
# nginx's on 80 and 443, written by the nginx stage once nginx and its logs exist. No sshd jail:
# SSH is open only to the management CIDRs, which are all in ignoreip, so it could never ban
# anyone (components/host/HARDENING.md).
set -euo pipefail
if ! declare -F lb_changed >/dev/null; then
  # shellcheck source-path=SCRIPTDIR source=../lib.sh
  source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
fi

stage_main() {
  lb_require LB_MGMT_CIDRS
  lb_apt fail2ban python3-systemd
  # jail.local rather than a jail.d file: the file Debian leaves to the administrator.
  if [[ -e /etc/fail2ban/jail.d/letsbe.local ]]; then
    rm -f /etc/fail2ban/jail.d/letsbe.local
    lb_changed "moved the LetsBe jails to /etc/fail2ban/jail.local"
  fi
  lb_put /etc/fail2ban/jail.local 0644 root:root <<CONF
# Managed by LetsBe bootstrap.
[DEFAULT]
banaction = ufw
bantime = 1h
findtime = 10m
maxretry = 5
ignoreip = 127.0.0.1/8 ::1 $LB_MGMT_CIDRS

# Debian's jail.d/defaults-debian.conf turns it on; only management reaches SSH (see above).
[sshd]
enabled = false
CONF
  local changed=$LB_LAST_CHANGED
  # Bans go through ufw, which rewrites /etc/ufw/user*.rules and may load netfilter modules:
  # /etc stays writable and module loading allowed; the rest of the system is out of reach.
  lb_put /etc/systemd/system/fail2ban.service.d/50-letsbe-sandbox.conf 0644 root:root <<'UNIT'
# Managed by LetsBe bootstrap.
[Service]
ProtectSystem=true
ProtectHome=read-only
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictSUIDSGID=yes
RestrictRealtime=yes
RestrictNamespaces=yes
LockPersonality=yes
NoNewPrivileges=yes
SystemCallArchitectures=native
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
UNIT
  if [[ $LB_LAST_CHANGED == 1 ]]; then systemctl daemon-reload; changed=1; fi
  lb_enable fail2ban.service
  if [[ $changed == 1 ]]; then systemctl restart fail2ban.service; fi
}
