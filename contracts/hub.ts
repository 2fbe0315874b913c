/**
 * The hub stack's outputs: the contract tenant stacks read through a StackReference.
 * One schema serves the hub (to export) and the tenant (to read and validate), so a
 * renamed output breaks the build, not production.
 */
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { REGION_IDS } from "../tenants/catalog";
import { InputProblem, InvalidInputError } from "../tenants/schema";

const cidr = z.string().regex(/^[0-9a-f.:]+\/\d{1,3}$/i, "must be a CIDR (address/prefix)");
const port = z.int().min(1).max(65535);

/** 32 bytes of base64, as `wg pubkey` prints it (the 43rd character carries 4 bits). */
export const wireguardPublicKeySchema = z.string().regex(/^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/, "must be a WireGuard public key (44 characters of base64)");
/** A region's management network: an IPv4 CIDR of /16 to /29. */
export const wireguardCidrSchema = z.string().regex(/^(\d{1,3}\.){3}\d{1,3}\/(1[6-9]|2[0-9])$/, "must be an IPv4 CIDR with a prefix of /16 to /29");
/** A host key as `remote.Connection.hostKey` takes it (RECORD_HOST_KEY_COMMAND prints this form). */
export const sshHostKeySchema = z.string().regex(/^ecdsa-sha2-nistp256 [A-Za-z0-9+/]+={0,2}$/, "must be an ecdsa-sha2-nistp256 host key (type and base64)");

/**
 * The region's WireGuard management network as spokes need it: where to dial, whom to trust, and
 * the hub as SSH jump host (pinned to its host key). Public values only: no private key leaves a host.
 */
export const hubWireguardSchema = z.strictObject({
  network: wireguardCidrSchema,
  port,
  /** The hub's WireGuard public key. */
  publicKey: wireguardPublicKeySchema,
  /** `ipv4:port` spokes dial. */
  endpoint: z.string().regex(/^(\d{1,3}\.){3}\d{1,3}:\d{1,5}$/, "must be IPV4:PORT"),
  /** The hub's own address on the network (its first). */
  hubAddress: z.ipv4(),
  /** The bastion: the hub's public SSH, root with the provisioning key, from the management CIDRs. */
  jump: z.strictObject({ host: z.ipv4(), port, user: z.string().regex(/^[a-z_][a-z0-9_-]*$/, "must be a user name"), hostKey: sshHostKeySchema }),
});
export type HubWireguard = z.output<typeof hubWireguardSchema>;

export const hubOutputsSchema = z.strictObject({
  region: z.enum(REGION_IDS),
  hubUrl: z.url(),
  tenantApiUrl: z.url(),
  /** Cloudflare zone of the platform domain. */
  cloudflareZoneId: z.string().regex(/^[0-9a-f]{32}$/, "must be 32 lowercase hex characters"),
  /** Tenants without a zone of their own live under this domain. */
  tenantBaseDomain: z.string().min(3),
  /** Addresses allowed to reach tenant SSH. */
  managementCidrs: z.array(cidr).min(1, "at least one management CIDR, or nobody can reach tenant SSH"),
  /** OpenSSH public key the provisioning connection uses. */
  provisioningPublicKey: z.string().regex(/^(ssh-ed25519|ecdsa-sha2-nistp256|ssh-rsa) [A-Za-z0-9+/=]+( .*)?$/, "must be an OpenSSH public key"),
  /** Registry the tenant hosts pull LetsBe images from. */
  registryHost: z.string().min(1),
  /** The WireGuard management network; absent while the region has none (tenants keep SSH on their public address). */
  wireguard: hubWireguardSchema.optional(),
  /**
   * The region's Hetzner Storage Box: each tenant stack makes its own subaccount on it as the
   * backup's off-site credential (components/backup/offsite.ts). Absent: no region default.
   */
  offsiteStorageBoxId: z.int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
});

export type HubOutputs = z.output<typeof hubOutputsSchema>;
export type HubOutputName = keyof HubOutputs;
export const HUB_OUTPUT_NAMES = Object.keys(hubOutputsSchema.shape) as HubOutputName[];

// `repository:tag@digest`, or `repository:tag` while the image lock holds that tag unverified without a digest.
const imageRefs = z.record(z.string(), z.string().regex(/^[^\s@]+:[A-Za-z0-9._-]+(?:@sha256:[0-9a-f]{64})?$/, "must be repository:tag, with @sha256:<64 hex digits> where the lock holds a digest"));

/**
 * Everything the hub stack exports: the tenant contract plus what operators and rollouts read
 * (addresses, the image pins running now and the previous ones, kept deployable for rollback).
 */
export const hubStackOutputsSchema = hubOutputsSchema.extend({
  hubIpv4: z.ipv4(),
  hubIpv6: z.ipv6(),
  hubServerId: z.string().min(1),
  hubServerProvider: z.enum(["netcup", "hetzner"]),
  /** `repository:tag@digest` per hub service, running now (`repository:tag` where the lock holds no digest). */
  currentImages: imageRefs,
  /** The release before, per service (seed 000 §7.1: the last two digests stay deployable). */
  previousImages: imageRefs,
  /** rclone destination of the off-site database copies. */
  backupRemote: z.string().min(1),
  /** Where the backup report lies on the hub host. */
  backupStatusFile: z.string().startsWith("/"),
});
export type HubStackOutputs = z.output<typeof hubStackOutputsSchema>;
export const HUB_STACK_OUTPUT_NAMES = Object.keys(hubStackOutputsSchema.shape) as (keyof HubStackOutputs)[];

/**
 * Hub outputs that are secrets (none of the contract's today). `readHubOutputs` hands out plain
 * values only, so it refuses these; a secret one would be read with `ref.requireOutput`, which
 * keeps it secret, and would leave `hubOutputsSchema`.
 */
export const SECRET_HUB_OUTPUTS: readonly HubOutputName[] = [];

/**
 * The hub's outputs, validated against the contract (they are external input too). A value the
 * hub exports as a secret is refused rather than unwrapped: as a plain value it would land in
 * the tenant's plain state and plan.
 */
export async function readHubOutputs(ref: pulumi.StackReference, refName: string): Promise<HubOutputs> {
  const source = `outputs of hub stack ${refName}`;
  const problems: InputProblem[] = [];
  const entries = await Promise.all(HUB_OUTPUT_NAMES.map(async (name) => {
    const details = await ref.getOutputDetails(name);
    if (details.secretValue !== undefined || SECRET_HUB_OUTPUTS.includes(name)) {
      problems.push({ source, path: name, message: "is a secret; the contract reads it as a plain value, which would put it in plain tenant state (read it with requireOutput, which keeps it secret)" });
      return [name, undefined] as const;
    }
    return [name, details.value] as const;
  }));
  if (problems.length > 0) throw new InvalidInputError(problems);
  const result = hubOutputsSchema.safeParse(Object.fromEntries(entries));
  if (!result.success) {
    throw new InvalidInputError(result.error.issues.map((issue) => ({ source, path: issue.path.map(String).join("."), message: issue.message })));
  }
  return result.data;
}

export { HUB_PROJECT, TENANT_PROJECT } from "../tenants/projects";
import { HUB_PROJECT } from "../tenants/projects";

/** Stack name of a region's production hub. */
export function hubStackName(region: string): string {
  return `prod-${region}`;
}

export function hubStackReferenceName(org: string, region: string): string {
  return `${org}/${HUB_PROJECT}/${hubStackName(region)}`;
}
