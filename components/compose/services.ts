/**
 * How each service of the tenant stack runs: the parts of a container's contract the catalog
 * does not carry (health probe, data path). Health probes try curl, then wget, since images
 * ship one or the other.
 */
import { ToolId } from "../../tenants/catalog";

export interface ToolDatabase {
  /** Compose service name of the database sidecar. */
  readonly host: string;
  readonly name: string;
  readonly user: string;
}

export interface ToolRuntime {
  /** HTTP path that answers 2xx when the tool is ready. */
  readonly healthPath: string;
  /** Where the tool keeps its data inside the container (a named volume is mounted there). */
  readonly dataPath: string;
  /**
   * The database variables the image itself reads, in place of the generic `DATABASE_HOST`
   * (the sidecar's `POSTGRES_USER`/`POSTGRES_DB` or `MYSQL_*` and the generated password in the
   * shared env file are always there).
   */
  readonly databaseEnv?: (db: ToolDatabase) => Readonly<Record<string, string>>;
  /** Further variables the image's documentation requires; `url` is the tool's public https URL. */
  readonly environment?: (url: string) => Readonly<Record<string, string>>;
  /** Exec-form entrypoint, where the image's own one needs arguments or a variable renamed. */
  readonly entrypoint?: readonly string[];
  /** The health check's full `test`, where the image has no curl/wget (its documentation's probe). */
  readonly healthTest?: readonly string[];
  /**
   * Why the image cannot probe itself (no shell, no client, no health command): its in-container
   * check is disabled, and the compose health gate (apply.sh) judges it by its running state.
   */
  readonly noSelfProbe?: string;
  /** The tool's further services (catalog `companions`), by name. */
  readonly companions?: Readonly<Record<string, CompanionRuntime>>;
}

export interface CompanionContext {
  /** The tool's public https URL. */
  readonly url: string;
  /** Compose service name of the tool's main service. */
  readonly service: string;
  readonly db?: ToolDatabase;
  /** `redis://<tool>-redis:6379` when the tool has a redis sidecar. */
  readonly redisHost?: string;
}

export interface CompanionRuntime {
  /** Mounts the tool's own data volume here (files the main service serves); none when absent. */
  readonly sharedDataPath?: string;
  readonly environment: (ctx: CompanionContext) => Readonly<Record<string, string>>;
  readonly entrypoint?: readonly string[];
  /** Waits for the tool's database and redis sidecars to be healthy. */
  readonly usesSidecars?: boolean;
  /** As ToolRuntime.noSelfProbe. */
  readonly noSelfProbe?: string;
}

const PENPOT_FLAGS = "enable-login-with-password disable-registration";

/** Used for a catalog tool without an entry below. */
export const DEFAULT_TOOL_RUNTIME: ToolRuntime = { healthPath: "/", dataPath: "/data" };

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
  chatwoot: { healthPath: "/api", dataPath: "/app/storage" },
  ghost: { healthPath: "/ghost/api/admin/site/", dataPath: "/var/lib/ghost/content" },
  odoo: { healthPath: "/web/health", dataPath: "/var/lib/odoo" },
  calcom: { healthPath: "/", dataPath: "/data" },
  stalwart: { healthPath: "/healthz/live", dataPath: "/opt/stalwart-mail" },
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
  listmonk: { healthPath: "/api/health", dataPath: "/listmonk/uploads" },
  nocodb: { healthPath: "/api/v1/health", dataPath: "/usr/app/data" },
  umami: { healthPath: "/api/heartbeat", dataPath: "/data" },
  uptime_kuma: { healthPath: "/", dataPath: "/app/data" },
  portainer: {
    healthPath: "/api/system/status",
    dataPath: "/data",
    noSelfProbe: "portainer-ce is built FROM scratch: no /bin/sh, curl or wget, and no health subcommand (portainer/portainer#1364, #3572); a probe inside it can only fail",
  },
  activepieces: { healthPath: "/api/v1/flags", dataPath: "/root/.activepieces" },
  bookstack: { healthPath: "/status", dataPath: "/config" },
  gitea: { healthPath: "/api/healthz", dataPath: "/data" },
  mattermost: { healthPath: "/api/v4/system/ping", dataPath: "/mattermost/data" },
  // penpot/penpot docker/images/docker-compose.yaml (every variable below, the shared assets
  // volume at /opt/data/assets) and Dockerfile.backend (bash, WORKDIR /opt/penpot/backend,
  // CMD bash run.sh): the backend's password and secret key come from the env file the
  // database sidecar shares, renamed by bash before run.sh. The frontend finds the backend and
  // exporter at penpot-backend:6060 and penpot-exporter:6061, which is why they are named so.
  penpot: {
    healthPath: "/",
    dataPath: "/opt/data/assets",
    databaseEnv: () => ({}),
    environment: () => ({ PENPOT_FLAGS }),
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
        entrypoint: ["/bin/bash", "-c", "export PENPOT_DATABASE_PASSWORD=\"$$POSTGRES_PASSWORD\" PENPOT_SECRET_KEY=\"$$APP_SECRET\"; exec /bin/bash run.sh"],
        noSelfProbe: "no health endpoint is given in the Penpot documentation read for this entry; judged by its running state",
      },
      exporter: {
        usesSidecars: true,
        environment: (ctx) => ({ PENPOT_PUBLIC_URI: `http://${ctx.service}`, PENPOT_REDIS_URI: `redis://${ctx.redisHost}/0` }),
        noSelfProbe: "no health endpoint is given in the Penpot documentation read for this entry; judged by its running state",
      },
    },
  },
  // dani-garcia/vaultwarden: .env.template and the wiki's "Enabling HTTPS" (DOMAIN, with https://,
  // is the address it is served from; required behind a TLS proxy for U2F/WebAuthn and links);
  // docker/Dockerfile.debian (ROCKET_PORT=80, data in /data). Its own HEALTHCHECK is
  // /healthcheck.sh; the curl probe of /alive is kept, curl being in the image too.
  vaultwarden: { healthPath: "/alive", dataPath: "/data", environment: (url) => ({ DOMAIN: url }) },
};

export function toolRuntime(id: ToolId): ToolRuntime {
  return TOOL_RUNTIME[id] ?? DEFAULT_TOOL_RUNTIME;
}

/** The LetsBe core: container port (bound to 127.0.0.1 on the same host port) and RAM, MiB. */
export const CORE_SERVICES = {
  openclaw: { port: 18789, ramMb: 384, healthPath: "/healthz" },
  "safety-wrapper": { port: 8200, ramMb: 128, healthPath: "/healthz" },
  "secrets-proxy": { port: 8100, ramMb: 64, healthPath: "/healthz" },
} as const;

/** Mail ports a mail tool publishes on all addresses: SMTP, SMTPS, submission, IMAPS. */
export const MAIL_CONTAINER_PORTS = [25, 465, 587, 993] as const;

export const DATABASE_RUNTIME = {
  postgres: { dataPath: "/var/lib/postgresql/data", probe: "pg_isready -q -U \"$$POSTGRES_USER\"", generated: ["POSTGRES_PASSWORD"] },
  mysql: { dataPath: "/var/lib/mysql", probe: "mysqladmin ping -h 127.0.0.1 --silent", generated: ["MYSQL_PASSWORD", "MYSQL_ROOT_PASSWORD"] },
  redis: { dataPath: "/data", probe: "redis-cli ping", generated: [] as string[] },
} as const;

export function httpProbe(port: number, path: string): string {
  const url = `http://127.0.0.1:${port}${path}`;
  return `curl -fsS -o /dev/null ${url} || wget -q -O /dev/null ${url}`;
}
