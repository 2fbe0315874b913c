/**
 * Which DNS-01 credential a tenant's host receives: a token its own stack mints on the tenant's
 * zone alone, never the platform zone: a tenant's own zone, or for a
 * tenant under the base domain its child zone.
 */
import { describe, expect, it } from "vitest";
import { runUnderMocks } from "../../automation/plan/mockRuntime";
import { Tenant } from "../../components/tenant/tenant";
import { DEFAULT_RELEASE } from "../../tenants/catalog";
import { TenantSpec } from "../../tenants/schema";
import { byType, hubFixture, specFixture } from "../helpers/fixtures";

const TOKEN = "cloudflare:index/apiToken:ApiToken";
const ZONE = "cloudflare:index/zone:Zone";
const OWN_ZONE = "9e1d2c3b4a5f60718293a4b5c6d7e8f9";

async function plan(spec: TenantSpec) {
  return runUnderMocks(async () => {
    const tenant = new Tenant(spec.slug, {
      spec, hub: hubFixture(spec.region), release: DEFAULT_RELEASE,
      host: { provisioningPrivateKey: "key", registrationToken: "reg" },
    });
    return { ipv4: tenant.ipv4 };
  }, { project: "letsbe-tenant", stack: spec.slug });
}

/** The one tls stage: it carries the DNS-01 credential to the host. */
const tlsStage = (resources: Awaited<ReturnType<typeof plan>>["resources"]) => {
  const tls = resources.filter((r) => String(r.plainInputs.create ?? "").includes("LB_STAGE=tls"));
  expect(tls).toHaveLength(1);
  return tls[0];
};

type Planned = Awaited<ReturnType<typeof plan>>["resources"];
/** Every resource `from` waits for, directly or through others. */
function waitsFor(resources: Planned, from: Planned[number]): Set<string> {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const seen = new Set<string>();
  const queue = [...from.dependencies];
  while (queue.length > 0) {
    const urn = queue.pop()!;
    if (seen.has(urn)) continue;
    seen.add(urn);
    queue.push(...(byUrn.get(urn)?.dependencies ?? []));
  }
  return seen;
}

describe("the DNS-01 credential a tenant host receives", () => {
  it("for a tenant with its own zone: a token its stack mints with Zone Read + DNS Write on that zone alone", async () => {
    const { resources } = await plan(specFixture({ domain: "acme-bakery.example", cloudflareZoneId: OWN_ZONE }));
    const tokens = byType(resources, TOKEN);
    expect(tokens).toHaveLength(1);
    expect(tokens[0].plainInputs.name).toBe("letsbe-tenant-acme-bakery-dns01");
    expect(tokens[0].plainInputs.policies).toEqual([{
      effect: "allow",
      permissionGroups: [{ id: "c8fed203ed3043cba015a93ad1616f1f" }, { id: "4755a26eedb94da69e1066d98aa820be" }],
      resources: JSON.stringify({ [`com.cloudflare.api.account.zone.${OWN_ZONE}`]: "*" }),
    }]);
    // The host gets the minted token: the tls stage waits on it.
    expect(waitsFor(resources, tlsStage(resources)).has(tokens[0].urn)).toBe(true);
  });

  it("for a tenant under the base domain (or naming the platform zone): a token on its child zone, never the platform zone", async () => {
    for (const spec of [specFixture(), specFixture({ cloudflareZoneId: hubFixture().cloudflareZoneId })]) {
      const { resources } = await plan(spec);
      const zones = byType(resources, ZONE);
      expect(zones.map((z) => z.plainInputs.name)).toEqual(["acme-bakery.eu.letsbe.biz"]);
      const tokens = byType(resources, TOKEN);
      expect(tokens).toHaveLength(1);
      const policies = tokens[0].plainInputs.policies as Array<{ resources: string }>;
      expect(policies).toHaveLength(1);
      const scoped = Object.keys(JSON.parse(policies[0].resources) as Record<string, string>);
      expect(scoped).toHaveLength(1);
      expect(scoped[0]).toMatch(/^com\.cloudflare\.api\.account\.zone\.[0-9a-f]{32}$/);
      expect(scoped[0]).not.toContain(hubFixture().cloudflareZoneId);
      // Scoped to the child zone's id: the token waits on the zone.
      expect(tokens[0].dependencies).toContain(zones[0].urn);
        // The challenge is found only through the delegation: the tls stage runs after its NS records.
      const upstream = waitsFor(resources, tlsStage(resources));
      expect(upstream.has(tokens[0].urn)).toBe(true);
      const ns = byType(resources, "cloudflare:index/dnsRecord:DnsRecord").filter((r) => r.plainInputs.type === "NS");
      expect(ns).toHaveLength(2);
      for (const record of ns) expect(upstream.has(record.urn)).toBe(true);
    }
  });
});
