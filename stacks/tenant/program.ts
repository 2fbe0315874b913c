import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { z } from "zod";
import { spokeAddressProblem } from "../../components/hub/wireguard";
import { storageBoxIdSchema } from "../../components/backup/offsite";
import { Tenant } from "../../components/tenant/tenant";
import { imageOverrideSchema, releaseOverrideSchema, resolveImages, resolveRelease } from "../../tenants/release";
import { InvalidInputError, hubProblems, tenantSpecSchema } from "../../tenants/schema";
import { configSource, optionalConfigObject, optionalConfigValue, requireConfigObject } from "../config";
import { HUB_PROJECT, HubOutputs, hubStackName, readHubOutputs } from "../../contracts/hub";
import { DEFAULT_NETCUP_API_URL, DEFAULT_NETCUP_TOKEN_URL } from "../../contracts/netcup";
import { TENANT_CONFIG } from "../../contracts/tenantStack";

/** The tenant stack: one spec from config, the regional Hub by reference, one Tenant. */
export async function tenantProgram(): Promise<Record<string, unknown>> {
  const config = new pulumi.Config("letsbe-tenant");
  const spec = requireConfigObject(config, TENANT_CONFIG.spec, tenantSpecSchema);
  const specSource = configSource(config, TENANT_CONFIG.spec);
  if (spec.slug !== pulumi.getStack()) {
    throw new InvalidInputError([{ source: specSource, path: "slug", message: `"${spec.slug}" must equal the stack name "${pulumi.getStack()}"` }]);
  }
  // A sandbox tenant may follow the staging hub; every other tenant its region's production hub.
  const hubStack = config.get("hubStack", { pattern: /^(prod-(eu|us)|staging|dev)$/ }) ?? hubStackName(spec.region);
  const hubName = `${config.require(TENANT_CONFIG.hubOrg)}/${HUB_PROJECT}/${hubStack}`;
  const hub = await readHubOutputs(new pulumi.StackReference(hubName), hubName);
  if (hub.region !== spec.region) {
    throw new InvalidInputError([{ source: specSource, path: "region", message: `"${spec.region}" but the referenced hub serves "${hub.region}"` }]);
  }
  const problems = hubProblems(spec, hub.tenantBaseDomain, specSource);
  if (problems.length > 0) throw new InvalidInputError(problems);

  const tunnelAddress = readTunnelAddress(config, hub, hubName);
  const release = resolveRelease(optionalConfigObject(config, TENANT_CONFIG.release, releaseOverrideSchema));
  // This tenant's own Hub registration token, made and kept in this stack only (a secret in its
  // state); the Hub gets its SHA-256 as a plain output and checks what a host presents against it.
  const registration = new random.RandomPassword("registration-token", { length: 48, special: false }, { additionalSecretOutputs: ["result"] });
  const tenant = new Tenant(spec.slug, {
    spec,
    hub,
    release,
    images: resolveImages(optionalConfigObject(config, "images", imageOverrideSchema)),
    protect: config.getBoolean("protect") ?? true,
    host: {
      provisioningPrivateKey: config.requireSecret("provisioningPrivateKey"),
      registrationToken: registration.result,
      sshPort: config.getNumber("sshPort"),
      issueCertificate: config.getBoolean("issueCertificate"),
      ...readOffsite(config, hub),
      tunnelAddress,
    },
    netcup: spec.provider === "netcup"
      ? {
        apiUrl: config.get("netcupApiUrl") ?? DEFAULT_NETCUP_API_URL,
        tokenUrl: config.get("netcupTokenUrl") ?? DEFAULT_NETCUP_TOKEN_URL,
        refreshToken: config.requireSecret("netcupRefreshToken"),
      }
      : undefined,
  });
  return {
    slug: spec.slug,
    region: spec.region,
    group: spec.group,
    createdAt: spec.createdAt,
    provider: tenant.provider,
    serverId: tenant.serverId,
    ipv4: tenant.ipv4,
    ipv6: tenant.ipv6,
    release: tenant.release,
    previousRelease: tenant.previousRelease,
    registrationTokenSha256: registrationTokenDigest(registration.result),
  };
}

/**
 * `letsbe-tenant:tunnelAddress` (the order flow allocates it): a spoke address of the hub's
 * network, or absent (no tunnel: SSH stays on the public address for the management CIDRs). Set
 * while the hub exports no network yet, it is passed on: the Tenant warns and stays on public SSH.
 */
function readTunnelAddress(config: pulumi.Config, hub: HubOutputs, hubName: string): string | undefined {
  const address = optionalConfigValue(config, TENANT_CONFIG.tunnelAddress, z.ipv4("must be an IPv4 address"));
  if (address === undefined) {
    if (hub.wireguard) pulumi.log.warn(`hub ${hubName} has a WireGuard network but ${configSource(config, TENANT_CONFIG.tunnelAddress)} is not set: SSH stays on the public address`);
    return undefined;
  }
  const problem = hub.wireguard ? spokeAddressProblem(hub.wireguard.network, address) : undefined;
  if (problem) throw new InvalidInputError([{ source: configSource(config, TENANT_CONFIG.tunnelAddress), path: "", message: problem }]);
  return address;
}

/**
 * The backup's off-site target: a Storage Box on which this stack makes the tenant's own
 * subaccount (the stack's `offsiteStorageBoxId`, else the hub contract's), or the operator's
 * `backupRemote` and per-stack `backupRcloneConfig`, issued for this tenant alone (a region
 * without a Storage Box, or backups that must stay elsewhere). Never both on one stack; the
 * stack's own settings win over the region's default.
 */
function readOffsite(config: pulumi.Config, hub: HubOutputs) {
  const own = optionalConfigValue(config, "offsiteStorageBoxId", storageBoxIdSchema);
  const backupRemote = config.get("backupRemote");
  const backupRcloneConfig = config.getSecret("backupRcloneConfig");
  const explicitRemote = backupRemote !== undefined || backupRcloneConfig !== undefined;
  const storageBoxId = own ?? (explicitRemote ? undefined : hub.offsiteStorageBoxId);
  if (storageBoxId === undefined) return { backupRemote, backupRcloneConfig };
  const explicit = [backupRemote === undefined ? undefined : "backupRemote", backupRcloneConfig === undefined ? undefined : "backupRcloneConfig"].filter((k) => k !== undefined);
  if (explicit.length > 0) {
    throw new InvalidInputError([{ source: configSource(config, "offsiteStorageBoxId"), path: "", message: `is set, so ${explicit.map((k) => `letsbe-tenant:${k}`).join(" and ")} must not be (the tenant's own subaccount is its off-site remote)` }]);
  }
  return { offsite: { storageBoxId } };
}

/**
 * The SHA-256 (hex) of the registration token, as a plain output: the Hub stores it and compares
 * the digest of what a host presents. A digest of 48 random alphanumerics (some 285 bits) gives
 * nothing to guess from, so the token itself never leaves this stack's state and its host.
 */
export function registrationTokenDigest(token: pulumi.Output<string>): pulumi.Output<string> {
  return pulumi.unsecret(token.apply((value) => createHash("sha256").update(value).digest("hex")));
}
