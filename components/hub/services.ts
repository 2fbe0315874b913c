/**
 * The hub's deployment units (seed 000 §3.1) as plain data: container names, ports, health
 * checks. nginx on the host is the only public listener; these ports bind to 127.0.0.1.
 */
import { CatalogImage } from "../../tenants/catalog";

export const HUB_SERVICE_IDS = ["postgres", "hubWebApi", "hubWorker", "notifications"] as const;
export type HubServiceId = (typeof HUB_SERVICE_IDS)[number];

/**
 * The image a service runs now, and the one before it (kept pulled for rollback). The digest
 * comes from the image lock, or from the stack config where it pins one itself.
 */
export interface HubImagePair {
  readonly current: CatalogImage;
  readonly previous?: CatalogImage;
}
export type HubImages = Readonly<Record<HubServiceId, HubImagePair>>;

export interface HubService {
  /** Container name on the host; the backup script addresses the database by it. */
  readonly containerName: string;
  /** Port inside the container. */
  readonly containerPort: number;
  /** Port on 127.0.0.1 of the host; absent for the database, which no host process needs. */
  readonly hostPort?: number;
  /** Docker health check command (exec form). */
  readonly healthCheck: readonly string[];
}

export const HUB_DB = { name: "letsbe_hub", user: "letsbe_hub" } as const;

const httpHealth = (port: number, path: string) => ["CMD-SHELL", `wget -q -O /dev/null http://127.0.0.1:${port}${path} || exit 1`];

export const HUB_SERVICES: Readonly<Record<HubServiceId, HubService>> = {
  postgres: {
    containerName: "letsbe-hub-db",
    containerPort: 5432,
    healthCheck: ["CMD-SHELL", `pg_isready -h 127.0.0.1 -U ${HUB_DB.user} -d ${HUB_DB.name}`],
  },
  // Next.js standalone; nginx proxies every route to 127.0.0.1:3847 (seed 001 §2.2).
  hubWebApi: { containerName: "letsbe-hub", containerPort: 3000, hostPort: 3847, healthCheck: httpHealth(3000, "/api/health") },
  hubWorker: { containerName: "letsbe-hub-worker", containerPort: 3000, hostPort: 3848, healthCheck: httpHealth(3000, "/health") },
  notifications: { containerName: "letsbe-hub-notifications", containerPort: 3000, hostPort: 3849, healthCheck: httpHealth(3000, "/health") },
};

/** Upstream nginx proxies to. */
export const HUB_UPSTREAM = `127.0.0.1:${HUB_SERVICES.hubWebApi.hostPort}`;

/** Where the backup writes its report; mounted read-only into the worker, which watches it. */
export const BACKUP_STATUS_DIR = "/var/lib/letsbe/hub-backup";
export const BACKUP_STATUS_FILE = `${BACKUP_STATUS_DIR}/backup-status.json`;
/** Local backup tree: daily/, weekly/, monthly/. */
export const BACKUP_DIR = "/var/backups/letsbe-hub";

/** Container variables the hub component sets itself; config may not override them. */
export const HUB_RESERVED_ENV = ["DATABASE_URL", "NEXTAUTH_URL", "NEXTAUTH_SECRET", "HUB_REGION", "TENANT_BASE_DOMAIN", "NODE_ENV"] as const;

/**
 * `repository@digest`: what is pulled and run; the tag never decides. An image the lock holds
 * unverified without a digest is pulled by `repository:tag` (verified-pins reports it, and the
 * production gate stops it until `letsbe pins verify` passes).
 */
export function pinnedRef(image: CatalogImage): string {
  return image.digest ? `${image.repository}@${image.digest}` : `${image.repository}:${image.tag}`;
}
