/** Shared test inputs: a valid spec and hub outputs per region. */
import { HubOutputs } from "../../contracts/hub";
import { RegionId } from "../../tenants/catalog";
import { TenantSpec, TenantSpecInput, parseTenantSpec } from "../../tenants/schema";
import { RecordedResource } from "../../automation/plan/mockRuntime";

export const TEST_PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITestKeyForLetsBeProvisioningOnly0000000 test";

export function hubFixture(region: RegionId = "eu"): HubOutputs {
  return {
    region,
    hubUrl: `https://hub.${region}.letsbe.biz`,
    tenantApiUrl: `https://hub.${region}.letsbe.biz/api/v1/tenant`,
    cloudflareZoneId: "3f2a9c41d8e07b5a6c1e4f90b2d73a58",
    tenantBaseDomain: `${region}.letsbe.biz`,
    managementCidrs: ["198.51.100.10/32", "2001:db8:100::/48"],
    provisioningPublicKey: TEST_PUBLIC_KEY,
    registryHost: "code.letsbe.solutions",
  };
}

export function specFixture(overrides: Partial<TenantSpecInput> = {}): TenantSpec {
  return parseTenantSpec({
    slug: "acme-bakery",
    domain: "acme-bakery.eu.letsbe.biz",
    region: "eu",
    tier: "build",
    provider: "hetzner",
    group: "canary",
    tools: ["nextcloud", "chatwoot"],
    contactEmail: "owner@acme.example",
    createdAt: "2026-10-02",
    ...overrides,
  }, "test fixture");
}

export function byType(resources: readonly RecordedResource[], type: string): RecordedResource[] {
  return resources.filter((r) => r.type === type);
}

export function one(resources: readonly RecordedResource[], type: string): RecordedResource {
  const found = byType(resources, type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0];
}

export function named(resources: readonly RecordedResource[], name: string): RecordedResource {
  const found = resources.find((r) => r.name === name);
  if (!found) throw new Error(`no resource ${name}`);
  return found;
}
