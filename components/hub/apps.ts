/**
 * The hub's containers as one compose project on the hub (postgres, hub-web-api, hub-worker,
 * notifications), applied by a stage like every other: the compose file is copied, the secret
 * environment files arrive on stdin, `docker compose up --wait` gates on health. Docker's own
 * objects (network, volumes, containers) are never Pulumi resources, so no engine ordering of
 * their deletes exists to get wrong; a replaced server is a blank engine the stage fills again.
 */
import { dump } from "js-yaml";
import { RegionId } from "../../tenants/catalog";
import { HUB_DB, HUB_SERVICES, HUB_SERVICE_IDS, HubImages, HubServiceId, BACKUP_STATUS_DIR, pinnedRef } from "./services";

/** Where the project lives on the hub, and its compose project name. */
export const HUB_APPS_DIR = "/opt/letsbe/hub";
export const HUB_PROJECT = "letsbe-hub";
/** Named volumes; all hold state (the database, provisioning job records, logs). */
export const HUB_VOLUMES = { dbData: "hub-db-data", jobs: "hub-jobs", logs: "hub-logs" } as const;
/** The database sits on an internal network (no route out); the apps also join one with egress. */
export const HUB_NETWORKS = { db: "letsbe-hub-db", app: "letsbe-hub" } as const;
/** How long `up --wait` may take for every container to be healthy, seconds. */
export const HUB_WAIT_TIMEOUT_S = 180;

/** Compose service names; the apps reach the database as `db`. */
const SERVICE_NAMES: Readonly<Record<HubServiceId, string>> = { postgres: "db", hubWebApi: "hub-web-api", hubWorker: "hub-worker", notifications: "notifications" };

const APP_VOLUMES: Readonly<Record<Exclude<HubServiceId, "postgres">, readonly string[]>> = {
  hubWebApi: [`${HUB_VOLUMES.jobs}:/app/jobs:ro`, `${HUB_VOLUMES.logs}:/app/logs`],
  // The worker runs provisioning jobs, which start provisioner containers (seed 001 §3.1): it
  // alone gets the engine socket. It also watches the backup report.
  hubWorker: [`${HUB_VOLUMES.jobs}:/app/jobs`, `${HUB_VOLUMES.logs}:/app/logs`, "/var/run/docker.sock:/var/run/docker.sock", `${BACKUP_STATUS_DIR}:/run/letsbe/hub-backup:ro`],
  notifications: [`${HUB_VOLUMES.logs}:/app/logs`],
};

function service(id: HubServiceId, images: HubImages): Record<string, unknown> {
  const spec = HUB_SERVICES[id];
  const common = {
    image: pinnedRef(images[id].current),
    container_name: spec.containerName,
    restart: "unless-stopped",
    healthcheck: { test: [...spec.healthCheck], interval: "10s", timeout: "5s", retries: 5, start_period: "30s" },
    // Rotated json-file logs: a chatty container never fills the disk.
    logging: { driver: "json-file", options: { "max-size": "20m", "max-file": "5" } },
    labels: { "letsbe.role": "hub", "letsbe.image.tag": images[id].current.tag },
    ...(spec.hostPort === undefined ? {} : { ports: [`127.0.0.1:${spec.hostPort}:${spec.containerPort}`] }),
  };
  if (id === "postgres") {
    return { ...common, env_file: ["db.env"], volumes: [`${HUB_VOLUMES.dbData}:/var/lib/postgresql/data`], networks: ["db"], shm_size: "256m" };
  }
  return { ...common, env_file: ["app.env"], volumes: [...APP_VOLUMES[id]], networks: ["app", "db"], depends_on: { db: { condition: "service_healthy" } } };
}

/** The compose file: images by digest, ports on 127.0.0.1 only, no secret (those are env files). */
export function renderHubCompose(images: HubImages): string {
  return dump({
    name: HUB_PROJECT,
    services: Object.fromEntries(HUB_SERVICE_IDS.map((id) => [SERVICE_NAMES[id], service(id, images)])),
    networks: { db: { name: HUB_NETWORKS.db, internal: true }, app: { name: HUB_NETWORKS.app } },
    volumes: Object.fromEntries(Object.values(HUB_VOLUMES).map((v) => [v, { name: v, labels: { "letsbe.role": "hub" } }])),
  }, { lineWidth: -1, noRefs: true });
}

/** Every image kept on the hub beyond those running: the previous pins, for a quick rollback. */
export function keptImages(images: HubImages): string[] {
  return HUB_SERVICE_IDS.flatMap((id) => { const p = images[id].previous; return p ? [pinnedRef(p)] : []; });
}

/**
 * A compose env file: single-quoted values are taken literally (no interpolation). A value with
 * a quote or a line break is refused, naming the variable and never the value.
 */
export function renderEnvFile(env: Readonly<Record<string, string>>, source: string): string {
  return Object.keys(env).sort().map((key) => {
    const value = env[key];
    if (/['\r\n]/.test(value)) throw new Error(`${source}: ${key} holds a single quote or a line break, which a compose env file cannot carry literally`);
    return `${key}='${value}'\n`;
  }).join("");
}

export interface HubAppEnvArgs {
  readonly region: RegionId;
  readonly hubUrl: string;
  readonly tenantBaseDomain: string;
  /** Plain container environment from config; the program's own names win. */
  readonly environment: Readonly<Record<string, string>>;
  readonly secretEnvironment: Readonly<Record<string, string>>;
  readonly dbPassword: string;
  readonly authSecret: string;
}

/** The database container's environment file (holds its password). */
export function renderDbEnv(dbPassword: string): string {
  return renderEnvFile({ POSTGRES_DB: HUB_DB.name, POSTGRES_USER: HUB_DB.user, POSTGRES_PASSWORD: dbPassword }, "hub database environment");
}

/** The apps' environment file: config environment, secret environment, then what the hub sets itself. */
export function renderAppEnv(args: HubAppEnvArgs): string {
  return renderEnvFile({
    ...args.environment,
    ...args.secretEnvironment,
    DATABASE_URL: `postgresql://${HUB_DB.user}:${encodeURIComponent(args.dbPassword)}@db:5432/${HUB_DB.name}`,
    NEXTAUTH_URL: args.hubUrl,
    NEXTAUTH_SECRET: args.authSecret,
    HUB_REGION: args.region,
    TENANT_BASE_DOMAIN: args.tenantBaseDomain,
    NODE_ENV: "production",
  }, "letsbe-hub:environment/secretEnvironment");
}
