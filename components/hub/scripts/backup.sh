#!/bin/bash
# Daily backup of the hub database (seed 001 §2.3, §8.3): pg_dump from the database container,
# rotation of KEEP_DAILY daily, KEEP_WEEKLY weekly and KEEP_MONTHLY monthly dumps, an off-site
# copy with rclone, and backup-status.json for monitoring. Installed and run by systemd
# (letsbe-hub-backup.timer); settings come from its EnvironmentFile. Managed by Pulumi.
set -euo pipefail

: "${BACKUP_DIR:?}" "${STATUS_FILE:?}" "${DB_CONTAINER:?}" "${DB_USER:?}" "${DB_NAME:?}"
: "${RCLONE_REMOTE:?}" "${RCLONE_CONFIG:?}"
KEEP_DAILY="${KEEP_DAILY:-14}"
KEEP_WEEKLY="${KEEP_WEEKLY:-8}"
KEEP_MONTHLY="${KEEP_MONTHLY:-3}"
# A day deletes at most one file per tier; more means the local tree was lost: keep off-site intact.
MAX_REMOTE_DELETES="${MAX_REMOTE_DELETES:-3}"

started=$(date +%s)
last_run=$(date -u +%Y-%m-%dT%H:%M:%SZ)
stamp=$(date -u +%Y%m%d_%H%M%S)
week=$(date -u +%G-W%V)
month=$(date -u +%Y-%m)

db_status=failed
db_error="not started"
dump_bytes=0
sync_status=skipped
sync_error="database dump failed"
uploaded_bytes=0

json_string() {
  printf '"%s"' "$(printf '%s' "$1" | tr -d '\000-\037' | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')"
}

mb() {
  echo $((($1 + 524288) / 1048576))
}

count() {
  find "$1" -maxdepth 1 -name 'hub_*.sql.gz' | wc -l
}

write_status() {
  local db_json sync_json tmp
  if [ "$db_status" = success ]; then
    db_json="{ \"status\": \"success\", \"size_mb\": $(mb "$dump_bytes") }"
  else
    db_json="{ \"status\": \"failed\", \"error\": $(json_string "$db_error") }"
  fi
  if [ "$sync_status" = success ]; then
    sync_json="{ \"status\": \"success\", \"uploaded_mb\": $(mb "$uploaded_bytes") }"
  else
    sync_json="{ \"status\": \"$sync_status\", \"error\": $(json_string "$sync_error") }"
  fi
  mkdir -p "$(dirname "$STATUS_FILE")"
  tmp="$STATUS_FILE.tmp"
  cat > "$tmp" <<JSON
{
  "last_run": "$last_run",
  "duration_seconds": $(($(date +%s) - started)),
  "databases": {
    "$DB_NAME": $db_json
  },
  "remote_sync": $sync_json,
  "retention": { "daily": $(count "$BACKUP_DIR/daily"), "weekly": $(count "$BACKUP_DIR/weekly"), "monthly": $(count "$BACKUP_DIR/monthly") }
}
JSON
  chmod 0644 "$tmp"
  mv -f "$tmp" "$STATUS_FILE"
}

# Keeps the newest $2 dumps in $1; names sort by time.
prune() {
  local dir=$1 keep=$2 name
  find "$dir" -maxdepth 1 -name 'hub_*.sql.gz' -printf '%f\n' | sort -r | tail -n +"$((keep + 1))" | while read -r name; do
    rm -f -- "$dir/$name"
  done
}

umask 077
mkdir -p "$BACKUP_DIR/daily" "$BACKUP_DIR/weekly" "$BACKUP_DIR/monthly"
marker=$(mktemp)
errors=$(mktemp)
trap 'rm -f "$marker" "$errors"; write_status' EXIT

dump="$BACKUP_DIR/daily/hub_${stamp}.sql.gz"
if docker exec "$DB_CONTAINER" pg_dump -U "$DB_USER" --no-owner "$DB_NAME" 2>"$errors" | gzip > "$dump.partial"; then
  mv -f "$dump.partial" "$dump"
  dump_bytes=$(stat -c %s "$dump")
  db_status=success
  db_error=""
  # The first dump of an ISO week and of a month is kept longer (hard links: no extra space).
  [ -e "$BACKUP_DIR/weekly/hub_${week}.sql.gz" ] || ln -f "$dump" "$BACKUP_DIR/weekly/hub_${week}.sql.gz"
  [ -e "$BACKUP_DIR/monthly/hub_${month}.sql.gz" ] || ln -f "$dump" "$BACKUP_DIR/monthly/hub_${month}.sql.gz"
else
  rm -f "$dump.partial"
  db_error=$(tail -n 1 "$errors")
  db_error=${db_error:-pg_dump failed}
fi

prune "$BACKUP_DIR/daily" "$KEEP_DAILY"
prune "$BACKUP_DIR/weekly" "$KEEP_WEEKLY"
prune "$BACKUP_DIR/monthly" "$KEEP_MONTHLY"

if [ "$db_status" = success ]; then
  uploaded_bytes=$(find "$BACKUP_DIR" -type f -name 'hub_*.sql.gz' -newer "$marker" -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
  # Off-site mirrors the local rotation; --max-delete stops a lost local tree from emptying it.
  if rclone --config "$RCLONE_CONFIG" sync "$BACKUP_DIR" "$RCLONE_REMOTE" --max-delete "$MAX_REMOTE_DELETES" --include 'hub_*.sql.gz' 2>"$errors"; then
    sync_status=success
    sync_error=""
  else
    sync_status=failed
    sync_error=$(tail -n 1 "$errors")
    sync_error=${sync_error:-rclone sync failed}
  fi
fi

[ "$db_status" = success ] && [ "$sync_status" = success ]
