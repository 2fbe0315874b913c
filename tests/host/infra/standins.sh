#!/usr/bin/env bash
set -euo pipefail
# Runs ON the test host (after bootstrap): a registry on 127.0.0.1:5000 and stand-in images
# pushed to it, so compose files pinned by digest are exercised as in production.
# Prints one line per pushed image: REPOSITORY TAG DIGEST.
# Usage: standins.sh REPO:TAG:KIND...   KIND healthy* passes its health probes, anything else fails them.
#   Every kind but the PostgreSQL ones also runs under the rendered entrypoint wrappers (bash, the
#   images' own entrypoint paths), so a tool of several services (Penpot) needs no kind of its own.
#   KIND postgres: a real PostgreSQL server from Debian's packages, started as the official image
#     is (POSTGRES_USER superuser, POSTGRES_PASSWORD, POSTGRES_DB; local socket trusted).
#   KIND pg-migrate-broken: a tool release that migrates its database (a `notes` table gains a
#     column, its rows are rewritten, a table is added) at $POSTGRES_HOST, notes that it did in
#     the server's `postgres` database (table standin_migrations), then fails its probes.
#   KIND mysql: a real MySQL-compatible server (Debian's MariaDB) started as the official mysql
#     image is (MYSQL_ROOT_PASSWORD, MYSQL_DATABASE, MYSQL_USER with MYSQL_PASSWORD). KIND
#     mysql-tool: a healthy tool with the MySQL clients; KIND mysql-migrate-broken: a tool release
#     that migrates the `notes` table in Ghost's database__connection__* database, notes that it
#     did in database standin_audit, then fails its probes.
#   KIND noshell-http: an image with NO shell, one static binary (busybox-static, named httpd, so
#     no applet but the web server can run) serving HTTP on 8080 with GET /healthz/live answering
#     200 (Stalwart's port and probe path); KIND noshell-broken: the same, answering 404 there.
# With LB_STANDIN_REGISTRY=HOST:PORT it pushes to that (already running) registry instead of its own.
export DEBIAN_FRONTEND=noninteractive
REGISTRY="${LB_STANDIN_REGISTRY:-127.0.0.1:5000}"

missing=()
packages=(busybox-static)
[[ -n "${LB_STANDIN_REGISTRY:-}" ]] || packages+=(docker-registry)
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]} > 0)); then
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
fi
if [[ -z "${LB_STANDIN_REGISTRY:-}" ]]; then
cat >/etc/docker/registry/config.yml <<'CONF'
version: 0.1
storage:
  filesystem:
    rootdirectory: /var/lib/docker-registry
http:
  addr: 127.0.0.1:5000
CONF
systemctl restart docker-registry
for _ in $(seq 1 30); do curl -fsS "http://$REGISTRY/v2/" >/dev/null 2>&1 && break; sleep 1; done
fi

build() {
  local kind="$1" dir
  dir="$(mktemp -d)"
  mkdir -p "$dir/bin" "$dir/usr/local/bin" "$dir/standin" "$dir/tmp"
  cp /bin/busybox "$dir/bin/busybox"
  for applet in sh sleep mkdir cat echo date wget test cut; do ln -s busybox "$dir/bin/$applet"; done
  # Exec targets of the rendered entrypoint wrappers (components/compose/tools.ts): each is the
  # stand-in itself, so any tool (Penpot's backend, Keycloak, Gitea...) runs on any kind.
  mkdir -p "$dir/calcom/scripts" "$dir/opt/keycloak/bin" "$dir/usr/bin" "$dir/docker/entrypoints"
  for target in /usr/local/bin/docker-entrypoint.sh /calcom/scripts/start.sh /docker-entrypoint.sh /init \
    /usr/bin/entrypoint /opt/keycloak/bin/kc.sh /run.sh /docker/entrypoints/rails.sh; do
    ln -s /standin/run "$dir$target"
  done
  # busybox has no bash: this one runs sh, and answers a /dev/tcp probe (Keycloak's) by the kind.
  printf '#!/bin/sh\ncase "$*" in */dev/tcp/*) exec test -f /standin/healthy ;; esac\nexec /bin/sh "$@"\n' >"$dir/bin/bash"
  chmod 0755 "$dir/bin/bash"
  echo "$kind" >"$dir/standin/version"
  [[ "$kind" == healthy* ]] && touch "$dir/standin/healthy"
  # *-http kinds also answer HTTP on :3000 (the hub services' /health and /api/health probes).
  if [[ "$kind" == *-http ]]; then
    ln -s busybox "$dir/bin/httpd"
    mkdir -p "$dir/standin/www/api"
    echo "$kind" >"$dir/standin/www/health"
    echo "$kind" >"$dir/standin/www/api/health"
  fi
  cat >"$dir/standin/run" <<'RUN'
#!/bin/sh
# Log each start into every data volume; a broken stand-in also scribbles over the data.
for d in /data /var/lib/postgresql/data /var/lib/mysql /var/www/html /app/data; do
  if [ -d "$d" ]; then
    echo "$(cat /standin/version) $(date -u +%FT%TZ)" >>"$d/standin.log"
    [ -f /standin/healthy ] || echo scribbled >"$d/marker"
  fi
done
[ -d /standin/www ] && [ -f /standin/healthy ] && httpd -p 3000 -h /standin/www
trap 'exit 0' TERM INT
while :; do sleep 1 & wait $!; done
RUN
  finish_image "$dir" "$kind" "" PATH=/usr/local/bin:/bin
}

# The database kinds share a frame: start_db makes the root (busybox, /tmp, the kind),
# build_postgres or build_mysql adds the server and clients, finish_image writes a migrating
# release's run script around the database's /standin/migrate and copies the libraries it loads.
start_db() {
  local kind="$1" dir applet
  dir="$(mktemp -d)"
  mkdir -p "$dir/bin" "$dir/usr/local/bin" "$dir/usr/share" "$dir/standin" "$dir/etc"
  install -d -m 1777 "$dir/tmp"
  cp /bin/busybox "$dir/bin/busybox"
  for applet in sh sleep mkdir cat echo date test chown chmod su rm printf kill head cp ls cut seq; do
    ln -s busybox "$dir/bin/$applet"
  done
  echo "$kind" >"$dir/standin/version"
  echo "$dir"
}

# finish_image DIR KIND REAL_PROBE ENV BINARY...: stubs the health probes the rendered compose
# file uses (a stand-in answers by its kind) but the image's real one, imports the image.
finish_image() {
  local dir="$1" kind="$2" real_probe="$3" env="$4" probe lib bin
  shift 4
  for probe in curl pg_isready mysqladmin redis-cli; do
    [[ "$probe" == "$real_probe" ]] && continue
    printf '#!/bin/sh\ntest -f /standin/healthy\n' >"$dir/usr/local/bin/$probe"
    chmod 0755 "$dir/usr/local/bin/$probe"
  done
  if [[ -f "$dir/standin/migrate" ]]; then
    chmod 0755 "$dir/standin/migrate"
    cat >"$dir/standin/run" <<'RUN'
#!/bin/sh
# A tool upgrade that migrates its database (/standin/migrate) and then never becomes healthy.
for d in /data /var/www/html /app/data /var/lib/ghost/content; do
  if [ -d "$d" ]; then
    echo "$(cat /standin/version) $(date -u +%FT%TZ)" >>"$d/standin.log"
    echo scribbled >"$d/marker"
  fi
done
/standin/migrate
trap 'exit 0' TERM INT
while :; do sleep 1 & wait $!; done
RUN
  fi
  chmod 0755 "$dir/standin/run"
  # Every shared library the binaries load, at the path the loader looks for it.
  for bin in "$@"; do
    ldd "$bin" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
  done | sort -u | while read -r lib; do
    mkdir -p "$dir$(dirname "$lib")"
    cp -L "$lib" "$dir$lib"
  done
  tar -C "$dir" -c . | docker import -c 'ENTRYPOINT ["/standin/run"]' -c "ENV $env" - "standin:$kind" >/dev/null
  rm -rf "$dir"
}

# The PostgreSQL kinds: Debian's server and client binaries.
build_postgres() {
  local kind="$1" dir version
  if ! compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; then
    # Packages only: a cluster on the host itself is not wanted.
    install -d /etc/postgresql-common
    echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.conf
    apt-get install -y -qq --no-install-recommends postgresql >/dev/null \
      || { apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql >/dev/null; }
  fi
  version="$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/postgres' | sort -V | tail -n 1 | cut -d/ -f5)"
  dir="$(start_db "$kind")"
  mkdir -p "$dir/var/run/postgresql" "$dir/var/lib/postgresql/data" "$dir/usr/lib/postgresql" "$dir/usr/share/postgresql"
  chmod 1777 "$dir/var/run/postgresql"
  cp -a "/usr/lib/postgresql/$version" "$dir/usr/lib/postgresql/"
  # Without the JIT (LLVM alone is over 100 MB); the server runs without it.
  rm -rf "$dir/usr/lib/postgresql/$version/lib/llvmjit"* "$dir/usr/lib/postgresql/$version/lib/bitcode"
  cp -a "/usr/share/postgresql/$version" "$dir/usr/share/postgresql/"
  cp -a /usr/share/zoneinfo "$dir/usr/share/zoneinfo"
  printf 'root:x:0:0:root:/root:/bin/sh\npostgres:x:999:999:postgres:/var/lib/postgresql:/bin/sh\n' >"$dir/etc/passwd"
  printf 'root:x:0:\npostgres:x:999:\n' >"$dir/etc/group"
  if [[ "$kind" == postgres ]]; then
    cat >"$dir/standin/run" <<'RUN'
#!/bin/sh
# As the official image: initialise an empty data folder once (superuser POSTGRES_USER with
# POSTGRES_PASSWORD, database POSTGRES_DB), then run the server as the postgres user.
set -e
PGDATA=/var/lib/postgresql/data
user="${POSTGRES_USER:-postgres}"
chown postgres:postgres "$PGDATA"
chmod 0700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  printf '%s\n' "${POSTGRES_PASSWORD:?}" >/tmp/pwfile
  chown postgres /tmp/pwfile
  su -s /bin/sh postgres -c "export PATH=$PATH; initdb -D $PGDATA -U '$user' --pwfile=/tmp/pwfile --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C >/dev/null"
  rm -f /tmp/pwfile
  echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
  echo 'host all all all scram-sha-256' >>"$PGDATA/pg_hba.conf"
  db="${POSTGRES_DB:-$user}"
  if [ "$db" != postgres ]; then
    su -s /bin/sh postgres -c "export PATH=$PATH; pg_ctl -D $PGDATA -o \"-c listen_addresses=''\" -w start >/dev/null && createdb -U '$user' '$db' && pg_ctl -D $PGDATA -m fast -w stop >/dev/null"
  fi
fi
# PID 1 stays root: a docker inside a container without CAP_SYS_PTRACE (the test hosts) cannot
# exec into a container whose first process runs as another user. TERM means a fast shutdown.
su -s /bin/sh postgres -c "export PATH=$PATH; exec postgres -D $PGDATA" &
pid=$!
# su stays between: the server's own pid is in its pid file.
trap 'kill -INT "$(head -n 1 "$PGDATA/postmaster.pid")" 2>/dev/null' TERM INT
while kill -0 "$pid" 2>/dev/null; do wait "$pid" || true; done
RUN
  else
    cat >"$dir/standin/migrate" <<'RUN'
#!/bin/sh
PGPASSWORD="$POSTGRES_PASSWORD" psql -v ON_ERROR_STOP=1 -q -h "$POSTGRES_HOST" -U "$POSTGRES_USER" -d "$POSTGRES_DB" <<'SQL'
ALTER TABLE notes ADD COLUMN migrated boolean NOT NULL DEFAULT true;
UPDATE notes SET body = 'migrated ' || body;
CREATE TABLE schema_v2 (version integer);
INSERT INTO schema_v2 VALUES (2);
SQL
# Recorded in the server's maintenance database, which no tenant backup or snapshot holds.
PGPASSWORD="$POSTGRES_PASSWORD" psql -q -h "$POSTGRES_HOST" -U "$POSTGRES_USER" -d postgres \
  -c 'CREATE TABLE IF NOT EXISTS standin_migrations (at timestamptz DEFAULT now()); INSERT INTO standin_migrations DEFAULT VALUES'
RUN
  fi
  finish_image "$dir" "$kind" pg_isready "PATH=/usr/lib/postgresql/$version/bin:/usr/local/bin:/bin TZ=UTC" \
    "$dir/usr/lib/postgresql/$version/bin/"* "$dir/usr/lib/postgresql/$version/lib/"*.so
}

# The MySQL kinds (mysql, mysql-tool, mysql-migrate-broken): Debian's MariaDB server and clients (mysql, mysqldump, mysqladmin by their
# MySQL names too) and a data folder initialised on this host by mariadb-install-db, copied in at
# the first start.
build_mysql() {
  local kind="$1" dir bin lib
  if ! command -v mariadbd >/dev/null 2>&1; then
    apt-get install -y -qq --no-install-recommends mariadb-server mariadb-client >/dev/null \
      || { apt-get update -qq && apt-get install -y -qq --no-install-recommends mariadb-server mariadb-client >/dev/null; }
    # Packages only: the host itself runs no database.
    systemctl disable --now mariadb >/dev/null 2>&1 || true
  fi
  dir="$(start_db "$kind")"
  mkdir -p "$dir/usr/bin" "$dir/usr/sbin" "$dir/var/lib/mysql" "$dir/run/mysqld" "$dir/var/lib/ghost/content"
  cp -L "$(command -v mariadbd)" "$dir/usr/sbin/mariadbd"
  for bin in mariadb mariadb-dump mariadb-admin; do cp -L "$(command -v "$bin")" "$dir/usr/bin/$bin"; done
  ln -s mariadb "$dir/usr/bin/mysql"
  ln -s mariadb-dump "$dir/usr/bin/mysqldump"
  ln -s mariadb-admin "$dir/usr/bin/mysqladmin"
  cp -a /usr/share/mariadb "$dir/usr/share/mariadb"
  [[ -d /usr/lib/mysql/plugin ]] && mkdir -p "$dir/usr/lib/mysql" && cp -a /usr/lib/mysql/plugin "$dir/usr/lib/mysql/"
  # glibc loads libgcc_s when a thread is cancelled; ldd does not list it.
  for lib in /lib/x86_64-linux-gnu/libgcc_s.so.1 /usr/lib/x86_64-linux-gnu/libgcc_s.so.1; do
    if [[ -e "$lib" ]]; then mkdir -p "$dir$(dirname "$lib")" && cp -L "$lib" "$dir$lib"; fi
  done
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$dir/etc/passwd"
  printf 'root:x:0:\n' >"$dir/etc/group"
  if [[ "$kind" == mysql ]]; then
    mariadb-install-db --user=root --datadir="$dir/standin/datadir" --auth-root-authentication-method=normal --skip-test-db >/dev/null
    cat >"$dir/standin/run" <<'RUN'
#!/bin/sh
# As the official mysql image: an empty data folder is initialised once (root with
# MYSQL_ROOT_PASSWORD, MYSQL_DATABASE, MYSQL_USER with MYSQL_PASSWORD on it), then the server runs.
set -e
data=/var/lib/mysql
if [ ! -d "$data/mysql" ]; then
  cp -a /standin/datadir/. "$data/"
  mariadbd --user=root --datadir="$data" --skip-networking --socket=/tmp/init.sock &
  for _ in $(seq 1 60); do mysqladmin --socket=/tmp/init.sock -uroot ping >/dev/null 2>&1 && break; sleep 1; done
  # root has no password until this runs (mariadb-install-db's normal authentication).
  mysql --socket=/tmp/init.sock -uroot <<SQL
ALTER USER 'root'@'localhost' IDENTIFIED BY '${MYSQL_ROOT_PASSWORD:?}';
CREATE USER 'root'@'%' IDENTIFIED BY '${MYSQL_ROOT_PASSWORD}';
GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;
CREATE DATABASE \`${MYSQL_DATABASE:?}\`;
CREATE USER '${MYSQL_USER:?}'@'%' IDENTIFIED BY '${MYSQL_PASSWORD:?}';
GRANT ALL ON \`${MYSQL_DATABASE}\`.* TO '${MYSQL_USER}'@'%';
SQL
  MYSQL_PWD="$MYSQL_ROOT_PASSWORD" mysqladmin --socket=/tmp/init.sock -uroot shutdown
  wait
fi
exec mariadbd --user=root --datadir="$data" --bind-address=0.0.0.0 --skip-name-resolve
RUN
  elif [[ "$kind" == mysql-tool ]]; then
    # A healthy tool on MySQL (started through Ghost's entrypoint name), logging each start in its volume.
    touch "$dir/standin/healthy"
    ln -s /standin/run "$dir/usr/local/bin/docker-entrypoint.sh"
    cat >"$dir/standin/run" <<'RUN'
#!/bin/sh
for d in /data /var/www/html /app/data /var/lib/ghost/content; do
  [ -d "$d" ] && echo "$(cat /standin/version) $(date -u +%FT%TZ)" >>"$d/standin.log"
done
trap 'exit 0' TERM INT
while :; do sleep 1 & wait $!; done
RUN
  else
    # Ghost's variables name the database.
    ln -s /standin/run "$dir/usr/local/bin/docker-entrypoint.sh"
    cat >"$dir/standin/migrate" <<'RUN'
#!/bin/sh
export MYSQL_PWD="$MYSQL_PASSWORD"
db="$database__connection__database"
mysql -h "$database__connection__host" -u "$database__connection__user" "$db" <<'SQL'
ALTER TABLE notes ADD COLUMN migrated boolean NOT NULL DEFAULT true;
UPDATE notes SET body = CONCAT('migrated ', body);
CREATE TABLE schema_v2 (version integer);
INSERT INTO schema_v2 VALUES (2);
SQL
# Recorded in a database of its own, which no tenant backup or snapshot holds.
MYSQL_PWD="$MYSQL_ROOT_PASSWORD" mysql -h "$database__connection__host" -u root \
  -e 'CREATE DATABASE IF NOT EXISTS standin_audit; CREATE TABLE IF NOT EXISTS standin_audit.migrations (at timestamp DEFAULT current_timestamp); INSERT INTO standin_audit.migrations () VALUES ()'
RUN
  fi
  finish_image "$dir" "$kind" mysqladmin "PATH=/usr/local/bin:/usr/sbin:/usr/bin:/bin TZ=UTC" \
    "$dir/usr/sbin/mariadbd" "$dir/usr/bin/mariadb" "$dir/usr/bin/mariadb-dump" "$dir/usr/bin/mariadb-admin"
}

# The shell-less kinds: nothing in the image but the static binary and the files it serves.
build_noshell() {
  local kind="$1" dir
  dir="$(mktemp -d)"
  mkdir -p "$dir/www/healthz"
  cp /bin/busybox "$dir/httpd"
  echo "$kind" >"$dir/www/version"
  [[ "$kind" == noshell-http ]] && echo live >"$dir/www/healthz/live"
  tar -C "$dir" -c . | docker import -c 'ENTRYPOINT ["/httpd", "-f", "-p", "8080", "-h", "/www"]' - "standin:$kind" >/dev/null
  rm -rf "$dir"
}

declare -A built=()
for item in "$@"; do
  IFS=: read -r repo tag kind <<<"$item"
  if [[ -z "${built[$kind]:-}" ]]; then
    case "$kind" in
      postgres | pg-migrate-broken) build_postgres "$kind" ;;
      mysql | mysql-tool | mysql-migrate-broken) build_mysql "$kind" ;;
      noshell-http | noshell-broken) build_noshell "$kind" ;;
      *) build "$kind" ;;
    esac
    built[$kind]=1
  fi
  docker tag "standin:$kind" "$REGISTRY/$repo:$tag"
  docker push -q "$REGISTRY/$repo:$tag" >/dev/null
  digest="$(docker image inspect -f '{{range .RepoDigests}}{{println .}}{{end}}' "$REGISTRY/$repo:$tag" | grep "^$REGISTRY/$repo@" | head -1)"
  echo "$REGISTRY/$repo $tag ${digest#*@}"
done
