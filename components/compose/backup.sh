#!/usr/bin/env bash
# Daily backup of the tenant's data (run by letsbe-backup.timer): each database dumped through
# its running container, every other volume of the applied project archived, the host-generated
# secrets the data needs (database passwords, app secrets) kept with it; the newest KEEP_DAYS
# backups kept; the backups mirrored off-site with rclone; backup-status.json written for
# monitoring. One failing item is reported and the rest still run; the unit fails at the end.
# Settings: /etc/letsbe/backup.env (RCLONE_REMOTE, RCLONE_CONFIG, KEEP_DAYS; written by the
# layout stage).
set -uo pipefail

STACK="${LB_STACK_DIR:-/opt/letsbe/stack}"
BACKUPS="${LB_BACKUP_DIR:-/opt/letsbe/backups}"
SETTINGS="${LB_BACKUP_SETTINGS:-/etc/letsbe/backup.env}"
SECRETS_DIR=/opt/letsbe/secrets
MANIFEST="$STACK/current/manifest.json"
DAILY="$BACKUPS/daily"
STATUS_FILE="$BACKUPS/backup-status.json"
RCLONE_REMOTE=""
RCLONE_CONFIG=/etc/letsbe/backup-rclone.conf
KEEP_DAYS=7
# shellcheck disable=SC1090 # the host's settings file
[[ -f "$SETTINGS" ]] && source "$SETTINGS"
# shellcheck source-path=SCRIPTDIR source=data.sh
source "$(dirname "${BASH_SOURCE[0]}")/data.sh"

started=$(date +%s)
last_run=$(date -u +%Y-%m-%dT%H:%M:%SZ)
name=$(date -u +%Y%m%dT%H%M%SZ)
items='{}'
remote='{"status":"skipped","error":"not started"}'
failed=0
errors=$(mktemp)
trap 'rm -f "$errors"' EXIT

# item NAME KIND STATUS [FILE|ERROR] [WARNING]
item() {
  local entry
  if [[ "$3" == success ]]; then
    entry=$(jq -n --arg kind "$2" --argjson bytes "$(stat -c %s "$4")" --arg warning "${5:-}" \
      '{kind: $kind, status: "success", size_mb: (($bytes + 524288) / 1048576 | floor)} + (if $warning != "" then {warning: $warning} else {} end)')
  else
    failed=1
    entry=$(jq -n --arg kind "$2" --arg error "$4" '{kind: $kind, status: "failed", error: $error}')
  fi
  items=$(jq -c --arg n "$1" --argjson e "$entry" '. + {($n): $e}' <<<"$items")
}

last_error() { local e; e=$(grep -v '^\s*$' "$errors" | tail -n 1); printf '%s' "${e:-$1}"; }

write_status() {
  local overall=success tmp="$STATUS_FILE.tmp"
  [[ "$failed" == 1 ]] && overall=failed
  jq -n --arg last_run "$last_run" --argjson duration "$(($(date +%s) - started))" --arg backup "$name" --arg status "$overall" \
    --argjson items "$items" --argjson remote "$remote" --argjson kept "$(find "$DAILY" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | wc -l)" \
    '{last_run: $last_run, duration_seconds: $duration, backup: $backup, status: $status, items: $items, remote_sync: $remote, retention: {daily: $kept}}' >"$tmp"
  mv -f "$tmp" "$STATUS_FILE"
}

umask 077
mkdir -p "$DAILY"
if [[ ! -f "$MANIFEST" ]]; then
  failed=1
  items=$(jq -cn --arg e "no applied project ($MANIFEST missing)" '{project: {kind: "manifest", status: "failed", error: $e}}')
  write_status
  exit 1
fi
PROJECT="$(jq -r .project "$MANIFEST")"
work="$DAILY/.$name.partial"
mkdir -p "$work"
cp "$MANIFEST" "$work/manifest.json"

# The generated values the volumes were made with; hub.env comes from Pulumi, not from here.
if (cd "$SECRETS_DIR" && find . -maxdepth 1 -name '*.env' ! -name hub.env -print0 | sort -z | tar --null -T - -cpf "$work/secrets.tar") 2>"$errors"; then
  item secrets files success "$work/secrets.tar"
else
  item secrets files failed "$(last_error 'tar of the secrets failed')"
fi

mapfile -t services < <(jq -r '.services | keys[]' "$MANIFEST")
for service in "${services[@]}"; do
  if [[ -n "$(lb_database "$MANIFEST" "$service")" ]]; then
    if lb_db_dump "$MANIFEST" "$service" "$work/$service.sql.gz" 2>"$errors"; then
      item "$service" "$(lb_database "$MANIFEST" "$service" | cut -d' ' -f1)-dump" success "$work/$service.sql.gz"
    else
      item "$service" "$(lb_database "$MANIFEST" "$service" | cut -d' ' -f1)-dump" failed "$(last_error "dump of $service failed")"
    fi
    continue
  fi
  while IFS= read -r volume; do
    vname="$(lb_volume_name "$volume")"
    lb_mountpoint "$vname" >/dev/null || continue
    # A running service may change a file while it is read: GNU tar then exits 1 with the
    # archive whole; that is a warning, anything worse fails this item alone.
    tar -C "$(lb_mountpoint "$vname")" --warning=no-file-changed -czpf "$work/$vname.tar.gz" . 2>"$errors"
    case $? in
      0) item "$vname" volume success "$work/$vname.tar.gz" ;;
      1) item "$vname" volume success "$work/$vname.tar.gz" "files changed while they were read" ;;
      *) rm -f "$work/$vname.tar.gz"; item "$vname" volume failed "$(last_error "tar of $vname failed")" ;;
    esac
  done < <(jq -r --arg s "$service" '.services[$s].volumes[]' "$MANIFEST")
done

(cd "$work" && find . -type f -printf '%P\n' | sort | xargs -r sha256sum >"$work.sums" && mv "$work.sums" SHA256SUMS)
# A backup missing an item is kept (the rest is still worth having) but marked, so a restore
# of "the newest" passes over it.
jq -c . <<<"$items" >"$work/items.json"
[[ "$failed" == 1 ]] || touch "$work/COMPLETE"
mv "$work" "$DAILY/$name"

find "$DAILY" -mindepth 1 -maxdepth 1 -type d ! -name '.*' -printf '%f\n' | sort -r | tail -n +"$((KEEP_DAYS + 1))" \
  | while read -r old; do rm -rf -- "${DAILY:?}/$old"; done
find "$DAILY" -mindepth 1 -maxdepth 1 -type d -name '.*.partial' ! -name ".$name.partial" -exec rm -rf {} +

if [[ -z "$RCLONE_REMOTE" ]]; then
  failed=1
  remote=$(jq -cn --arg e "no off-site remote configured (RCLONE_REMOTE in $SETTINGS)" '{status: "failed", error: $e}')
else
  # A day's pruning deletes about one backup's files; more means the local tree was lost.
  max_delete=$((2 * $(find "$DAILY/$name" -type f | wc -l)))
  if rclone --config "$RCLONE_CONFIG" sync "$DAILY" "$RCLONE_REMOTE" --exclude '.*.partial/**' --max-delete "$max_delete" 2>"$errors"; then
    remote='{"status":"success"}'
  else
    failed=1
    remote=$(jq -cn --arg e "$(last_error 'rclone sync failed')" '{status: "failed", error: $e}')
  fi
fi

write_status
exit "$failed"
