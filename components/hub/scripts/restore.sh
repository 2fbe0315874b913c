#!/bin/bash
# Restores the hub database from a dump of the daily backup (backup.sh): the dump is loaded
# into a new database first, so a dump that does not load leaves the live one untouched; then
# the hub's containers stop, the new database takes the live one's name, and they start again.
# Usage: letsbe-hub-restore [--from-remote] [DUMP]
#   DUMP           a dump's file name (hub_YYYYMMDD_HHMMSS.sql.gz, hub_YYYY-Www.sql.gz, hub_YYYY-MM.sql.gz)
#                  or path; default the newest daily dump
#   --from-remote  take it from the off-site copy (RCLONE_REMOTE) instead of the local tree
# Settings: the backup's EnvironmentFile. Managed by Pulumi.
# Last line on success: LETSBE_HUB_RESTORED <dump>
set -euo pipefail

SETTINGS="${HUB_BACKUP_ENV:-/etc/letsbe/hub-backup.env}"
# shellcheck disable=SC1090 # the backup's settings, as systemd gives them to backup.sh
[ -f "$SETTINGS" ] && source "$SETTINGS"
: "${BACKUP_DIR:?}" "${DB_CONTAINER:?}" "${DB_USER:?}" "${DB_NAME:?}"
APP_CONTAINERS="${APP_CONTAINERS:-}"

RESTORE_TAG=letsbe-hub-restore
RESTORE_USAGE="letsbe-hub-restore [--from-remote] [DUMP]"
# shellcheck source-path=SCRIPTDIR source=../../host/scripts/restore-args.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../host/scripts/restore-args.sh"
restore_args dump "$@"
dump="$restore_name"
if [ -n "$dump" ] && ! [[ "$(basename "$dump")" =~ ^hub_[0-9A-Z_-]+\.sql\.gz$ ]]; then
  usage "'$dump' is not a hub dump (hub_*.sql.gz)"
fi

tier_of() {
  case "$1" in
    hub_????-W??.sql.gz) echo weekly ;;
    hub_????-??.sql.gz) echo monthly ;;
    *) echo daily ;;
  esac
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ "$from_remote" = 1 ]; then
  : "${RCLONE_REMOTE:?}" "${RCLONE_CONFIG:?}"
  if [ -z "$dump" ]; then
    dump=$(rclone --config "$RCLONE_CONFIG" lsf "$RCLONE_REMOTE/daily" --include 'hub_*.sql.gz' | sort | tail -n 1)
    [ -n "$dump" ] || fail "no daily dump at $RCLONE_REMOTE/daily"
  fi
  name=$(basename "$dump")
  log "fetching $name from $RCLONE_REMOTE"
  rclone --config "$RCLONE_CONFIG" copyto "$RCLONE_REMOTE/$(tier_of "$name")/$name" "$work/$name"
  file="$work/$name"
elif [ -z "$dump" ]; then
  file=$(find "$BACKUP_DIR/daily" -maxdepth 1 -name 'hub_*.sql.gz' 2>/dev/null | sort | tail -n 1)
  [ -n "$file" ] || fail "no daily dump in $BACKUP_DIR/daily"
elif [ -f "$dump" ]; then
  file="$dump"
else
  file="$BACKUP_DIR/$(tier_of "$dump")/$dump"
  [ -f "$file" ] || fail "no dump $dump in $BACKUP_DIR"
fi
name=$(basename "$file")
gzip -t "$file" || fail "$name is not a whole gzip file"

staging="${DB_NAME}_restoring"
psql_in() { docker exec -i "$DB_CONTAINER" psql -q -v ON_ERROR_STOP=1 -U "$DB_USER" "$@"; }
log "loading $name into $staging"
docker exec "$DB_CONTAINER" dropdb -U "$DB_USER" --if-exists "$staging"
docker exec "$DB_CONTAINER" createdb -U "$DB_USER" "$staging"
if ! gzip -dc "$file" | psql_in -d "$staging" --single-transaction >/dev/null; then
  docker exec "$DB_CONTAINER" dropdb -U "$DB_USER" --if-exists "$staging" || true
  fail "$name did not load; the live database $DB_NAME is unchanged"
fi

stopped=()
for container in $APP_CONTAINERS; do
  if [ "$(docker inspect -f '{{.State.Running}}' "$container" 2>/dev/null || true)" = true ]; then
    docker stop "$container" >/dev/null
    stopped+=("$container")
  fi
done
log "replacing $DB_NAME (stopped: ${stopped[*]:-none})"
psql_in -d postgres <<SQL
DROP DATABASE IF EXISTS "$DB_NAME" WITH (FORCE);
ALTER DATABASE "$staging" RENAME TO "$DB_NAME";
SQL
for container in "${stopped[@]}"; do docker start "$container" >/dev/null; done
printf 'LETSBE_HUB_RESTORED %s\n' "$name"
