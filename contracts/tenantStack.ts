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
} as const;

export interface TenantStackIdentity {
  /** Pulumi organization that owns the stacks. */
  readonly org: string;
}

/** A tenant stack's plain config as the order flow writes it. */
export function tenantStackConfig(spec: TenantSpec, identity: TenantStackIdentity, release?: unknown): Record<string, unknown> {
  return {
    [`${TENANT_PROJECT}:${TENANT_CONFIG.spec}`]: spec,
    [`${TENANT_PROJECT}:${TENANT_CONFIG.hubOrg}`]: identity.org,
    ...(release === undefined ? {} : { [`${TENANT_PROJECT}:${TENANT_CONFIG.release}`]: release }),
  };
}
