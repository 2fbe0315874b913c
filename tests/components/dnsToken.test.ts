/**
 * Which DNS-01 credential a tenant's host receives: a tenant with its own zone gets a token its
 * own stack mints on that zone alone (never the configured one); a tenant under the base domain
 * still gets the configured token (README, Security, says why and what is missing).
 */
import { describe, expect, it } from "vitest";
import { runUnderMocks } from "../../automation/plan/mockRuntime";
import { Tenant } from "../../components/tenant/tenant";
import { DEFAULT_RELEASE } from "../../tenants/catalog";
import { TenantSpec } from "../../tenants/schema";
import { byType, hubFixture, specFixture } from "../helpers/fixtures";

const TOKEN = "cloudflare:index/apiToken:ApiToken";
const CONFIGURED = "configured-dns-token-shared-by-the-order-flow";
const OWN_ZONE = "9e1d2c3b4a5f60718293a4b5c6d7e8f9";

async function plan(spec: TenantSpec) {
  return runUnderMocks(async () => {
    const tenant = new Tenant(spec.slug, {
      spec, hub: hubFixture(spec.region), release: DEFAULT_RELEASE,
      host: { provisioningPrivateKey: "key", cloudflareDnsToken: CONFIGURED, registrationToken: "reg" },
    });
    return { ipv4: tenant.ipv4 };
  }, { project: "letsbe-tenant", stack: spec.slug });
}

const tlsStdin = (resources: Awaited<ReturnType<typeof plan>>["resources"]) => {
  const tls = resources.filter((r) => String(r.plainInputs.create ?? "").includes("LB_STAGE=tls"));
  expect(tls).toHaveLength(1);
  return JSON.stringify(tls[0].plainInputs.stdin ?? null);
};
const encoded = Buffer.from(CONFIGURED).toString("base64");

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
    expect(tlsStdin(resources)).not.toContain(encoded);
  });

  it("for a tenant under the base domain: no token on the platform zone; the configured one, as before", async () => {
    for (const spec of [specFixture(), specFixture({ cloudflareZoneId: hubFixture().cloudflareZoneId })]) {
      const { resources } = await plan(spec);
      expect(byType(resources, TOKEN)).toEqual([]);
      expect(tlsStdin(resources)).toContain(encoded);
    }
  });
});
