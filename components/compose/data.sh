#!/usr/bin/env bash
# The tenant's data, service by service, as apply.sh, backup.sh and restore.sh handle it:
# a database sidecar is dumped and restored through its running container (pg_dump / mysqldump
# see one consistent snapshot; a copy of a live data folder does not), every other volume is a
# tar of its folder. Sourced; needs PROJECT (the compose project) and jq.

# lb_container SERVICE: the id of the service's running container, or nothing.
lb_container() {
  docker ps -q --filter "label=com.docker.compose.project=$PROJECT" --filter "label=com.docker.compose.service=$1" | head -n 1
}

# lb_database MANIFEST SERVICE: "ENGINE NAME USER" for a database sidecar, nothing otherwise.
lb_database() {
  jq -r --arg s "$2" '.services[$s].database // empty | "\(.engine) \(.name) \(.user)"' "$1"
}

lb_running_container() {
  local id
  id="$(lb_container "$1")"
  [[ -n "$id" ]] || { printf 'service %s has no running container\n' "$1" >&2; return 1; }
  printf '%s' "$id"
}

# lb_db_dump MANIFEST SERVICE FILE.sql.gz: written whole or not at all.
lb_db_dump() {
  local manifest="$1" service="$2" out="$3" engine name user id
  read -r engine name user < <(lb_database "$manifest" "$service")
  id="$(lb_running_container "$service")" || return 1
  case "$engine" in
    postgres) docker exec "$id" pg_dump -U "$user" -d "$name" ;;
    # The root password stays inside the container: read from its environment there.
    mysql) docker exec "$id" sh -c 'MYSQL_PWD="$MYSQL_ROOT_PASSWORD" exec mysqldump -uroot --single-transaction --routines --triggers --events "$1"' sh "$name" ;;
    *) printf 'service %s is not a database sidecar\n' "$service" >&2; return 1 ;;
  esac | gzip -c >"$out.partial" || { rm -f "$out.partial"; return 1; }
  mv -f "$out.partial" "$out"
}

# lb_db_restore MANIFEST SERVICE FILE.sql.gz: the database replaced by the dump (objects a newer
# release added go with it).
lb_db_restore() {
  local manifest="$1" service="$2" in="$3" engine name user id
  read -r engine name user < <(lb_database "$manifest" "$service")
  id="$(lb_running_container "$service")" || return 1
  gzip -t "$in" || return 1
  case "$engine" in
    postgres)
      docker exec "$id" dropdb -U "$user" --if-exists --force "$name" \
        && docker exec "$id" createdb -U "$user" -O "$user" "$name" \
        && gzip -dc "$in" | docker exec -i "$id" psql -q -v ON_ERROR_STOP=1 -U "$user" -d "$name" >/dev/null
      ;;
    mysql)
      # shellcheck disable=SC2016 # expanded inside the container
      gzip -dc "$in" | docker exec -i "$id" sh -c 'export MYSQL_PWD="$MYSQL_ROOT_PASSWORD"
        mysql -uroot -e "DROP DATABASE IF EXISTS \`$1\`; CREATE DATABASE \`$1\`" && exec mysql -uroot "$1"' sh "$name"
      ;;
    *) printf 'service %s is not a database sidecar\n' "$service" >&2; return 1 ;;
  esac
}

# lb_db_size MANIFEST SERVICE: bytes the database takes (a dump is at most about this).
lb_db_size() {
  local manifest="$1" service="$2" engine name user id
  read -r engine name user < <(lb_database "$manifest" "$service")
  id="$(lb_running_container "$service")" || return 1
  case "$engine" in
    postgres) docker exec "$id" psql -Atq -U "$user" -d "$name" -c "SELECT pg_database_size(current_database())" ;;
    mysql) docker exec "$id" sh -c 'MYSQL_PWD="$MYSQL_ROOT_PASSWORD" exec mysql -uroot -N -e "SELECT COALESCE(SUM(data_length + index_length), 0) FROM information_schema.tables WHERE table_schema = '"'"'$1'"'"'"' sh "$name" ;;
  esac
}

lb_volume_name() { printf '%s_%s' "$PROJECT" "$1"; }

lb_mountpoint() { docker volume inspect -f '{{.Mountpoint}}' "$1" 2>/dev/null; }

# lb_volume_size VOLUME_NAME: bytes, 0 for a volume that does not exist.
lb_volume_size() {
  local mp
  mp="$(lb_mountpoint "$1")" || { echo 0; return 0; }
  du -sb "$mp" | cut -f1
}

# lb_volume_archive VOLUME_NAME FILE: a tar (compressed by FILE's suffix) of the volume's folder.
lb_volume_archive() {
  local mp
  mp="$(lb_mountpoint "$1")" || { printf 'volume %s does not exist\n' "$1" >&2; return 1; }
  tar -C "$mp" --auto-compress -cpf "$2.partial" . || { rm -f "$2.partial"; return 1; }
  mv -f "$2.partial" "$2"
}

# lb_volume_restore VOLUME_NAME FILE: the volume's folder replaced by the archive; a missing
# volume is created as compose would have.
lb_volume_restore() {
  local name="$1" archive="$2" mp
  if ! mp="$(lb_mountpoint "$name")"; then
    docker volume create --label "com.docker.compose.project=$PROJECT" --label "com.docker.compose.volume=${name#"${PROJECT}"_}" "$name" >/dev/null
    mp="$(lb_mountpoint "$name")"
  fi
  find "$mp" -mindepth 1 -delete
  tar -C "$mp" -xpf "$archive"
}

# lb_wipe_volume VOLUME_NAME: emptied, so its service initialises it again on its next start.
lb_wipe_volume() {
  local mp
  mp="$(lb_mountpoint "$1")" || return 0
  find "$mp" -mindepth 1 -delete
}
