/**
 * The product catalog: tiers, tools, regions and release pins. Plain data with types, so
 * the compiler catches a misspelt tier or tool anywhere it is used.
 * Figures: seed 001 §5.1 (tiers), §5.2 (overhead), §5.3 (tools), §6.1/§6.2 (providers), §10.2 (subdomains).
 * Images are named by repository and tag only; digests come from the lock (tenants/images.lock.json).
 */
import { LoadedLock, loadLock, lockKey } from "./pins/lock";

export const TIER_IDS = ["lite", "build", "scale", "enterprise"] as const;
export type TierId = (typeof TIER_IDS)[number];

export const REGION_IDS = ["eu", "us"] as const;
export type RegionId = (typeof REGION_IDS)[number];

export const TOOL_IDS = [
  "nextcloud", "chatwoot", "ghost", "odoo", "calcom", "stalwart", "keycloak",
  "listmonk", "nocodb", "umami", "uptime_kuma", "activepieces",
  "bookstack", "gitea", "mattermost", "penpot", "vaultwarden",
] as const;
export type ToolId = (typeof TOOL_IDS)[number];

/** A container image pinned by digest (stack config overrides, the hub config, stand-ins). */
export interface ImagePin {
  readonly repository: string;
  readonly tag: string;
  /** `sha256:` followed by 64 lowercase hex digits. */
  readonly digest: string;
}

/**
 * An image the catalog names: repository and tag chosen here, the digest taken from the image
 * lock (`tenants/images.lock.json`, see tenants/pins/lock.ts). An entry the lock marks
 * unverified without a digest has none: it renders as `repository:tag`, the `verified-pins`
 * policy reports it, and `pins-verified-for-production` stops it before a production preview
 * or update.
 */
export interface CatalogImage {
  readonly repository: string;
  readonly tag: string;
  /** `sha256:` followed by 64 lowercase hex digits; absent while the lock has none. */
  readonly digest?: string;
}

export interface Tier {
  /** RAM of the server, MiB. */
  readonly ramMb: number;
  readonly cores: number;
  readonly diskGb: number;
  /** Netcup root server product (template name prefix in the SCP API). */
  readonly netcupProduct: string;
  /** Hetzner Cloud server type used when the tier runs as overflow. */
  readonly hetznerServerType: string;
}

export const TIERS: Readonly<Record<TierId, Tier>> = {
  lite: { ramMb: 8192, cores: 4, diskGb: 256, netcupProduct: "RS 1000 G12", hetznerServerType: "cpx21" },
  build: { ramMb: 16384, cores: 8, diskGb: 512, netcupProduct: "RS 2000 G12", hetznerServerType: "cpx31" },
  scale: { ramMb: 32768, cores: 12, diskGb: 1024, netcupProduct: "RS 4000 G12", hetznerServerType: "cpx41" },
  enterprise: { ramMb: 65536, cores: 16, diskGb: 2048, netcupProduct: "RS 8000 G12", hetznerServerType: "cpx51" },
};

/** OpenClaw 256 + Chromium 128 + Safety Wrapper 128 + Secrets Proxy 64 + nginx 64, MiB. */
export const LETSBE_OVERHEAD_MB = 640;

export type DatabaseKind = "postgres" | "mysql";

/** RAM of each database sidecar a tool brings, MiB. */
export const SIDECAR_RAM_MB = { postgres: 256, mysql: 128, redis: 64 } as const;

export interface Tool {
  /** RAM of the tool's own container, MiB (sidecars counted apart). */
  readonly ramMb: number;
  readonly diskGb: number;
  readonly database?: DatabaseKind;
  readonly redis?: boolean;
  /** Host port on 127.0.0.1 that nginx proxies to. */
  readonly port: number;
  /** Port the tool listens on inside its container. */
  readonly containerPort: number;
  /** Subdomain of the tenant's domain that nginx serves the tool on. */
  readonly subdomain: string;
  /** A mail server: opens the mail ports and adds mail DNS records. */
  readonly mail?: boolean;
  readonly image: CatalogImage;
  /**
   * Further services the tool is made of (rendered as `<tool>-<name>`), each with its own image
   * and RAM, MiB; their wiring is in components/compose/services.ts.
   */
  readonly companions?: readonly ToolCompanion[];
}

export interface ToolCompanion {
  readonly name: string;
  readonly image: CatalogImage;
  readonly ramMb: number;
}

/** The lock, read once. */
const LOCK: LoadedLock = loadLock();

/** Every image the catalog names, by where it is used (the lock must hold each). */
const named: Array<{ readonly where: string; readonly repository: string; readonly tag: string }> = [];

/**
 * A catalog image with the lock's digest. One the lock does not hold yet (a tag just changed
 * here, before `letsbe pins update`) has none and is not in the lock: pinned-artifacts refuses
 * it, so nothing runs it, while the CLI still loads to update the lock.
 */
const image = (where: string, repository: string, tag: string): CatalogImage => {
  named.push({ where, repository, tag });
  const digest = LOCK.byKey.get(lockKey({ repository, tag }))?.digest;
  return digest ? { repository, tag, digest } : { repository, tag };
};

// Tags: the newest stable release each project published that public compose files and
// Dockerfiles pin (named per entry; the registries are unreachable here, so every new tag's lock
// entry is unverified until `letsbe pins update`). Wiring: components/compose/tools.ts.
const CHATWOOT_IMAGE = image("tool chatwoot (rails and sidekiq)", "docker.io/chatwoot/chatwoot", "v4.18.0");

export const TOOLS: Readonly<Record<ToolId, Tool>> = {
  // nextcloud/docker README (tags <version>-apache); 34.0.4-apache as pinned by current compose files.
  nextcloud: { ramMb: 512, diskGb: 10, database: "postgres", port: 3023, containerPort: 80, subdomain: "files", image: image("tool nextcloud", "docker.io/library/nextcloud", "34.0.4-apache") },
  // chatwoot/chatwoot releases (v4.18.0; docker manifest lists amd64 and arm64); rails plus its
  // sidekiq worker, as docker-compose.production.yaml runs them.
  chatwoot: {
    ramMb: 512, diskGb: 5, database: "postgres", redis: true, port: 3019, containerPort: 3000, subdomain: "chat",
    image: CHATWOOT_IMAGE,
    companions: [{ name: "sidekiq", image: CHATWOOT_IMAGE, ramMb: 256 }],
  },
  // Docker Hub library/ghost (Ghost 6, <version>-alpine).
  ghost: { ramMb: 256, diskGb: 3, database: "mysql", port: 3025, containerPort: 2368, subdomain: "blog", image: image("tool ghost", "docker.io/library/ghost", "6.62.0-alpine") },
  // odoo/docker (20.0/ is the newest series directory, with its entrypoint.sh).
  odoo: { ramMb: 1024, diskGb: 10, database: "postgres", port: 3035, containerPort: 8069, subdomain: "erp", image: image("tool odoo", "docker.io/library/odoo", "20.0") },
  // calcom/cal.com releases (v6.2.0, amd64; -arm tags apart).
  calcom: { ramMb: 256, diskGb: 2, database: "postgres", port: 3044, containerPort: 3000, subdomain: "cal", image: image("tool calcom", "docker.io/calcom/cal.com", "v6.2.0") },
  // The image is stalwartlabs/stalwart since 0.11 (stalwartlabs/mail-server is the old name).
  stalwart: { ramMb: 256, diskGb: 5, port: 3011, containerPort: 8080, subdomain: "mail", mail: true, image: image("tool stalwart", "docker.io/stalwartlabs/stalwart", "v0.16.15") },
  // quay.io/keycloak/keycloak (26.7.4).
  keycloak: { ramMb: 512, diskGb: 2, database: "postgres", port: 3043, containerPort: 8080, subdomain: "auth", image: image("tool keycloak", "quay.io/keycloak/keycloak", "26.7.4") },
  // knadh/listmonk releases (v6.2.0).
  listmonk: { ramMb: 256, diskGb: 2, database: "postgres", port: 3026, containerPort: 9000, subdomain: "lists", image: image("tool listmonk", "docker.io/listmonk/listmonk", "v6.2.0") },
  // nocodb/nocodb (date-versioned since 2025: 2026.09.0).
  nocodb: { ramMb: 256, diskGb: 2, port: 3037, containerPort: 8080, subdomain: "tables", image: image("tool nocodb", "docker.io/nocodb/nocodb", "2026.09.0") },
  // umami v3 (PostgreSQL only; tags without the postgresql- prefix): 3.4.0.
  umami: { ramMb: 192, diskGb: 1, database: "postgres", port: 3029, containerPort: 3000, subdomain: "analytics", image: image("tool umami", "ghcr.io/umami-software/umami", "3.4.0") },
  // louislam/uptime-kuma 2.x (2.5.3).
  uptime_kuma: { ramMb: 128, diskGb: 1, port: 3033, containerPort: 3001, subdomain: "status", image: image("tool uptime_kuma", "docker.io/louislam/uptime-kuma", "2.5.3") },
  // Portainer is not offered: docs.portainer.io ("Install Portainer CE with Docker on Linux")
  // requires /var/run/docker.sock, which makes it root on the tenant host beside the safety
  // wrapper (any container, any mount), and without the socket it has nothing to manage.
  // activepieces releases (0.86.3); its compose file runs redis beside postgres.
  activepieces: { ramMb: 384, diskGb: 3, database: "postgres", redis: true, port: 3040, containerPort: 80, subdomain: "flows", image: image("tool activepieces", "ghcr.io/activepieces/activepieces", "0.86.3") },
  // linuxserver/bookstack tags v<version>-ls<build> (v26.09.1-ls287).
  bookstack: { ramMb: 256, diskGb: 2, database: "mysql", port: 3036, containerPort: 80, subdomain: "wiki", image: image("tool bookstack", "lscr.io/linuxserver/bookstack", "v26.09.1-ls287") },
  // gitea/gitea (1.26.4).
  gitea: { ramMb: 256, diskGb: 10, database: "postgres", port: 3030, containerPort: 3000, subdomain: "code", image: image("tool gitea", "docker.io/gitea/gitea", "1.26.4") },
  // mattermost/mattermost-team-edition (11.11.1).
  mattermost: { ramMb: 1024, diskGb: 10, database: "postgres", port: 3045, containerPort: 8065, subdomain: "team", image: image("tool mattermost", "docker.io/mattermost/mattermost-team-edition", "11.11.1") },
  // Penpot is three services (penpot/penpot docker/images/docker-compose.yaml): the frontend
  // (nginx on 8080, the UI, proxying to penpot-backend:6060 and penpot-exporter:6061 by those
  // names), the backend and the exporter; 1024 MiB in all. Penpot 2.18.2.
  penpot: {
    ramMb: 128, diskGb: 5, database: "postgres", redis: true, port: 3046, containerPort: 8080, subdomain: "design",
    image: image("tool penpot", "docker.io/penpotapp/frontend", "2.18.2"),
    companions: [
      { name: "backend", image: image("tool penpot backend", "docker.io/penpotapp/backend", "2.18.2"), ramMb: 640 },
      { name: "exporter", image: image("tool penpot exporter", "docker.io/penpotapp/exporter", "2.18.2"), ramMb: 256 },
    ],
  },
  // dani-garcia/vaultwarden releases (1.37.3).
  vaultwarden: { ramMb: 128, diskGb: 1, port: 3047, containerPort: 80, subdomain: "vault", image: image("tool vaultwarden", "docker.io/vaultwarden/server", "1.37.3") },
};

/**
 * Database sidecar images, pinned like the tools. Majors kept: a tenant's existing data
 * directory needs pg_upgrade (PostgreSQL) or a dump and reload to change major; MySQL 8.4 is the
 * LTS series Ghost 6 and BookStack support.
 */
export const SIDECAR_IMAGES: Readonly<Record<"postgres" | "mysql" | "redis", CatalogImage>> = {
  postgres: image("sidecar postgres", "docker.io/library/postgres", "16-alpine"),
  mysql: image("sidecar mysql", "docker.io/library/mysql", "8.4"),
  redis: image("sidecar redis", "docker.io/library/redis", "7-alpine"),
};

export interface Region {
  /** Netcup site (the `site.city` the SCP API reports). */
  readonly netcupSite: string;
  /** Hetzner Cloud locations in this region; the first is the default. */
  readonly hetznerLocations: readonly [string, ...string[]];
}

export const REGIONS: Readonly<Record<RegionId, Region>> = {
  eu: { netcupSite: "Nuremberg", hetznerLocations: ["nbg1", "fsn1", "hel1"] },
  us: { netcupSite: "Manassas", hetznerLocations: ["ash", "hil"] },
};

/** Image name of the OS every tenant and hub host runs. */
export const HOST_IMAGE = { hetzner: "debian-13", netcup: "Debian 13" } as const;

/** The LetsBe core a tenant runs; rollouts move these pins per stack. */
export interface ReleasePins {
  readonly openclaw: CatalogImage;
  readonly safetyWrapper: CatalogImage;
  readonly secretsProxy: CatalogImage;
  /** Policy bundle version (the `policy` rollout channel). */
  readonly policyBundle: string;
}

export const DEFAULT_RELEASE: ReleasePins = {
  openclaw: image("release openclaw", "code.letsbe.solutions/letsbe/openclaw", "2026.2.6-3"),
  safetyWrapper: image("release safetyWrapper", "code.letsbe.solutions/letsbe/safety-wrapper", "1.4.2"),
  secretsProxy: image("release secretsProxy", "code.letsbe.solutions/letsbe/secrets-proxy", "1.1.0"),
  policyBundle: "2026.11.1",
};

/** `repository:tag@digest`, or `repository:tag` while the lock holds no digest for it. */
export function imageRef(image: CatalogImage): string {
  return image.digest ? `${image.repository}:${image.tag}@${image.digest}` : `${image.repository}:${image.tag}`;
}

/** Every image the catalog names (tools, sidecars, the default release), with where it is used. */
export const CATALOG_IMAGES: ReadonlyArray<{ readonly where: string; readonly repository: string; readonly tag: string }> = named;

/** The lock the catalog read its digests from. */
export const IMAGE_LOCK: LoadedLock = LOCK;

/** RAM a tool needs with its sidecars, MiB. */
export function toolRamMb(id: ToolId): number {
  const tool = TOOLS[id];
  return tool.ramMb
    + (tool.companions ?? []).reduce((sum, c) => sum + c.ramMb, 0)
    + (tool.database ? SIDECAR_RAM_MB[tool.database] : 0)
    + (tool.redis ? SIDECAR_RAM_MB.redis : 0);
}

export interface Budget {
  readonly totalMb: number;
  readonly limitMb: number;
  readonly fits: boolean;
}

/** Chosen tools plus the LetsBe overhead against the tier's RAM. */
export function tierBudget(tier: TierId, tools: readonly ToolId[]): Budget {
  const totalMb = LETSBE_OVERHEAD_MB + tools.reduce((sum, id) => sum + toolRamMb(id), 0);
  const limitMb = TIERS[tier].ramMb;
  return { totalMb, limitMb, fits: totalMb <= limitMb };
}

export function hasMailTool(tools: readonly ToolId[]): boolean {
  return tools.some((id) => TOOLS[id].mail === true);
}
