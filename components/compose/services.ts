/**
 * How each service of the tenant stack runs: the parts of a container's contract the catalog
 * does not carry (health probe, data path). Health probes try curl, then wget, since images
 * ship one or the other.
 */
import { ToolId } from "../../tenants/catalog";

export interface ToolRuntime {
  /** HTTP path that answers 2xx when the tool is ready. */
  readonly healthPath: string;
  /** Where the tool keeps its data inside the container (a named volume is mounted there). */
  readonly dataPath: string;
}

/** Used for a catalog tool without an entry below. */
export const DEFAULT_TOOL_RUNTIME: ToolRuntime = { healthPath: "/", dataPath: "/data" };

export const TOOL_RUNTIME: Readonly<Partial<Record<ToolId, ToolRuntime>>> = {
  nextcloud: { healthPath: "/status.php", dataPath: "/var/www/html" },
  chatwoot: { healthPath: "/api", dataPath: "/app/storage" },
  ghost: { healthPath: "/ghost/api/admin/site/", dataPath: "/var/lib/ghost/content" },
  odoo: { healthPath: "/web/health", dataPath: "/var/lib/odoo" },
  calcom: { healthPath: "/", dataPath: "/data" },
  stalwart: { healthPath: "/healthz/live", dataPath: "/opt/stalwart-mail" },
  keycloak: { healthPath: "/realms/master", dataPath: "/opt/keycloak/data" },
  listmonk: { healthPath: "/api/health", dataPath: "/listmonk/uploads" },
  nocodb: { healthPath: "/api/v1/health", dataPath: "/usr/app/data" },
  umami: { healthPath: "/api/heartbeat", dataPath: "/data" },
  uptime_kuma: { healthPath: "/", dataPath: "/app/data" },
  portainer: { healthPath: "/api/system/status", dataPath: "/data" },
  activepieces: { healthPath: "/api/v1/flags", dataPath: "/root/.activepieces" },
  bookstack: { healthPath: "/status", dataPath: "/config" },
  gitea: { healthPath: "/api/healthz", dataPath: "/data" },
  mattermost: { healthPath: "/api/v4/system/ping", dataPath: "/mattermost/data" },
  penpot: { healthPath: "/", dataPath: "/opt/data" },
  vaultwarden: { healthPath: "/alive", dataPath: "/data" },
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
