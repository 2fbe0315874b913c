#!/usr/bin/env bash
# Hub stage: the daily database backup. Puts the backup and restore scripts, their settings and
# systemd units in place, the rclone config (secret, from stdin) root-only, installs rclone from
# Debian's archive and enables the timer.
set -euo pipefail
if ! declare -F lb_changed >/dev/null; then
  # shellcheck source-path=SCRIPTDIR source=../../../host/scripts/lib.sh
  source "$(dirname "${BASH_SOURCE[0]}")/../../../host/scripts/lib.sh"
fi

stage_main() {
  lb_require LB_STAGE_FILES LB_BACKUP_SCRIPT LB_RESTORE_SCRIPT LB_BACKUP_ENV LB_RCLONE_CONFIG LB_UNIT LB_STATUS_DIR
  local units_before
  [[ -n "$(lb_secret BACKUP_RCLONE_CONFIG)" ]] || lb_fail "secret BACKUP_RCLONE_CONFIG is required by stage ${LB_STAGE}"
  lb_apt rclone
  lb_put "$LB_BACKUP_SCRIPT" 0755 root:root <"$LB_STAGE_FILES/backup"
  lb_put "$LB_RESTORE_SCRIPT" 0755 root:root <"$LB_STAGE_FILES/restore"
  lb_put "$LB_BACKUP_ENV" 0600 root:root <"$LB_STAGE_FILES/env"
  lb_secret BACKUP_RCLONE_CONFIG | lb_put "$LB_RCLONE_CONFIG" 0600 root:root
  lb_dir "$LB_STATUS_DIR" 0755 root:root
  units_before=$LB_CHANGES
  lb_put "/etc/systemd/system/$LB_UNIT.service" 0644 root:root <"$LB_STAGE_FILES/service"
  lb_put "/etc/systemd/system/$LB_UNIT.timer" 0644 root:root <"$LB_STAGE_FILES/timer"
  if ((LB_CHANGES > units_before)); then systemctl daemon-reload; fi
  lb_enable "$LB_UNIT.timer"
}
