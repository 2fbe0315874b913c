/** A `netcup` tenant plans a NetcupServer behind the VPS interface, with DNS pointing at it. */
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { runUnderMocks } from "../../automation/plan/mockRuntime";
import { NetcupServer } from "../../components/netcup/provider";
import { createNetcupVps } from "../../components/netcup/vps";
import { Tenant } from "../../components/tenant/tenant";
import { DEFAULT_RELEASE, REGIONS, TIERS, type RegionId, type TierId } from "../../tenants/catalog";
import type { TenantSpec } from "../../tenants/schema";
import { byType, hubFixture, one, specFixture } from "../helpers/fixtures";
import { ed25519Pair } from "../fixtures/ed25519";

const NETCUP = "pulumi-nodejs:dynamic/netcup:Server";
const DNS = "cloudflare:index/dnsRecord:DnsRecord";
const REFRESH_TOKEN = "rt-test-refresh-token-never-shown";

function planNetcupTenant(spec: TenantSpec, withAccess = true) {
  return runUnderMocks(async () => {
    const tenant = new Tenant(spec.slug, {
      spec,
      hub: hubFixture(spec.region),
      release: DEFAULT_RELEASE,
      netcup: withAccess ? { apiUrl: "https://scp.example/scp-core", tokenUrl: "https://scp.example/realms/scp/protocol/openid-connect/token", refreshToken: pulumi.secret(REFRESH_TOKEN) } : undefined,
    });
    return { ipv4: tenant.ipv4, ipv6: tenant.ipv6, serverId: tenant.serverId, provider: tenant.provider };
  }, { project: "letsbe-tenant", stack: spec.slug });
}

describe("Tenant on Netcup", () => {
  it.each([["lite", "eu"], ["scale", "eu"], ["build", "us"], ["enterprise", "us"]] as Array<[TierId, RegionId]>)("%s in %s claims the tier's product at the region's site", async (tier, region) => {
    const spec = specFixture({ provider: "netcup", tier, region, tools: [], domain: `acme.${region}.letsbe.biz` });
    const { resources } = await planNetcupTenant(spec);
    const server = one(resources, NETCUP);
    expect(server.plainInputs).toMatchObject({
      product: TIERS[tier].netcupProduct, site: REGIONS[region].netcupSite, region, owner: spec.slug, hostname: spec.domain,
      sshPublicKey: hubFixture(region).provisioningPublicKey, image: "Debian 13",
    });
    expect(byType(resources, "hcloud:index/server:Server")).toEqual([]);
  });

  it("points DNS at the claimed server, is protected and keeps the refresh token secret", async () => {
    const { resources, outputs, plainOutputs } = await planNetcupTenant(specFixture({ provider: "netcup" }));
    const server = one(resources, NETCUP);
    expect(server.protect).toBe(true);
    expect(server.secretPaths).toContain("refreshToken");
    expect(server.inputs.refreshToken).toBe("[secret]");
    expect(typeof server.plainInputs.__provider).toBe("string");
    const records = byType(resources, DNS).filter((r) => r.plainInputs.type === "A" || r.plainInputs.type === "AAAA");
    expect(records.length).toBeGreaterThanOrEqual(2);
    for (const record of records) expect(record.dependencies).toContain(server.urn);
    expect(plainOutputs.provider).toBe("netcup");
    expect(records.filter((r) => r.plainInputs.type === "A").map((r) => r.plainInputs.content)).toContain(plainOutputs.ipv4);
    const shown = JSON.stringify({ outputs, plainOutputs, inputs: resources.map((r) => r.inputs) });
    expect(shown).not.toContain(REFRESH_TOKEN);
  });

  it("createNetcupVps hands the NetcupServer the provisioning private key and SSH port for a key rotation, the key only as a secret", async () => {
    // Generated per run: no key material is kept in the repository.
    const PRIVATE_KEY = ed25519Pair().private;
    const keyBody = PRIVATE_KEY.split("\n")[1];
    const { resources } = await runUnderMocks(async () => {
      const parent = new pulumi.ComponentResource("test:index:Parent", "parent");
      createNetcupVps("acme-bakery", {
        owner: "acme-bakery", region: "eu", site: "Nuremberg", product: "RS 1000 G12", hostname: "acme-bakery.eu.letsbe.biz",
        sshPublicKey: hubFixture().provisioningPublicKey, sshPrivateKey: pulumi.secret(PRIVATE_KEY), sshPort: 2222,
        apiUrl: "https://scp.example/scp-core", tokenUrl: "https://scp.example/token", refreshToken: pulumi.secret(REFRESH_TOKEN),
      }, parent);
    }, { project: "letsbe-tenant", stack: "acme-bakery" });
    const server = one(resources, NETCUP);
    expect(server.plainInputs).toMatchObject({ sshPrivateKey: PRIVATE_KEY, sshPort: 2222 });
    expect(server.secretPaths).toContain("sshPrivateKey");
    expect(keyBody.length).toBeGreaterThan(16);
    expect(JSON.stringify(server.inputs)).not.toContain(keyBody);
  });

  it("without Netcup API access: an input error naming the property", async () => {
    const error = await planNetcupTenant(specFixture({ provider: "netcup" }), false).catch((e: unknown) => e);
    expect(error).toMatchObject({ propertyPath: "netcup" });
    expect(String((error as Error).message)).toMatch(/acme-bakery.*no Netcup API access/);
  });

  it("keeps the refresh token a secret output of the NetcupServer too (the provider needs it in state to delete)", async () => {
    const run = await runUnderMocks(() => {
      const server = new NetcupServer("server", {
        region: "eu", site: "Nuremberg", product: "RS 1000 G12", owner: "acme-bakery", hostname: "acme-bakery.eu.letsbe.biz",
        sshPublicKey: hubFixture().provisioningPublicKey, apiUrl: "https://scp.example/scp-core", tokenUrl: "https://scp.example/token", refreshToken: REFRESH_TOKEN,
      });
      return { token: (server as unknown as { refreshToken: pulumi.Output<string> }).refreshToken, ipv4: server.ipv4 };
    }, { project: "letsbe-tenant", stack: "acme-bakery" });
    expect(run.secretOutputs).toEqual(["token"]);
    expect(JSON.stringify(run.outputs)).not.toContain(REFRESH_TOKEN);
  });
});
