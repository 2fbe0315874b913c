#!/usr/bin/env bash
# Stage: the letsbe system user (not root-equivalent: not in the docker group), the /opt/letsbe
# layout, the Hub registration token (root-only) and the daily backup (timer, rclone, off-site settings).
set -euo pipefail
if ! declare -F lb_changed >/dev/null; then
  # shellcheck source-path=SCRIPTDIR source=../lib.sh
  source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
fi

stage_main() {
  if ! id -u letsbe >/dev/null 2>&1; then
    useradd --system --home-dir /opt/letsbe --no-create-home --shell /usr/sbin/nologin letsbe
    lb_changed "user letsbe"
  fi
  # Membership of docker is root-equivalent. Nothing runs as letsbe: every docker command comes
  # from root (the provisioning session, the backup unit); letsbe only owns read access to the
  # stack folder. Hosts bootstrapped before this lose the membership.
  if id -nG letsbe | grep -qw docker; then
    gpasswd -d letsbe docker >/dev/null
    lb_changed "letsbe no longer in group docker"
  fi
  lb_dir /opt/letsbe 0755 root:root
  lb_dir /opt/letsbe/bin 0755 root:root
  lb_dir /opt/letsbe/stack 0750 root:letsbe
  lb_dir /opt/letsbe/secrets 0700 root:root
  lb_dir /opt/letsbe/backups 0700 root:root
  local token
  token="$(lb_secret REGISTRATION_TOKEN)"
  if [[ -n "$token" ]]; then
    printf 'LETSBE_REGISTRATION_TOKEN=%s\n' "$token" | lb_put /opt/letsbe/secrets/hub.env 0600 root:root
  fi
  lb_backup
  lb_put /etc/systemd/system/letsbe-backup.service 0644 root:root <<'UNIT'
[Unit]
Description=LetsBe daily backup (database dumps, volumes, off-site copy)
After=docker.service network-online.target
Wants=network-online.target
# The script comes with the compose stage; before the first release there is nothing to back up.
ConditionPathExists=/opt/letsbe/stack/backup.sh

[Service]
Type=oneshot
ExecStart=/bin/bash /opt/letsbe/stack/backup.sh
Nice=10
IOSchedulingClass=best-effort
IOSchedulingPriority=7
UNIT
  local unit_changed=$LB_LAST_CHANGED
  lb_put /etc/systemd/system/letsbe-backup.timer 0644 root:root <<'UNIT'
[Unit]
Description=LetsBe daily backup

[Timer]
OnCalendar=daily
RandomizedDelaySec=1h
Persistent=true

[Install]
WantedBy=timers.target
UNIT
  if [[ $unit_changed == 1 || $LB_LAST_CHANGED == 1 ]]; then systemctl daemon-reload; fi
  lb_enable letsbe-backup.timer
}

# The daily backup's settings and off-site credentials (the script itself is the compose
# stage's /opt/letsbe/stack/backup.sh). LB_BACKUP_REMOTE is rclone's `remote:path`; the rclone
# config defining it is the BACKUP_RCLONE_CONFIG secret.
lb_backup() {
  local config
  lb_apt rclone
  lb_dir /etc/letsbe 0755 root:root
  printf '# Managed by LetsBe bootstrap.\nRCLONE_REMOTE=%s\nRCLONE_CONFIG=/etc/letsbe/backup-rclone.conf\nKEEP_DAYS=%s\n' \
    "${LB_BACKUP_REMOTE:-}" "${LB_BACKUP_KEEP_DAYS:-7}" | lb_put /etc/letsbe/backup.env 0600 root:root
  config="$(lb_secret BACKUP_RCLONE_CONFIG)"
  if [[ -n "$config" ]]; then
    printf '%s\n' "$config" | lb_put /etc/letsbe/backup-rclone.conf 0600 root:root
  fi
  # The script before the dumps (tarred live database folders) goes.
  if [[ -e /opt/letsbe/bin/backup.sh ]]; then
    rm -f /opt/letsbe/bin/backup.sh
    lb_changed "removed /opt/letsbe/bin/backup.sh (replaced by /opt/letsbe/stack/backup.sh)"
  fi
}
