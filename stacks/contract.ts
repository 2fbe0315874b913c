/**
 * The hub stack's outputs: the contract tenant stacks read through a StackReference.
 * One schema serves the hub (to export) and the tenant (to read and validate), so a
 * renamed output breaks the build, not production.
 */
import { z } from "zod";
import { REGION_IDS } from "../tenants/catalog";

const cidr = z.string().regex(/^[0-9a-f.:]+\/\d{1,3}$/i, "must be a CIDR (address/prefix)");

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
});

export type HubOutputs = z.output<typeof hubOutputsSchema>;
export type HubOutputName = keyof HubOutputs;
export const HUB_OUTPUT_NAMES = Object.keys(hubOutputsSchema.shape) as HubOutputName[];

const imageRefs = z.record(z.string(), z.string().regex(/@sha256:[0-9a-f]{64}$/, "must be pinned by digest"));

/**
 * Everything the hub stack exports: the tenant contract plus what operators and rollouts read
 * (addresses, the image pins running now and the previous ones, kept deployable for rollback).
 */
export const hubStackOutputsSchema = hubOutputsSchema.extend({
  hubIpv4: z.ipv4(),
  hubIpv6: z.ipv6(),
  hubServerId: z.string().min(1),
  hubServerProvider: z.enum(["netcup", "hetzner"]),
  /** `repository:tag@digest` per hub service, running now. */
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

/** Hub outputs that stay secret across the StackReference (none of the contract's today). */
export const SECRET_HUB_OUTPUTS: readonly HubOutputName[] = [];

export { HUB_PROJECT, TENANT_PROJECT } from "../tenants/projects";
import { HUB_PROJECT } from "../tenants/projects";

/** Stack name of a region's production hub. */
export function hubStackName(region: string): string {
  return `prod-${region}`;
}

export function hubStackReferenceName(org: string, region: string): string {
  return `${org}/${HUB_PROJECT}/${hubStackName(region)}`;
}
