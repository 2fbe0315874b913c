/**
 * Each catalog tool's wiring, from its image's own documentation (named beside each entry):
 * the variables it reads, its command, data path and health probe. The database password is
 * the sidecar's (POSTGRES_PASSWORD or MYSQL_PASSWORD in the shared env file); an image that
 * reads it under another name gets it renamed by its own shell before its entrypoint runs.
 */
import type { ToolId } from "../../tenants/catalog";
import type { ToolRuntime } from "./services";

/**
 * An exec-form `sh -c` that exports each variable (a shell expression; `$$` is compose's
 * literal `$`) and then execs `exec`: the value never appears in the compose file or an argv.
 */
export function renameAndExec(shell: string, exports: Readonly<Record<string, string>>, exec: string): string[] {
  const list = Object.entries(exports).map(([name, value]) => `${name}="${value}"`).join(" ");
  return [shell, "-c", `export ${list}; exec ${exec}`];
}

/** Compose-escaped shell expression: the first `n` characters of variable `name` (keys of a fixed length). */
export const firstChars = (name: string, n: number): string => `$$(printf %s "$$${name}" | cut -c1-${n})`;

/** `postgresql://user:password@host:5432/db` from the sidecar's variables, compose-escaped. */
const pgUrl = (scheme: string, host: string, query = ""): string =>
  `${scheme}://$$POSTGRES_USER:$$POSTGRES_PASSWORD@${host}:5432/$$POSTGRES_DB${query}`;

const PENPOT_FLAGS = "enable-login-with-password disable-registration";
const NO_PENPOT_PROBE = "no health endpoint is given in the Penpot documentation read for this entry; judged by its running state";

/** Chatwoot's rails and sidekiq read the same settings (docker-compose.production.yaml shares one env). */
const chatwootApp = (url: string): Record<string, string> => ({
  RAILS_ENV: "production",
  NODE_ENV: "production",
  INSTALLATION_ENV: "docker",
  RAILS_LOG_TO_STDOUT: "true",
  FRONTEND_URL: url,
  ENABLE_ACCOUNT_SIGNUP: "false",
});

export const TOOL_RUNTIME: Readonly<Partial<Record<ToolId, ToolRuntime>>> = {
  // nextcloud/docker README.md, "Auto configuration via environment variables" (POSTGRES_HOST with
  // POSTGRES_DB/USER/PASSWORD; NEXTCLOUD_TRUSTED_DOMAINS) and "Using the apache image behind a
  // reverse proxy" (OVERWRITEPROTOCOL): the image reads POSTGRES_HOST, never DATABASE_HOST.
  nextcloud: {
    healthPath: "/status.php",
    dataPath: "/var/www/html",
    databaseEnv: (db) => ({ POSTGRES_HOST: db.host }),
    environment: (url) => ({ NEXTCLOUD_TRUSTED_DOMAINS: new URL(url).host, OVERWRITEPROTOCOL: "https" }),
  },
  // developers.chatwoot.com/self-hosted/configuration/environment-variables (FRONTEND_URL,
  // SECRET_KEY_BASE, POSTGRES_HOST/USERNAME/PASSWORD/DATABASE, REDIS_URL) and chatwoot's
  // docker-compose.production.yaml: rails through docker/entrypoints/rails.sh with `rails s -p 3000
  // -b 0.0.0.0`, sidekiq with `-C config/sidekiq.yml`; `rails db:chatwoot_prepare` migrates first.
  // The image reads POSTGRES_USERNAME (not POSTGRES_USER) and the sidecar's POSTGRES_PASSWORD.
  chatwoot: {
    healthPath: "/api",
    dataPath: "/app/storage",
    databaseEnv: (db) => ({ POSTGRES_HOST: db.host, POSTGRES_USERNAME: db.user, POSTGRES_DATABASE: db.name }),
    environment: chatwootApp,
    generated: ["SECRET_KEY_BASE"],
    entrypoint: ["docker/entrypoints/rails.sh"],
    command: ["sh", "-c", "bundle exec rails db:chatwoot_prepare && exec bundle exec rails s -p 3000 -b 0.0.0.0"],
    companions: {
      sidekiq: {
        sharedDataPath: "/app/storage",
        usesSidecars: true,
        environment: (ctx) => ({
          ...chatwootApp(ctx.url),
          POSTGRES_HOST: ctx.db?.host ?? "",
          POSTGRES_USERNAME: ctx.db?.user ?? "",
          POSTGRES_DATABASE: ctx.db?.name ?? "",
          REDIS_URL: `redis://${ctx.redisHost}:6379`,
        }),
        command: ["bundle", "exec", "sidekiq", "-C", "config/sidekiq.yml"],
        noSelfProbe: "a sidekiq worker serves no HTTP; chatwoot's compose file gives it no health check",
      },
    },
  },
  // Docker Hub library/ghost (docker-library/docs ghost/content.md, "docker compose"): `url` and
  // database__client/database__connection__host/user/password/database (Ghost's nconf keys);
  // the image's entrypoint is docker-entrypoint.sh with CMD node current/index.js.
  ghost: {
    healthPath: "/ghost/api/admin/site/",
    dataPath: "/var/lib/ghost/content",
    databaseEnv: (db) => ({ database__client: "mysql", database__connection__host: db.host, database__connection__user: db.user, database__connection__database: db.name }),
    environment: (url) => ({ url, NODE_ENV: "production" }),
    entrypoint: renameAndExec("/bin/sh", { database__connection__password: "$$MYSQL_PASSWORD" }, "docker-entrypoint.sh node current/index.js"),
  },
  // odoo/docker 20.0/entrypoint.sh: HOST, PORT, USER, PASSWORD (USER and PASSWORD fall back to
  // POSTGRES_USER and POSTGRES_PASSWORD, which the shared env file holds), `odoo` args passed on;
  // --proxy-mode because nginx terminates TLS (Odoo's deployment docs, "proxy_mode").
  odoo: {
    healthPath: "/web/health",
    dataPath: "/var/lib/odoo",
    databaseEnv: (db) => ({ HOST: db.host, PORT: "5432" }),
    command: ["odoo", "--proxy-mode"],
  },
  // calcom/docker .env.example (NEXT_PUBLIC_WEBAPP_URL, NEXTAUTH_SECRET, CALENDSO_ENCRYPTION_KEY:
  // 32 characters, `openssl rand -base64 24`; DATABASE_URL, DATABASE_DIRECT_URL,
  // CALCOM_TELEMETRY_DISABLED; NEXT_PUBLIC_LICENSE_CONSENT and LICENSE "set to 'agree' to accept
  // our license"), Dockerfile (CMD /calcom/scripts/start.sh) and scripts/start.sh (waits for
  // DATABASE_HOST, runs prisma migrate deploy, starts the app).
  calcom: {
    healthPath: "/",
    dataPath: "/data",
    databaseEnv: (db) => ({ DATABASE_HOST: `${db.host}:5432` }),
    environment: (url) => ({ NEXT_PUBLIC_WEBAPP_URL: url, NEXTAUTH_URL: `${url}/api/auth`, CALCOM_TELEMETRY_DISABLED: "1", NEXT_PUBLIC_LICENSE_CONSENT: "agree", LICENSE: "agree" }),
    generated: ["NEXTAUTH_SECRET", "CALENDSO_ENCRYPTION_KEY"],
    entrypoint: renameAndExec("/bin/sh", {
      DATABASE_URL: pgUrl("postgresql", "calcom-db"),
      DATABASE_DIRECT_URL: pgUrl("postgresql", "calcom-db"),
      CALENDSO_ENCRYPTION_KEY: firstChars("CALENDSO_ENCRYPTION_KEY", 32),
    }, "/calcom/scripts/start.sh"),
  },
  // stalwartlabs/stalwart Dockerfile: data in /opt/stalwart, HTTP (admin, JMAP, /healthz) on 8080,
  // ENTRYPOINT sh entrypoint.sh; the image installs ca-certificates only. Its HTTP listener's
  // liveness endpoint GET /healthz/live answers 200 while the server runs (/healthz/ready: ready).
  stalwart: {
    healthPath: "/healthz/live",
    dataPath: "/opt/stalwart",
    noSelfProbe: "the stalwart image (debian trixie-slim plus ca-certificates) has no curl or wget, and its /bin/sh (dash) has no /dev/tcp",
    hostProbe: { path: "/healthz/live", status: 200 },
  },
  // Keycloak guides (keycloak/keycloak docs/guides): server/containers.adoc (production runs `kc.sh
  // start`), server/db.adoc (KC_DB, KC_DB_URL_HOST, KC_DB_URL_DATABASE, KC_DB_USERNAME,
  // KC_DB_PASSWORD), server/reverseproxy.adoc (KC_PROXY_HEADERS=xforwarded, KC_HTTP_ENABLED behind
  // TLS-terminating nginx), server/hostname.adoc (KC_HOSTNAME), observability/health.adoc
  // (KC_HEALTH_ENABLED; /health/ready on management port 9000; no curl in the image, so the
  // documented bash /dev/tcp HEALTHCHECK). The password comes from the env file the database
  // sidecar shares (POSTGRES_PASSWORD): bash renames it before exec'ing kc.sh start.
  keycloak: {
    healthPath: "/health/ready",
    dataPath: "/opt/keycloak/data",
    databaseEnv: (db) => ({ KC_DB: "postgres", KC_DB_URL_HOST: db.host, KC_DB_URL_DATABASE: db.name, KC_DB_USERNAME: db.user }),
    environment: (url) => ({ KC_HOSTNAME: url, KC_HTTP_ENABLED: "true", KC_PROXY_HEADERS: "xforwarded", KC_HEALTH_ENABLED: "true" }),
    entrypoint: ["/bin/bash", "-c", "export KC_DB_PASSWORD=\"$$POSTGRES_PASSWORD\"; exec /opt/keycloak/bin/kc.sh start"],
    healthTest: ["CMD", "/bin/bash", "-c", "{ printf 'HEAD /health/ready HTTP/1.0\\r\\n\\r\\n' >&0; grep 'HTTP/1.0 200'; } 0<>/dev/tcp/localhost/9000"],
  },
  // knadh/listmonk docs/configuration.md (LISTMONK_app__address, LISTMONK_db__host/port/user/
  // password/database/ssl_mode) and its docker-compose.yml command: install (idempotent), upgrade,
  // then run, each with --config '' so only the environment configures it.
  listmonk: {
    healthPath: "/api/health",
    dataPath: "/listmonk/uploads",
    databaseEnv: (db) => ({ LISTMONK_db__host: db.host, LISTMONK_db__port: "5432", LISTMONK_db__user: db.user, LISTMONK_db__database: db.name, LISTMONK_db__ssl_mode: "disable" }),
    environment: () => ({ LISTMONK_app__address: "0.0.0.0:9000" }),
    command: ["sh", "-c", "export LISTMONK_db__password=\"$$POSTGRES_PASSWORD\"; ./listmonk --install --idempotent --yes --config '' && ./listmonk --upgrade --yes --config '' && exec ./listmonk --config ''"],
  },
  // nocodb docs, "Environment variables" (NC_AUTH_JWT_SECRET, NC_PUBLIC_URL, NC_DISABLE_TELE) and
  // its docker run example (SQLite under /usr/app/data when NC_DB is unset).
  nocodb: {
    healthPath: "/api/v1/health",
    dataPath: "/usr/app/data",
    environment: (url) => ({ NC_PUBLIC_URL: url, NC_DISABLE_TELE: "true" }),
    generated: ["NC_AUTH_JWT_SECRET"],
  },
  // umami docs, "Installation / Docker" and umami-software/umami Dockerfile (v3: PostgreSQL only,
  // DATABASE_URL and APP_SECRET, CMD pnpm start-docker, port 3000). APP_SECRET is the one the host
  // generates for every tool.
  umami: {
    healthPath: "/api/heartbeat",
    dataPath: "/data",
    command: renameAndExec("sh", { DATABASE_URL: pgUrl("postgresql", "umami-db") }, "pnpm start-docker"),
  },
  // louislam/uptime-kuma wiki ("How to Install": volume /app/data, port 3001) and Kuma 2's
  // UPTIME_KUMA_DB_TYPE=sqlite, which skips the database page the first visitor would answer.
  uptime_kuma: { healthPath: "/", dataPath: "/app/data", environment: () => ({ UPTIME_KUMA_DB_TYPE: "sqlite" }) },
  // No Portainer: it needs the Docker socket (root on the host); see tenants/catalog.ts.
  // activepieces docs, "Environment Variables" and its Docker Compose install (AP_ENGINE_EXECUTABLE_PATH,
  // AP_ENCRYPTION_KEY: 32 hex characters, AP_JWT_SECRET, AP_API_KEY, AP_FRONTEND_URL,
  // AP_POSTGRES_*, AP_REDIS_HOST/PORT, AP_EXECUTION_MODE, AP_ENVIRONMENT); Dockerfile ENTRYPOINT
  // ./docker-entrypoint.sh (nginx on 80 in front of the API), cache in /usr/src/app/cache.
  activepieces: {
    healthPath: "/api/v1/flags",
    dataPath: "/usr/src/app/cache",
    databaseEnv: (db) => ({ AP_POSTGRES_HOST: db.host, AP_POSTGRES_PORT: "5432", AP_POSTGRES_USERNAME: db.user, AP_POSTGRES_DATABASE: db.name }),
    environment: (url) => ({
      AP_ENGINE_EXECUTABLE_PATH: "dist/packages/engine/main.js",
      AP_ENVIRONMENT: "prod",
      AP_FRONTEND_URL: url,
      AP_EXECUTION_MODE: "UNSANDBOXED",
      AP_REDIS_HOST: "activepieces-redis",
      AP_REDIS_PORT: "6379",
      AP_TELEMETRY_ENABLED: "false",
    }),
    generated: ["AP_ENCRYPTION_KEY", "AP_JWT_SECRET", "AP_API_KEY"],
    entrypoint: renameAndExec("/bin/sh", {
      AP_POSTGRES_PASSWORD: "$$POSTGRES_PASSWORD",
      AP_ENCRYPTION_KEY: firstChars("AP_ENCRYPTION_KEY", 32),
    }, "./docker-entrypoint.sh"),
  },
  // docs.linuxserver.io/images/docker-bookstack: PUID, PGID, TZ, APP_URL, APP_KEY (32 characters),
  // DB_HOST, DB_PORT, DB_USERNAME, DB_PASSWORD, DB_DATABASE; /config; port 80; s6's /init is PID 1.
  bookstack: {
    healthPath: "/status",
    dataPath: "/config",
    databaseEnv: (db) => ({ DB_HOST: db.host, DB_PORT: "3306", DB_USERNAME: db.user, DB_DATABASE: db.name }),
    environment: (url) => ({ APP_URL: url, PUID: "1000", PGID: "1000", TZ: "Etc/UTC" }),
    entrypoint: renameAndExec("/bin/bash", { DB_PASSWORD: "$$MYSQL_PASSWORD", APP_KEY: firstChars("APP_SECRET", 32) }, "/init"),
  },
  // docs.gitea.com, "Installation with Docker" (USER_UID/USER_GID, GITEA__database__DB_TYPE/HOST/
  // NAME/USER/PASSWD, GITEA__server__ROOT_URL/DOMAIN; /data) and "Configuration Cheat Sheet"
  // (DISABLE_SSH: no SSH port is published); the image's ENTRYPOINT /usr/bin/entrypoint with CMD
  // /usr/bin/s6-svscan /etc/s6. The install page stays open (not locked): INSTALL_LOCK alone
  // leaves sign-up open and Gitea makes the first registered user admin; locking both needs the
  // host to create the admin (`gitea admin user create`, whose password is an argv flag or printed)
  // and a channel handing that password to the tenant, neither built yet.
  gitea: {
    healthPath: "/api/healthz",
    dataPath: "/data",
    databaseEnv: (db) => ({ GITEA__database__DB_TYPE: "postgres", GITEA__database__HOST: `${db.host}:5432`, GITEA__database__NAME: db.name, GITEA__database__USER: db.user }),
    environment: (url) => ({ USER_UID: "1000", USER_GID: "1000", GITEA__server__ROOT_URL: `${url}/`, GITEA__server__DOMAIN: new URL(url).host, GITEA__server__DISABLE_SSH: "true" }),
    entrypoint: renameAndExec("/bin/sh", { GITEA__database__PASSWD: "$$POSTGRES_PASSWORD" }, "/usr/bin/entrypoint /usr/bin/s6-svscan /etc/s6"),
  },
  // mattermost/docker env.example and docker-compose.yml (MM_SQLSETTINGS_DRIVERNAME,
  // MM_SQLSETTINGS_DATASOURCE postgres://user:password@host:5432/db?sslmode=disable&connect_timeout=10,
  // MM_SERVICESETTINGS_SITEURL, MM_BLEVESETTINGS_INDEXDIR=/mattermost/bleve-indexes; volumes
  // /mattermost/config, data, logs, plugins, client/plugins and bleve-indexes); the image runs
  // `mattermost` through its entrypoint, which execs its arguments.
  mattermost: {
    healthPath: "/api/v4/system/ping",
    dataPath: "/mattermost/data",
    moreVolumes: {
      config: "/mattermost/config",
      logs: "/mattermost/logs",
      plugins: "/mattermost/plugins",
      "client-plugins": "/mattermost/client/plugins",
      "bleve-indexes": "/mattermost/bleve-indexes",
    },
    databaseEnv: () => ({ MM_SQLSETTINGS_DRIVERNAME: "postgres" }),
    environment: (url) => ({ MM_SERVICESETTINGS_SITEURL: url, MM_BLEVESETTINGS_INDEXDIR: "/mattermost/bleve-indexes" }),
    command: renameAndExec("/bin/sh", { MM_SQLSETTINGS_DATASOURCE: pgUrl("postgres", "mattermost-db", "?sslmode=disable&connect_timeout=10") }, "mattermost"),
  },
  // penpot/penpot docker/images/docker-compose.yaml (every variable below, the shared assets
  // volume at /opt/data/assets; PENPOT_SECRET_KEY shared by backend and exporter) and
  // Dockerfile.backend (bash, WORKDIR /opt/penpot/backend, CMD bash run.sh); since 2.x the
  // frontend's nginx listens on 8080 (compose files for 2.14 to 2.18 publish 9001:8080). The
  // frontend finds the backend and exporter at penpot-backend:6060 and penpot-exporter:6061.
  penpot: {
    healthPath: "/",
    dataPath: "/opt/data/assets",
    databaseEnv: () => ({}),
    environment: () => ({ PENPOT_FLAGS }),
    generated: ["PENPOT_SECRET_KEY"],
    companions: {
      backend: {
        sharedDataPath: "/opt/data/assets",
        usesSidecars: true,
        environment: (ctx) => ({
          PENPOT_FLAGS,
          PENPOT_PUBLIC_URI: ctx.url,
          PENPOT_DATABASE_URI: `postgresql://${ctx.db?.host}/${ctx.db?.name}`,
          PENPOT_DATABASE_USERNAME: ctx.db?.user ?? "",
          PENPOT_REDIS_URI: `redis://${ctx.redisHost}/0`,
          PENPOT_ASSETS_STORAGE_BACKEND: "assets-fs",
          PENPOT_STORAGE_ASSETS_FS_DIRECTORY: "/opt/data/assets",
          PENPOT_TELEMETRY_ENABLED: "false",
        }),
        entrypoint: renameAndExec("/bin/bash", { PENPOT_DATABASE_PASSWORD: "$$POSTGRES_PASSWORD" }, "/bin/bash run.sh"),
        noSelfProbe: NO_PENPOT_PROBE,
      },
      exporter: {
        usesSidecars: true,
        environment: (ctx) => ({ PENPOT_PUBLIC_URI: `http://${ctx.service}:8080`, PENPOT_REDIS_URI: `redis://${ctx.redisHost}/0` }),
        noSelfProbe: NO_PENPOT_PROBE,
      },
    },
  },
  // dani-garcia/vaultwarden: .env.template and the wiki's "Enabling HTTPS" (DOMAIN, with https://,
  // is the address it is served from; required behind a TLS proxy for U2F/WebAuthn and links);
  // docker/Dockerfile.debian (ROCKET_PORT=80, data in /data). Its own HEALTHCHECK is
  // /healthcheck.sh; the curl probe of /alive is kept, curl being in the image too.
  vaultwarden: { healthPath: "/alive", dataPath: "/data", environment: (url) => ({ DOMAIN: url }) },
};
