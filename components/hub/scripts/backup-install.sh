#!/bin/bash
# Installs what the daily hub backup needs (rclone from Debian's archive) and enables its timer.
# The script, units, environment and rclone config were written by the stage before this runs.
set -euo pipefail

: "${TIMER_UNIT:?}" "${STATUS_DIR:?}"

if ! dpkg-query -W -f='${Status}' rclone 2>/dev/null | grep -q 'ok installed'; then
  apt-get update -q </dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends rclone </dev/null
fi
install -d -m 0755 "$STATUS_DIR"
systemctl daemon-reload
systemctl enable --now "$TIMER_UNIT"
