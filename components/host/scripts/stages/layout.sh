#!/usr/bin/env bash
# Stage: the letsbe system user (not root-equivalent: not in the docker group), the /opt/letsbe
# layout, the Hub registration token (root-only) and the daily backup timer.
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
  lb_put /opt/letsbe/bin/backup.sh 0755 root:root <<'SCRIPT'
#!/usr/bin/env bash
# Daily copy of the LetsBe compose project's named volumes; keeps the last 7 days.
set -euo pipefail
dest="/opt/letsbe/backups/$(date -u +%Y-%m-%d)"
install -d -m 0700 "$dest"
for volume in $(docker volume ls -q --filter label=com.docker.compose.project=letsbe); do
  tar -C "$(docker volume inspect -f '{{.Mountpoint}}' "$volume")" -czf "$dest/$volume.tar.gz" .
done
find /opt/letsbe/backups -mindepth 1 -maxdepth 1 -type d -mtime +7 -exec rm -rf {} +
SCRIPT
  lb_put /etc/systemd/system/letsbe-backup.service 0644 root:root <<'UNIT'
[Unit]
Description=LetsBe daily volume backup
After=docker.service

[Service]
Type=oneshot
ExecStart=/opt/letsbe/bin/backup.sh
UNIT
  local unit_changed=$LB_LAST_CHANGED
  lb_put /etc/systemd/system/letsbe-backup.timer 0644 root:root <<'UNIT'
[Unit]
Description=LetsBe daily volume backup

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
