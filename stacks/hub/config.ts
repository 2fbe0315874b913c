/**
 * The hub stack's configuration: every key's schema, read once at the edge. Plain keys live in
 * `Pulumi.<stack>.yaml`; secrets are set with `pulumi config set --secret` (see HUB_SECRET_KEYS).
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { CatalogImage, IMAGE_LOCK, REGIONS, REGION_IDS, imageRef } from "../../tenants/catalog";
import { lockKey } from "../../tenants/pins/lock";
import { InvalidInputError, zodProblems } from "../../tenants/schema";
import { configSource, optionalConfigObject, optionalConfigValue, requireConfigObject } from "../config";
import { HUB_PROJECT, hubOutputsSchema } from "../../contracts/hub";
import { HUB_RESERVED_ENV, HUB_SERVICE_IDS, HubImages, HubServiceId } from "../../components/hub/services";
import { WireguardNetwork, WireguardNetworkSchema, networkRange } from "../../components/hub/wireguard";
import { HubSnapshotsArgs, SNAPSHOT_PROVIDERS } from "../../components/hub/snapshots";

export const hubSettingsSchema = z.strictObject({
  region: z.enum(REGION_IDS),
  /** Public name of the hub, e.g. `hub.eu.letsbe.biz`. */
  hubDomain: z.string().regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/, "must be a lowercase DNS name"),
  tenantBaseDomain: z.string().min(3),
  cloudflareZoneId: hubOutputsSchema.shape.cloudflareZoneId,
  managementCidrs: hubOutputsSchema.shape.managementCidrs,
  provisioningPublicKey: hubOutputsSchema.shape.provisioningPublicKey,
  registryHost: z.string().min(1),
  /** The region's Storage Box, passed on in the contract (tenants' off-site subaccounts). Optional. */
  offsiteStorageBoxId: hubOutputsSchema.shape.offsiteStorageBoxId,
});
export type HubSettings = z.output<typeof hubSettingsSchema>;

const dnsLabel = /^[a-z][a-z0-9-]{1,61}[a-z0-9]$/;

/** Where the hub runs: a Netcup root server adopted by name, or a Hetzner Cloud server. */
export const hubServerSchema = z.discriminatedUnion("provider", [
  z.strictObject({
    /** Netcup: the server exists on a 12-month contract and is adopted by its SCP name. */
    provider: z.literal("netcup"),
    name: z.string().regex(dnsLabel, "must be a lowercase hostname label"),
    /** SCP server name (e.g. `v2202511123456789012`) of the contract server to adopt. */
    netcupServerName: z.string().min(1),
    /** SCP product of that server. Default - `RS 2000 G12`. */
    product: z.string().min(1).default("RS 2000 G12"),
    netcupApiUrl: z.url().optional(),
    netcupTokenUrl: z.url().optional(),
  }),
  z.strictObject({
    /** Hetzner Cloud: created and owned by this stack (staging, or a region without a Netcup server yet). */
    provider: z.literal("hetzner"),
    name: z.string().regex(dnsLabel, "must be a lowercase hostname label"),
    /** Hetzner server type. Default - `cpx41` (8 vCPU, 16 GB). */
    serverType: z.string().min(1).default("cpx41"),
    /** Hetzner location. Default - the region's first location. */
    location: z.string().min(1).optional(),
  }),
]);
export type HubServerConfig = z.output<typeof hubServerSchema>;

/**
 * `repository:tag`, as the catalog names images: the digest is the image lock's
 * (tenants/images.lock.json), none while the lock holds the tag unverified without one.
 * `repository:tag@sha256:<64 hex>` pins a digest for this stack alone (a test registry's stand-ins).
 */
const IMAGE_REF = /^([a-z0-9.-]+(?::\d+)?(?:\/[a-z0-9._-]+)+):([A-Za-z0-9._-]{1,128})(?:@(sha256:[0-9a-f]{64}))?$/;
const imageRefSchema = z.string().regex(IMAGE_REF, "must be repository:tag (its digest from tenants/images.lock.json) or repository:tag@sha256:<64 hex digits>")
  .refine((ref) => IMAGE_REF.exec(ref)?.[2] !== "latest", "must not use the tag \"latest\"")
  .transform((ref): CatalogImage => {
    const [, repository, tag, pinned] = IMAGE_REF.exec(ref) as unknown as [string, string, string, string | undefined];
    const digest = pinned ?? IMAGE_LOCK.byKey.get(lockKey({ repository, tag }))?.digest;
    return digest ? { repository, tag, digest } : { repository, tag };
  });

const imagePairSchema = z.strictObject({
  current: imageRefSchema,
  /** The release before `current`, kept pulled so a rollback needs no registry (seed 000 §7.1). */
  previous: imageRefSchema.optional(),
}).superRefine((pair, ctx) => {
  // Refinements run even when a ref failed its own rule; judge only two parsed pins.
  if (typeof pair.current?.repository !== "string" || typeof pair.previous?.repository !== "string") return;
  if (pair.previous.repository !== pair.current.repository) {
    ctx.addIssue({ code: "custom", path: ["previous"], message: `must be the same repository as current (${pair.current.repository})` });
  }
  if (imageRef(pair.previous) === imageRef(pair.current)) {
    ctx.addIssue({ code: "custom", path: ["previous"], message: "must differ from current; omit it when there is no earlier release" });
  }
});

export const hubImagesSchema = z.strictObject(
  Object.fromEntries(HUB_SERVICE_IDS.map((id) => [id, imagePairSchema])) as Record<HubServiceId, typeof imagePairSchema>,
);

export const hubBackupSchema = z.strictObject({
  /** rclone destination, `remote:bucket/path`; the remote is defined in the secret rcloneConfig. */
  rcloneRemote: z.string().regex(/^[A-Za-z0-9_-]+:[A-Za-z0-9._/-]*$/, "must be remote:path"),
  /** systemd OnCalendar expression. Default - daily at 03:00 (seed 001 §2.3). */
  schedule: z.string().regex(/^[0-9*:/, -]+$|^(daily|weekly|hourly)$/, "must be a systemd OnCalendar expression").default("*-*-* 03:00:00"),
  keepDaily: z.int().min(1).max(366).default(14),
  keepWeekly: z.int().min(0).max(104).default(8),
  keepMonthly: z.int().min(0).max(60).default(3),
});
export type HubBackupConfig = z.output<typeof hubBackupSchema>;

const envName = z.string().regex(/^[A-Z][A-Z0-9_]*$/, "must be an UPPER_SNAKE_CASE variable name");
/** Plain environment for the hub containers; names the program sets itself are refused. */
// Compose env files carry values literally inside single quotes (components/hub/apps.ts).
const envValue = z.string().regex(/^[^'\r\n]*$/, "must not hold a single quote or a line break");
export const hubEnvironmentSchema = z.record(envName, envValue).superRefine((env, ctx) => {
  for (const name of HUB_RESERVED_ENV) {
    if (name in env) ctx.addIssue({ code: "custom", path: [name], message: "is set by the hub component and cannot be overridden" });
  }
});

/** `letsbe-hub:wireguard`: the network must start on its prefix (the hub takes its first address). */
export const hubWireguardConfigSchema = WireguardNetworkSchema.superRefine((net, ctx) => {
  try {
    networkRange(net.network);
  } catch (error) {
    ctx.addIssue({ code: "custom", path: ["network"], message: (error as Error).message });
  }
});

/** A value systemd reads in a unit: no specifier (%), quote, backslash or whitespace. */
const unitUrl = z.url().regex(/^[^%"'\\\s]+$/, "must not hold %, quotes, backslashes or whitespace (it goes into a systemd unit)");

/** `letsbe-hub:snapshots`: the tenants' daily VPS snapshots, run by a timer on the hub (automation/snapshots). */
export const hubSnapshotsSchema = z.strictObject({
  /** Whose tenant servers: netcup needs `letsbe-hub:netcupRefreshToken`, hetzner `hcloud:token`. */
  providers: z.array(z.enum(SNAPSHOT_PROVIDERS)).min(1, "must name netcup, hetzner or both")
    .refine((list) => new Set(list).size === list.length, "must not name a provider twice"),
  /** systemd OnCalendar. Default - 04:00 UTC, after the tenants' backups (02:00) and the hub's (03:00). */
  schedule: z.string().regex(/^[0-9*:/, -]+( UTC)?$|^(daily|hourly)$/, "must be a systemd OnCalendar expression").default("*-*-* 04:00:00 UTC"),
  keep: z.int().min(1).max(20).default(3),
  gapSeconds: z.int().min(0).max(3600).default(60),
  parallel: z.int().min(1).max(64).default(4),
  netcupApiUrl: unitUrl.optional(),
  netcupTokenUrl: unitUrl.optional(),
  hcloudEndpoint: unitUrl.optional(),
});

export interface HubStackConfig {
  readonly settings: HubSettings;
  readonly server: HubServerConfig;
  readonly images: HubImages;
  readonly backup: HubBackupConfig;
  readonly environment: Readonly<Record<string, string>>;
  readonly secretEnvironment: pulumi.Output<Record<string, string>>;
  readonly provisioningPrivateKey: pulumi.Output<string>;
  readonly rcloneConfig: pulumi.Output<string>;
  /** Zone-scoped Cloudflare token for the hub certificate's DNS-01 challenge. */
  readonly cloudflareDnsToken: pulumi.Output<string>;
  readonly netcupRefreshToken?: pulumi.Output<string>;
  /** Address certbot registers with Let's Encrypt. Default - `ssl@letsbe.biz` (seed 001 §10.1). */
  readonly acmeEmail: string;
  /** ACME directory certbot asks. Default - Let's Encrypt production (certbot's own default). */
  readonly acmeServer?: string;
  /** Issue the hub certificate during bootstrap. Default - true; false keeps the self-signed placeholder. */
  readonly issueCertificate: boolean;
  /** Protect the server, its addresses and the database volume. Default - true. */
  readonly protect: boolean;
  /** The region's WireGuard management network (`letsbe-hub:wireguard`). Default - none. */
  readonly wireguard?: WireguardNetwork;
  /** The snapshot job with its tokens (`letsbe-hub:snapshots`). Default - none. */
  readonly snapshots?: HubSnapshotsArgs;
}

export function readHubSettings(): HubSettings {
  return requireConfigObject(new pulumi.Config(HUB_PROJECT), "settings", hubSettingsSchema);
}

/** Reads and validates every hub config key, naming the stack and key on failure. */
export function readHubConfig(): HubStackConfig {
  const config = new pulumi.Config(HUB_PROJECT);
  const settings = readHubSettings();
  const server = requireConfigObject(config, "server", hubServerSchema);
  if (server.provider === "hetzner" && server.location !== undefined && !REGIONS[settings.region].hetznerLocations.includes(server.location)) {
    throw new InvalidInputError([{
      source: configSource(config, "server"),
      path: "location",
      message: `"${server.location}" is not in region ${settings.region} (${REGIONS[settings.region].hetznerLocations.join(", ")})`,
    }]);
  }
  const environment = optionalConfigObject(config, "environment", hubEnvironmentSchema) ?? {};
  const secretEnvSource = configSource(config, "secretEnvironment");
  const secretEnvironment = (config.getSecretObject<unknown>("secretEnvironment") ?? pulumi.secret({})).apply((raw) => parseSecretEnvironment(raw, secretEnvSource));
  const snapshotSettings = optionalConfigObject(config, "snapshots", hubSnapshotsSchema);
  const netcupRefreshToken = server.provider === "netcup" || snapshotSettings?.providers.includes("netcup") ? config.requireSecret("netcupRefreshToken") : undefined;
  const snapshots: HubSnapshotsArgs | undefined = snapshotSettings && {
    ...snapshotSettings,
    netcupRefreshToken,
    // The region's Hetzner project token, the one the hcloud provider reads.
    hcloudToken: snapshotSettings.providers.includes("hetzner") ? new pulumi.Config("hcloud").requireSecret("token") : undefined,
  };
  return {
    settings,
    server,
    images: requireConfigObject(config, "images", hubImagesSchema),
    backup: requireConfigObject(config, "backup", hubBackupSchema),
    environment,
    secretEnvironment,
    provisioningPrivateKey: config.requireSecret("provisioningPrivateKey"),
    rcloneConfig: config.requireSecret("rcloneConfig"),
    cloudflareDnsToken: config.requireSecret("cloudflareDnsToken"),
    netcupRefreshToken,
    acmeEmail: config.get("acmeEmail") ?? "ssl@letsbe.biz",
    acmeServer: optionalConfigValue(config, "acmeServer", z.url()),
    issueCertificate: config.getBoolean("issueCertificate") ?? true,
    protect: config.getBoolean("protect") ?? true,
    wireguard: optionalConfigObject(config, "wireguard", hubWireguardConfigSchema),
    snapshots,
  };
}

/** Validates the secret environment without ever echoing a value: only names and rules. */
export function parseSecretEnvironment(raw: unknown, source: string): Record<string, string> {
  const result = hubEnvironmentSchema.safeParse(raw);
  if (!result.success) {
    throw new InvalidInputError(zodProblems(source, result.error));
  }
  return result.data;
}
