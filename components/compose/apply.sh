#!/usr/bin/env bash
# Applies the tenant compose project copied to $LB_STACK_DIR/incoming with a health gate.
# Before anything changes it works out what the release may change (services whose image or
# definition changes, and the services they depend on, which a new version may migrate) and
# refuses to start without the free space a snapshot of them needs. Then: pull, snapshot (each
# database dumped through its running container, every other volume archived once its service
# is stopped), `up --wait` with a timeout; on an unhealthy service restore the volumes and the
# databases, re-apply the previous compose file and pins kept in $LB_STACK_DIR/current, and
# fail naming the unhealthy services.
# Last line on success: LETSBE_RESULT {"release":...,"previousRelease":...}
set -euo pipefail
# Functions and subshells report through the ERR trap too.
set -E
# Whatever stops the script says where, so a failed apply never ends silent.
trap 'printf "[letsbe-compose] error: %s exited %s (apply.sh line %s)\n" "$BASH_COMMAND" "$?" "$LINENO" >&2' ERR

STACK="${LB_STACK_DIR:-/opt/letsbe/stack}"
IN="$STACK/incoming"
CUR="$STACK/current"
PREV="$STACK/previous"
WAIT="${LB_WAIT_TIMEOUT:-600}"
SITES=/etc/nginx/sites-enabled/letsbe-tenant.conf
SNAPSHOTS="${LB_SNAPSHOT_DIR:-/opt/letsbe/backups/pre-update}"
# Free space kept beyond the snapshot itself, MiB (the pull and the new release need room too).
RESERVE_MB="${LB_SNAPSHOT_RESERVE_MB:-256}"
# shellcheck source-path=SCRIPTDIR source=data.sh
source "$(dirname "${BASH_SOURCE[0]}")/data.sh"

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

# Images that cannot probe themselves (a manifest service's .probe): the host asks each over
# HTTP at its address on the project network, LB_PROBE_ATTEMPTS times LB_PROBE_INTERVAL seconds
# apart at most. Sets probe_failed to the services that never answered the expected status.
PROBE_ATTEMPTS="${LB_PROBE_ATTEMPTS:-30}"
PROBE_INTERVAL="${LB_PROBE_INTERVAL:-2}"
probe_failed=""
host_probes() {
  local dir="$1" service port path status id addr code n
  probe_failed=""
  while IFS=$'\t' read -r service port path status; do
    [[ -z "$service" ]] && continue
    id="$(compose "$dir" ps -q "$service" 2>/dev/null || true)"
    addr=""
    [[ -n "$id" ]] && addr="$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}' "$id" | awk '{print $1}')"
    code=none
    for ((n = 1; n <= PROBE_ATTEMPTS; n++)); do
      [[ -n "$addr" ]] || break
      code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://$addr:$port$path" || true)"
      [[ "$code" == "$status" ]] && break
      ((n == PROBE_ATTEMPTS)) || sleep "$PROBE_INTERVAL"
    done
    if [[ "$code" == "$status" ]]; then
      log "host probe: $service answered $status on $port$path"
    else
      log "host probe: $service answered ${code/000/no connection} on ${addr:-no address}:$port$path, expected $status ($PROBE_ATTEMPTS attempts)"
      probe_failed+="${probe_failed:+ }$service"
    fi
  done < <(jq -r '.services | to_entries[] | select(.value.probe) | [.key, .value.probe.port, .value.probe.path, .value.probe.status] | @tsv' "$dir/manifest.json")
  [[ -z "$probe_failed" ]]
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

mib() { echo $((($1 + 1048575) / 1048576)); }

# The services the release may change, with their dependencies (both releases' depends_on),
# among those that exist now: one per line.
snapshot_set() {
  jq -r --slurpfile cur "$CUR/manifest.json" '
    . as $in | $cur[0] as $cur
    | [$in.services | to_entries[] | select($cur.services[.key] != null)
        | select(.value.image != $cur.services[.key].image or .value.config != $cur.services[.key].config) | .key] as $changed
    | def deps($s): (($in.services[$s].dependsOn // []) + ($cur.services[$s].dependsOn // [])) | unique;
      [$changed | recurse(map(deps(.)[]) | unique; length > 0) | .[]] | unique
    | map(select($cur.services[.] != null))[]' "$IN/manifest.json"
}

# Sets changed, dumps (databases dumped while they run) and archives (volumes, of services
# stopped first); a database whose own image or definition changes is also stopped and archived.
plan_snapshot() {
  local service
  mapfile -t changed < <(jq -r --slurpfile cur "$CUR/manifest.json" '.services | to_entries[]
    | select($cur[0].services[.key] != null and (.value.image != $cur[0].services[.key].image or .value.config != $cur[0].services[.key].config))
    | .key' "$IN/manifest.json")
  mapfile -t members < <(snapshot_set)
  dumps=()
  stopped=()
  for service in "${members[@]}"; do
    if [[ -n "$(lb_database "$CUR/manifest.json" "$service")" ]]; then
      dumps+=("$service")
      if printf '%s\n' "${changed[@]}" | grep -qx "$service"; then stopped+=("$service"); fi
    else
      stopped+=("$service")
    fi
  done
}

# Refuses, before anything changed, when the snapshot would not fit.
check_space() {
  local service volume name bytes=0 db_bytes=0 free dir="$SNAPSHOTS" size
  for service in "${stopped[@]}"; do
    while IFS= read -r volume; do
      bytes=$((bytes + $(lb_volume_size "$(lb_volume_name "$volume")")))
    done < <(jq -r --arg s "$service" '.services[$s].volumes[]' "$CUR/manifest.json")
  done
  for service in "${dumps[@]}"; do
    size="$(lb_db_size "$CUR/manifest.json" "$service")" || fail "cannot measure the database of $service for the pre-update snapshot; nothing was changed"
    db_bytes=$((db_bytes + size))
  done
  while [[ ! -d "$dir" ]]; do dir="$(dirname "$dir")"; done
  free="$(df -B1 --output=avail "$dir" | tail -n 1 | tr -d ' ')"
  local need=$((bytes + db_bytes + RESERVE_MB * 1048576))
  if ((free < need)); then
    fail "not enough free space for the pre-update snapshot of ${members[*]} in $SNAPSHOTS: it needs $(mib "$need") MiB (volumes $(mib "$bytes") MiB, databases $(mib "$db_bytes") MiB, reserve $RESERVE_MB MiB) and $(mib "$free") MiB are free; nothing was changed"
  fi
  log "pre-update snapshot of ${members[*]}: about $(mib $((bytes + db_bytes))) MiB, $(mib "$free") MiB free"
}

# Writers stop first; databases are dumped while they run; then the rest of the set stops and
# its volumes are archived.
take_snapshot() {
  local service volume name first=() later=()
  snapshot="$SNAPSHOTS/$(date -u +%Y%m%dT%H%M%SZ)"
  install -d -m 0700 "$snapshot"
  for service in "${stopped[@]}"; do
    if printf '%s\n' "${dumps[@]}" | grep -qx "$service"; then later+=("$service"); else first+=("$service"); fi
  done
  ((${#first[@]} == 0)) || compose "$CUR" stop "${first[@]}"
  for service in "${dumps[@]}"; do
    log "dumping the database of $service"
    if ! lb_db_dump "$CUR/manifest.json" "$service" "$snapshot/$service.sql.gz"; then
      up "$CUR" || true
      fail "could not dump the database of $service before the update; the release was not applied"
    fi
  done
  ((${#later[@]} == 0)) || compose "$CUR" stop "${later[@]}"
  for service in "${stopped[@]}"; do
    while IFS= read -r volume; do
      name="$(lb_volume_name "$volume")"
      docker volume inspect "$name" >/dev/null 2>&1 || continue
      log "archiving volume $name"
      lb_volume_archive "$name" "$snapshot/$name.tar"
    done < <(jq -r --arg s "$service" '.services[$s].volumes[]' "$CUR/manifest.json")
  done
}

# Volumes first (their services stopped), then each dumped database not restored with its
# volume, into its previous container started alone.
restore_snapshot() {
  local archive name service
  ((${#stopped[@]} == 0)) || compose "$IN" stop "${stopped[@]}" || true
  for archive in "$snapshot"/*.tar; do
    [[ -e "$archive" ]] || continue
    name="$(basename "$archive" .tar)"
    lb_volume_restore "$name" "$archive"
    restored+=("$name")
  done
  for service in "${dumps[@]}"; do
    if printf '%s\n' "${stopped[@]}" | grep -qx "$service"; then continue; fi
    timeout "$((WAIT + 60))" docker compose -p "$PROJECT" --project-directory "$CUR" -f "$CUR/compose.yaml" \
      up -d --no-deps --wait --wait-timeout "$WAIT" "$service" || fail "database $service did not come back to restore its dump $snapshot/$service.sql.gz"
    lb_db_restore "$CUR/manifest.json" "$service" "$snapshot/$service.sql.gz" \
      || fail "restoring the database of $service from $snapshot/$service.sql.gz failed"
    restored+=("database of $service")
  done
}

if [[ -d "$CUR" ]] && cmp -s "$IN/compose.yaml" "$CUR/compose.yaml" \
  && cmp -s "$IN/manifest.json" "$CUR/manifest.json" && cmp -s "$IN/sites.conf" "$CUR/sites.conf"; then
  ensure_env_files
  compose "$IN" config -q || fail "the rendered compose file is invalid"
  log "release unchanged: $(jq -r .releaseLabel "$CUR/manifest.json"); reconciling"
  up "$CUR" || fail "unhealthy services on the unchanged release: $(unhealthy_services)"
  host_probes "$CUR" || fail "unhealthy services on the unchanged release: $probe_failed (host probe)"
  result
  exit 0
fi

changed=()
members=()
dumps=()
stopped=()
snapshot=""
if [[ -d "$CUR" ]]; then
  plan_snapshot
  ((${#members[@]} == 0)) || check_space
fi

ensure_env_files
compose "$IN" config -q || fail "the rendered compose file is invalid"

log "pulling $(jq -r .releaseLabel "$IN/manifest.json")"
compose "$IN" pull -q

((${#members[@]} == 0)) || take_snapshot

if up "$IN" && host_probes "$IN"; then
  install_sites
  rm -rf "$PREV"
  [[ -d "$CUR" ]] && mv "$CUR" "$PREV"
  cp -a "$IN" "$CUR"
  find "$SNAPSHOTS" -mindepth 1 -maxdepth 1 -type d -mtime +7 -exec rm -rf {} + 2>/dev/null || true
  log "release applied: $(jq -r .releaseLabel "$CUR/manifest.json")"
  result
  exit 0
fi

bad="${probe_failed:-$(unhealthy_services)}"
target="$(jq -r .releaseLabel "$IN/manifest.json")"
if [[ ! -d "$CUR" ]]; then
  fail "release $target failed its health gate; unhealthy services: ${bad:-unknown}; no previous release to return to"
fi
log "release $target failed its health gate (unhealthy: ${bad:-unknown}); rolling back"
restored=()
((${#members[@]} == 0)) || restore_snapshot
if ! { up "$CUR" && host_probes "$CUR"; }; then
  fail "release $target failed (unhealthy: ${bad:-unknown}) and the previous release did not come back healthy either"
fi
fail "release $target failed its health gate; unhealthy services: ${bad:-unknown}; rolled back to $(jq -r .releaseLabel "$CUR/manifest.json") with restored: $(IFS=,; echo "${restored[*]:-none}")"
