/**
 * The product catalog: tiers, tools, regions and release pins. Plain data with types, so
 * the compiler catches a misspelt tier or tool anywhere it is used.
 * Figures: seed 001 §5.1 (tiers), §5.2 (overhead), §5.3 (tools), §6.1/§6.2 (providers), §10.2 (subdomains).
 */

export const TIER_IDS = ["lite", "build", "scale", "enterprise"] as const;
export type TierId = (typeof TIER_IDS)[number];

export const REGION_IDS = ["eu", "us"] as const;
export type RegionId = (typeof REGION_IDS)[number];

export const TOOL_IDS = [
  "nextcloud", "chatwoot", "ghost", "odoo", "calcom", "stalwart", "keycloak",
  "listmonk", "nocodb", "umami", "uptime_kuma", "portainer", "activepieces",
  "bookstack", "gitea", "mattermost", "penpot", "vaultwarden",
] as const;
export type ToolId = (typeof TOOL_IDS)[number];

/** A container image pinned by digest; the tag is informative only. */
export interface ImagePin {
  readonly repository: string;
  readonly tag: string;
  /** `sha256:` followed by 64 lowercase hex digits. */
  readonly digest: string;
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
  readonly image: ImagePin;
}

const pin = (repository: string, tag: string, hex: string): ImagePin => ({
  repository,
  tag,
  digest: `sha256:${hex.repeat(64 / hex.length)}`,
});

export const TOOLS: Readonly<Record<ToolId, Tool>> = {
  nextcloud: { ramMb: 512, diskGb: 10, database: "postgres", port: 3023, containerPort: 80, subdomain: "files", image: pin("docker.io/library/nextcloud", "29.0.4-apache", "a1") },
  chatwoot: { ramMb: 768, diskGb: 5, database: "postgres", redis: true, port: 3019, containerPort: 3000, subdomain: "chat", image: pin("docker.io/chatwoot/chatwoot", "v3.12.0", "b2") },
  ghost: { ramMb: 256, diskGb: 3, database: "mysql", port: 3025, containerPort: 2368, subdomain: "blog", image: pin("docker.io/library/ghost", "5.89.0-alpine", "c3") },
  odoo: { ramMb: 1024, diskGb: 10, database: "postgres", port: 3035, containerPort: 8069, subdomain: "erp", image: pin("docker.io/library/odoo", "17.0", "d4") },
  calcom: { ramMb: 256, diskGb: 2, database: "postgres", port: 3044, containerPort: 3000, subdomain: "cal", image: pin("docker.io/calcom/cal.com", "v4.3.5", "e5") },
  stalwart: { ramMb: 256, diskGb: 5, port: 3011, containerPort: 8080, subdomain: "mail", mail: true, image: pin("docker.io/stalwartlabs/mail-server", "v0.9.1", "f6") },
  keycloak: { ramMb: 512, diskGb: 2, database: "postgres", port: 3043, containerPort: 8080, subdomain: "auth", image: pin("quay.io/keycloak/keycloak", "25.0.2", "17") },
  listmonk: { ramMb: 256, diskGb: 2, database: "postgres", port: 3026, containerPort: 9000, subdomain: "lists", image: pin("docker.io/listmonk/listmonk", "v3.0.0", "28") },
  nocodb: { ramMb: 256, diskGb: 2, port: 3037, containerPort: 8080, subdomain: "tables", image: pin("docker.io/nocodb/nocodb", "0.250.2", "39") },
  umami: { ramMb: 192, diskGb: 1, database: "postgres", port: 3029, containerPort: 3000, subdomain: "analytics", image: pin("ghcr.io/umami-software/umami", "postgresql-v2.12.1", "4a") },
  uptime_kuma: { ramMb: 128, diskGb: 1, port: 3033, containerPort: 3001, subdomain: "status", image: pin("docker.io/louislam/uptime-kuma", "1.23.13", "5b") },
  portainer: { ramMb: 128, diskGb: 1, port: 9443, containerPort: 9000, subdomain: "portainer", image: pin("docker.io/portainer/portainer-ce", "2.20.3", "6c") },
  activepieces: { ramMb: 384, diskGb: 3, database: "postgres", port: 3040, containerPort: 80, subdomain: "flows", image: pin("ghcr.io/activepieces/activepieces", "0.30.1", "7d") },
  bookstack: { ramMb: 256, diskGb: 2, database: "mysql", port: 3036, containerPort: 80, subdomain: "wiki", image: pin("lscr.io/linuxserver/bookstack", "24.05.2", "8b") },
  gitea: { ramMb: 256, diskGb: 10, database: "postgres", port: 3030, containerPort: 3000, subdomain: "code", image: pin("docker.io/gitea/gitea", "1.22.1", "9c") },
  mattermost: { ramMb: 1024, diskGb: 10, database: "postgres", port: 3045, containerPort: 8065, subdomain: "team", image: pin("docker.io/mattermost/mattermost-team-edition", "9.10.1", "ad") },
  penpot: { ramMb: 1024, diskGb: 5, database: "postgres", redis: true, port: 3046, containerPort: 80, subdomain: "design", image: pin("docker.io/penpotapp/frontend", "2.1.2", "be") },
  vaultwarden: { ramMb: 128, diskGb: 1, port: 3047, containerPort: 80, subdomain: "vault", image: pin("docker.io/vaultwarden/server", "1.31.0", "cf") },
};

/** Database sidecar images, pinned like the tools. */
export const SIDECAR_IMAGES: Readonly<Record<"postgres" | "mysql" | "redis", ImagePin>> = {
  postgres: pin("docker.io/library/postgres", "16-alpine", "8e"),
  mysql: pin("docker.io/library/mysql", "8.4", "9f"),
  redis: pin("docker.io/library/redis", "7-alpine", "0a"),
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
  readonly openclaw: ImagePin;
  readonly safetyWrapper: ImagePin;
  readonly secretsProxy: ImagePin;
  /** Policy bundle version (the `policy` rollout channel). */
  readonly policyBundle: string;
}

export const DEFAULT_RELEASE: ReleasePins = {
  openclaw: pin("code.letsbe.solutions/letsbe/openclaw", "2026.2.6-3", "3c"),
  safetyWrapper: pin("code.letsbe.solutions/letsbe/safety-wrapper", "1.4.2", "4d"),
  secretsProxy: pin("code.letsbe.solutions/letsbe/secrets-proxy", "1.1.0", "5e"),
  policyBundle: "2026.11.1",
};

export function imageRef(image: ImagePin): string {
  return `${image.repository}:${image.tag}@${image.digest}`;
}

/** RAM a tool needs with its sidecars, MiB. */
export function toolRamMb(id: ToolId): number {
  const tool = TOOLS[id];
  return tool.ramMb
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
