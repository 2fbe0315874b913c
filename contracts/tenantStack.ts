/**
 * The tenant stack's config layout: what the order flow (and the offline plan) writes and the
 * tenant program reads, in one place so both sides name the same keys.
 */
import { TENANT_PROJECT } from "../tenants/projects";
import type { TenantSpec } from "../tenants/schema";

/** Keys under the `letsbe-tenant:` namespace the program reads as plain config. */
export const TENANT_CONFIG = {
  spec: "spec",
  hubOrg: "hubOrg",
  release: "release",
  /** The tenant's address on its region's WireGuard network: allocated once by the order flow, kept for the stack's life. */
  tunnelAddress: "tunnelAddress",
} as const;

/**
 * Keys every order-flow operation states in full (the record's, and `protect` of a decommission): one an
 * operation leaves out is removed from the stack's recorded config instead of kept from an earlier run.
 */
export const FLOW_STATED_CONFIG: readonly string[] = [TENANT_CONFIG.spec, TENANT_CONFIG.hubOrg, TENANT_CONFIG.release, "protect"]
  .map((key) => `${TENANT_PROJECT}:${key}`);

export interface TenantStackIdentity {
  /** Pulumi organization that owns the stacks. */
  readonly org: string;
}

/** A tenant stack's plain config as the order flow writes it. */
export function tenantStackConfig(spec: TenantSpec, identity: TenantStackIdentity, release?: unknown, tunnelAddress?: string): Record<string, unknown> {
  return {
    [`${TENANT_PROJECT}:${TENANT_CONFIG.spec}`]: spec,
    [`${TENANT_PROJECT}:${TENANT_CONFIG.hubOrg}`]: identity.org,
    ...(release === undefined ? {} : { [`${TENANT_PROJECT}:${TENANT_CONFIG.release}`]: release }),
    ...(tunnelAddress === undefined ? {} : { [`${TENANT_PROJECT}:${TENANT_CONFIG.tunnelAddress}`]: tunnelAddress }),
  };
}
