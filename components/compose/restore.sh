#!/usr/bin/env bash
# Restores a daily backup (backup.sh) into the applied project on this host, the same host or
# a freshly bootstrapped one: the project is stopped, the generated secrets put back, every
# archived volume replaced, each database re-initialised with its restored password and
# loaded from its dump, then the project brought up with its health gate.
# Usage: restore.sh [--from-remote] [BACKUP]
#   BACKUP     a backup's name (e.g. 20261201T030000Z); default the newest complete one
#   --from-remote  fetch it from the off-site copy (RCLONE_REMOTE in /etc/letsbe/backup.env)
# Last line on success: LETSBE_RESTORED <name>
set -euo pipefail

STACK="${LB_STACK_DIR:-/opt/letsbe/stack}"
BACKUPS="${LB_BACKUP_DIR:-/opt/letsbe/backups}"
SETTINGS="${LB_BACKUP_SETTINGS:-/etc/letsbe/backup.env}"
WAIT="${LB_WAIT_TIMEOUT:-600}"
SECRETS_DIR=/opt/letsbe/secrets
CUR="$STACK/current"
DAILY="$BACKUPS/daily"
RCLONE_REMOTE=""
RCLONE_CONFIG=/etc/letsbe/backup-rclone.conf
# shellcheck disable=SC1090 # the host's settings file
[[ -f "$SETTINGS" ]] && source "$SETTINGS"
# shellcheck source-path=SCRIPTDIR source=data.sh
source "$(dirname "${BASH_SOURCE[0]}")/data.sh"

RESTORE_TAG=letsbe-restore
RESTORE_USAGE="restore.sh [--from-remote] [BACKUP]"
# shellcheck source-path=SCRIPTDIR source=../host/scripts/restore-args.sh
source "$(dirname "${BASH_SOURCE[0]}")/../host/scripts/restore-args.sh"
restore_args "backup name" "$@"
name="$restore_name"
[[ -z "$name" || "$name" =~ ^[0-9]{8}T[0-9]{6}Z$ ]] || usage "backup name '$name' is not of the form YYYYMMDDTHHMMSSZ"
[[ -f "$CUR/manifest.json" ]] || fail "no applied project in $CUR: apply the tenant's release first (the compose stage), then restore into it"
PROJECT="$(jq -r .project "$CUR/manifest.json")"

if ((from_remote)); then
  [[ -n "$RCLONE_REMOTE" ]] || fail "--from-remote: no RCLONE_REMOTE in $SETTINGS"
  if [[ -z "$name" ]]; then
    # The newest backup whose every item succeeded.
    for candidate in $(rclone --config "$RCLONE_CONFIG" lsf --dirs-only "$RCLONE_REMOTE" | tr -d / | grep -E '^[0-9]{8}T[0-9]{6}Z$' | sort -r); do
      if rclone --config "$RCLONE_CONFIG" lsf "$RCLONE_REMOTE/$candidate" | grep -qx COMPLETE; then name="$candidate"; break; fi
    done
    [[ -n "$name" ]] || fail "no complete backup at $RCLONE_REMOTE"
  fi
  log "fetching $name from $RCLONE_REMOTE"
  install -d -m 0700 "$DAILY"
  rclone --config "$RCLONE_CONFIG" copy "$RCLONE_REMOTE/$name" "$DAILY/$name"
fi
if [[ -z "$name" ]]; then
  name="$(find "$DAILY" -mindepth 2 -maxdepth 2 -name COMPLETE -printf '%h\n' 2>/dev/null | xargs -r -n1 basename | sort -r | head -n 1)"
  [[ -n "$name" ]] || fail "no complete backup in $DAILY"
fi
src="$DAILY/$name"
[[ -d "$src" ]] || fail "no backup $name in $DAILY"
[[ -f "$src/COMPLETE" ]] || log "warning: backup $name is incomplete (see its items.json); restoring what it holds"
(cd "$src" && sha256sum --quiet -c SHA256SUMS) || fail "backup $name fails its checksums (SHA256SUMS)"

manifest="$src/manifest.json"
mapfile -t databases < <(jq -r '.services | to_entries[] | select(.value.database != null) | .key' "$manifest")
compose() { docker compose -p "$PROJECT" --project-directory "$CUR" -f "$CUR/compose.yaml" "$@"; }

log "restoring $name: stopping the project"
compose stop
if [[ -f "$src/secrets.tar" ]]; then
  install -d -m 0700 "$SECRETS_DIR"
  tar -C "$SECRETS_DIR" -xpf "$src/secrets.tar"
fi
for archive in "$src"/*.tar.gz; do
  [[ -e "$archive" ]] || continue
  volume="$(basename "$archive" .tar.gz)"
  log "volume $volume"
  lb_volume_restore "$volume" "$archive"
done
# Each database starts empty, so it initialises with the restored password, then takes its dump.
for service in "${databases[@]}"; do
  [[ -f "$src/$service.sql.gz" ]] || { log "warning: no dump of $service in $name"; continue; }
  while IFS= read -r volume; do lb_wipe_volume "$(lb_volume_name "$volume")"; done < <(jq -r --arg s "$service" '.services[$s].volumes[]' "$manifest")
  timeout "$((WAIT + 60))" docker compose -p "$PROJECT" --project-directory "$CUR" -f "$CUR/compose.yaml" \
    up -d --no-deps --force-recreate --wait --wait-timeout "$WAIT" "$service"
  log "database of $service"
  lb_db_restore "$manifest" "$service" "$src/$service.sql.gz" || fail "loading the dump of $service failed"
done
log "starting the project"
timeout "$((WAIT + 60))" docker compose -p "$PROJECT" --project-directory "$CUR" -f "$CUR/compose.yaml" \
  up -d --force-recreate --wait --wait-timeout "$WAIT" || fail "the project did not come back healthy after restoring $name"
printf 'LETSBE_RESTORED %s\n' "$name"
