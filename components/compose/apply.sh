#!/usr/bin/env bash
# Applies the tenant compose project copied to $LB_STACK_DIR/incoming with a health gate:
# pull, snapshot the volumes of services whose image changes, `up --wait` with a timeout; on
# an unhealthy service restore those volumes, re-apply the previous compose file and pins
# kept in $LB_STACK_DIR/current, and fail naming the unhealthy services.
# Last line on success: LETSBE_RESULT {"release":...,"previousRelease":...}
set -euo pipefail

STACK="${LB_STACK_DIR:-/opt/letsbe/stack}"
IN="$STACK/incoming"
CUR="$STACK/current"
PREV="$STACK/previous"
WAIT="${LB_WAIT_TIMEOUT:-600}"
SITES=/etc/nginx/sites-enabled/letsbe-tenant.conf
SNAPSHOTS=/opt/letsbe/backups/pre-update

log() { printf '[letsbe-compose] %s\n' "$*"; }
fail() { printf '[letsbe-compose] error: %s\n' "$*" >&2; exit 1; }

for file in compose.yaml manifest.json sites.conf; do
  [[ -f "$IN/$file" ]] || fail "missing $IN/$file"
done
PROJECT="$(jq -r .project "$IN/manifest.json")"

compose() {
  local dir="$1"
  shift
  docker compose -p "$PROJECT" --project-directory "$dir" -f "$dir/compose.yaml" "$@"
}

up() {
  timeout "$((WAIT + 60))" docker compose -p "$PROJECT" --project-directory "$1" -f "$1/compose.yaml" \
    up -d --remove-orphans --wait --wait-timeout "$WAIT"
}

# Values the host generates and keeps (database passwords, app secrets): never in Pulumi state.
ensure_env_files() {
  local path key
  while IFS= read -r path; do
    install -d -m 0700 "$(dirname "$path")"
    [[ -f "$path" ]] || install -m 0600 /dev/null "$path"
    while IFS= read -r key; do
      [[ -z "$key" ]] && continue
      grep -q "^$key=" "$path" || printf '%s=%s\n' "$key" "$(openssl rand -hex 24)" >>"$path"
    done < <(jq -r --arg p "$path" '.envFiles[$p][]' "$IN/manifest.json")
  done < <(jq -r '.envFiles | keys[]' "$IN/manifest.json")
}

# Services that failed their health check or stopped; failing that, any not running and healthy
# (a service that never started because a dependency failed is not the culprit).
unhealthy_services() {
  compose "$IN" ps -a --format json 2>/dev/null | jq -rs '
    flatten as $all
    | ($all | map(select(.Health == "unhealthy" or .State == "exited" or .State == "dead" or .State == "restarting"))) as $bad
    | (if ($bad | length) > 0 then $bad else ($all | map(select(.State != "running" or (.Health != "" and .Health != "healthy")))) end)
    | map(.Service) | unique | join(" ")'
}

result() {
  local previous=null
  [[ -f "$PREV/manifest.json" ]] && previous="$(jq -c .release "$PREV/manifest.json")"
  printf 'LETSBE_RESULT %s\n' "$(jq -c --argjson previous "$previous" '{release: .release, previousRelease: $previous}' "$CUR/manifest.json")"
}

install_sites() {
  local backup=""
  if [[ -f "$SITES" ]]; then backup="$(mktemp)"; cp -p "$SITES" "$backup"; fi
  install -m 0644 "$IN/sites.conf" "$SITES"
  if ! nginx -t -q; then
    if [[ -n "$backup" ]]; then cp -p "$backup" "$SITES"; else rm -f "$SITES"; fi
    fail "nginx -t rejects the rendered server blocks; kept the previous ones"
  fi
  systemctl reload nginx
  [[ -n "$backup" ]] && rm -f "$backup"
  return 0
}

ensure_env_files
compose "$IN" config -q || fail "the rendered compose file is invalid"

if [[ -d "$CUR" ]] && cmp -s "$IN/compose.yaml" "$CUR/compose.yaml" \
  && cmp -s "$IN/manifest.json" "$CUR/manifest.json" && cmp -s "$IN/sites.conf" "$CUR/sites.conf"; then
  log "release unchanged: $(jq -r .releaseLabel "$CUR/manifest.json"); reconciling"
  up "$CUR" || fail "unhealthy services on the unchanged release: $(unhealthy_services)"
  result
  exit 0
fi

log "pulling $(jq -r .releaseLabel "$IN/manifest.json")"
compose "$IN" pull -q

changed=()
snapshot=""
if [[ -d "$CUR" ]]; then
  mapfile -t changed < <(jq -r --slurpfile cur "$CUR/manifest.json" \
    '.services | to_entries[] | select($cur[0].services[.key] != null and .value.image != $cur[0].services[.key].image) | .key' \
    "$IN/manifest.json")
  if ((${#changed[@]} > 0)); then
    snapshot="$SNAPSHOTS/$(date -u +%Y%m%dT%H%M%SZ)"
    install -d -m 0700 "$snapshot"
    log "snapshotting the volumes of ${changed[*]} into $snapshot"
    compose "$CUR" stop "${changed[@]}"
    for service in "${changed[@]}"; do
      while IFS= read -r volume; do
        name="${PROJECT}_$volume"
        docker volume inspect "$name" >/dev/null 2>&1 || continue
        tar -C "$(docker volume inspect -f '{{.Mountpoint}}' "$name")" -cpf "$snapshot/$name.tar" .
      done < <(jq -r --arg s "$service" '.services[$s].volumes[]' "$CUR/manifest.json")
    done
  fi
fi

if up "$IN"; then
  install_sites
  rm -rf "$PREV"
  [[ -d "$CUR" ]] && mv "$CUR" "$PREV"
  cp -a "$IN" "$CUR"
  find "$SNAPSHOTS" -mindepth 1 -maxdepth 1 -type d -mtime +7 -exec rm -rf {} + 2>/dev/null || true
  log "release applied: $(jq -r .releaseLabel "$CUR/manifest.json")"
  result
  exit 0
fi

bad="$(unhealthy_services)"
target="$(jq -r .releaseLabel "$IN/manifest.json")"
if [[ ! -d "$CUR" ]]; then
  fail "release $target failed its health gate; unhealthy services: ${bad:-unknown}; no previous release to return to"
fi
log "release $target failed its health gate (unhealthy: ${bad:-unknown}); rolling back"
restored=()
if ((${#changed[@]} > 0)); then
  compose "$IN" stop "${changed[@]}" || true
  for archive in "$snapshot"/*.tar; do
    [[ -e "$archive" ]] || continue
    name="$(basename "$archive" .tar)"
    mountpoint="$(docker volume inspect -f '{{.Mountpoint}}' "$name")"
    find "$mountpoint" -mindepth 1 -delete
    tar -C "$mountpoint" -xpf "$archive"
    restored+=("$name")
  done
fi
if ! up "$CUR"; then
  fail "release $target failed (unhealthy: ${bad:-unknown}) and the previous release did not come back healthy either"
fi
fail "release $target failed its health gate; unhealthy services: ${bad:-unknown}; rolled back to $(jq -r .releaseLabel "$CUR/manifest.json") with volumes restored: ${restored[*]:-none}"
