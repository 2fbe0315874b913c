import { describe, expect, it } from "vitest";
import { runUnderMocks } from "../../automation/plan/mockRuntime";
import { Tenant } from "../../components/tenant/tenant";
import { DEFAULT_RELEASE, TIERS, TierId } from "../../tenants/catalog";
import { TenantSpec } from "../../tenants/schema";
import { byType, hubFixture, one, specFixture } from "../helpers/fixtures";

const SERVER = "hcloud:index/server:Server";
const FIREWALL = "hcloud:index/firewall:Firewall";
const PRIMARY_IP = "hcloud:index/primaryIp:PrimaryIp";
const DNS = "cloudflare:index/dnsRecord:DnsRecord";
const ZONE = "cloudflare:index/zone:Zone";

async function planTenant(spec: TenantSpec, protect?: boolean) {
  return runUnderMocks(async () => {
    const tenant = new Tenant(spec.slug, { spec, hub: hubFixture(spec.region), release: DEFAULT_RELEASE, protect });
    return { ipv4: tenant.ipv4, ipv6: tenant.ipv6, serverId: tenant.serverId, provider: tenant.provider };
  }, { project: "letsbe-tenant", stack: spec.slug });
}

describe("Tenant on Hetzner", () => {
  it.each(Object.keys(TIERS) as TierId[])("uses the server type of the %s tier", async (tier) => {
    const { resources } = await planTenant(specFixture({ tier, tools: [] }));
    expect(one(resources, SERVER).plainInputs.serverType).toBe(TIERS[tier].hetznerServerType);
  });

  it.each([["eu", "nbg1"], ["us", "ash"]] as const)("places a %s tenant in %s, addresses too", async (region, location) => {
    const { resources } = await planTenant(specFixture({ region, domain: `acme.${region}.letsbe.biz` }));
    expect(one(resources, SERVER).plainInputs.location).toBe(location);
    expect(byType(resources, PRIMARY_IP).map((r) => r.plainInputs.location)).toEqual([location, location]);
  });

  it("boots debian-13 with first-boot-only user data, labelled and protected", async () => {
    const { resources } = await planTenant(specFixture());
    const server = one(resources, SERVER);
    expect(server.plainInputs.image).toBe("debian-13");
    expect(server.plainInputs.labels).toEqual({ tenant: "acme-bakery", region: "eu", tier: "build", group: "canary", "managed-by": "letsbe" });
    expect(server.ignoreChanges.sort()).toEqual(["sshKeys", "userData"]);
    expect(String(server.plainInputs.userData)).toContain(hubFixture().provisioningPublicKey);
    expect(server.protect).toBe(true);
    expect(server.plainInputs.deleteProtection).toBe(true);
  });

  it("keeps IPv4 and IPv6 in primary IPs that outlive the server", async () => {
    const { resources } = await planTenant(specFixture());
    const ips = byType(resources, PRIMARY_IP);
    expect(ips.map((r) => r.plainInputs.type).sort()).toEqual(["ipv4", "ipv6"]);
    for (const ip of ips) {
      expect(ip.plainInputs.autoDelete).toBe(false);
      expect(ip.protect).toBe(true);
    }
    const server = one(resources, SERVER);
    expect(server.dependencies).toEqual(expect.arrayContaining(ips.map((r) => r.urn)));
    const nets = server.plainInputs.publicNets as Array<Record<string, unknown>>;
    expect(nets).toHaveLength(1);
    expect(nets[0].ipv4Enabled).toBe(true);
    expect(nets[0].ipv6Enabled).toBe(true);
  });

  it("protection can be turned off (e.g. for a sandbox torn down often)", async () => {
    const { resources } = await planTenant(specFixture(), false);
    expect(one(resources, SERVER).protect).toBe(false);
    expect(byType(resources, PRIMARY_IP).every((r) => !r.protect)).toBe(true);
  });

  it("opens 80 and 443 to all and 22 only to the hub's management CIDRs", async () => {
    const { resources } = await planTenant(specFixture());
    const rules = one(resources, FIREWALL).plainInputs.rules as Array<Record<string, unknown>>;
    const tcp = rules.filter((r) => r.protocol === "tcp");
    expect(tcp.map((r) => r.port)).toEqual(["80", "443", "22"]);
    expect(tcp.find((r) => r.port === "22")?.sourceIps).toEqual(hubFixture().managementCidrs);
    expect(tcp.find((r) => r.port === "443")?.sourceIps).toEqual(["0.0.0.0/0", "::/0"]);
    expect(rules.every((r) => r.direction === "in")).toBe(true);
  });

  it("opens the mail ports only when a mail tool is chosen", async () => {
    const { resources } = await planTenant(specFixture({ tools: ["stalwart"] }));
    const rules = one(resources, FIREWALL).plainInputs.rules as Array<Record<string, unknown>>;
    expect(rules.filter((r) => r.protocol === "tcp").map((r) => r.port)).toEqual(["80", "443", "25", "465", "587", "993", "22"]);
    const records = byType(resources, DNS).map((r) => r.plainInputs.type);
    expect(records).toContain("MX");
  });

  it("points apex and wildcard A/AAAA at the server's addresses, not proxied, in the tenant's child zone", async () => {
    const { resources, plainOutputs } = await planTenant(specFixture());
    const zone = one(resources, ZONE);
    const records = byType(resources, DNS).filter((r) => r.plainInputs.type !== "NS");
    expect(records.map((r) => `${r.plainInputs.type} ${r.plainInputs.name}`).sort()).toEqual([
      "A *.acme-bakery.eu.letsbe.biz", "A acme-bakery.eu.letsbe.biz",
      "AAAA *.acme-bakery.eu.letsbe.biz", "AAAA acme-bakery.eu.letsbe.biz",
    ]);
    for (const record of records) {
      expect(record.plainInputs.proxied).toBe(false);
      expect(record.plainInputs.zoneId).not.toBe(hubFixture().cloudflareZoneId);
      expect(record.dependencies).toContain(zone.urn);
      expect(record.deleteBeforeReplace).toBe(true);
      expect(record.plainInputs.content).toBe(record.plainInputs.type === "A" ? plainOutputs.ipv4 : plainOutputs.ipv6);
    }
    expect(plainOutputs.ipv4).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(plainOutputs.ipv6).toMatch(/^2001:db8:/);
  });

  it("gives a base-domain tenant a protected child zone, delegated by NS records in the platform zone made after its records", async () => {
    const { resources } = await planTenant(specFixture());
    const zone = one(resources, ZONE);
    expect(zone.plainInputs).toEqual({ account: {}, name: "acme-bakery.eu.letsbe.biz", type: "full" });
    expect(zone.protect).toBe(true);
    // Made once the server is there: an order that gets no server leaves no zone behind.
    expect(zone.dependencies).toContain(one(resources, SERVER).urn);
    const ns = byType(resources, DNS).filter((r) => r.plainInputs.type === "NS");
    // The mock runtime's stand-ins for the two name servers Cloudflare would assign.
    expect(ns.map((r) => r.plainInputs.content).sort()).toEqual(["ns-a.planned.invalid", "ns-b.planned.invalid"]);
    const addressRecords = byType(resources, DNS).filter((r) => r.plainInputs.type !== "NS").map((r) => r.urn);
    for (const record of ns) {
      expect(record.plainInputs.zoneId).toBe(hubFixture().cloudflareZoneId);
      expect(record.plainInputs.name).toBe("acme-bakery.eu.letsbe.biz");
      for (const urn of [zone.urn, ...addressRecords]) expect(record.dependencies).toContain(urn);
    }
    expect(one((await planTenant(specFixture(), false)).resources, ZONE).protect).toBe(false);
  });

  it("uses the tenant's own zone when it brings one, and makes no zone", async () => {
    const zone = "0123456789abcdef0123456789abcdef";
    const { resources } = await planTenant(specFixture({ domain: "acme.example", cloudflareZoneId: zone }));
    expect(new Set(byType(resources, DNS).map((r) => r.plainInputs.zoneId))).toEqual(new Set([zone]));
    expect(byType(resources, ZONE)).toEqual([]);
  });

  it("parents every resource to the Tenant and registers its outputs", async () => {
    const { resources, plainOutputs } = await planTenant(specFixture());
    const tenant = one(resources, "letsbe:tenant:Tenant");
    const children = resources.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"));
    expect(children.length).toBeGreaterThanOrEqual(8);
    for (const child of children) expect(child.parent).toBe(tenant.urn);
    expect(plainOutputs.provider).toBe("hetzner");
    expect(plainOutputs.serverId).toMatch(/^\d+$/);
    expect(one(resources, SERVER).plainInputs.name).toBe("acme-bakery");
  });
});
