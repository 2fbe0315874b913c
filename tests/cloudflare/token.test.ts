/**
 * A tenant's DNS-01 credential made as the tenant stack makes it (cloudflare.ApiToken with the
 * policy `createDnsToken` declares, carried out by the stand-in against the fake): its value edits
 * that tenant's zone only, is refused for another tenant's zone and the hub's, and dies with the
 * resource.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { setProviderConfig } from "../engine/standins/config";
import { cloudflareHandlers } from "../engine/standins/cloudflare";
import { FakeCloudflare } from "../fakes/cloudflare/server";
import { DNS_WRITE, ZONE_READ } from "../../components/dns/token";

const TENANT = "0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a";
const OTHER = "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b";
const PLATFORM = "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c";
const TYPE = "cloudflare:index/apiToken:ApiToken";
const URN = `urn:pulumi:acme::letsbe-tenant::letsbe:tenant:Tenant$${TYPE}::acme-dns01-token`;
const handler = cloudflareHandlers[TYPE];
let fake: FakeCloudflare;

// The inputs the SDK sends for createDnsToken's resource (resources already JSON text).
const inputs = (zoneId: string) => ({
  name: "letsbe-tenant-acme-dns01",
  policies: [{ effect: "allow", permissionGroups: [{ id: ZONE_READ }, { id: DNS_WRITE }], resources: JSON.stringify({ [`com.cloudflare.api.account.zone.${zoneId}`]: "*" }) }],
});
const postTxt = async (token: string, zone: string) => (await fetch(`${fake.apiUrl}/zones/${zone}/dns_records`, {
  method: "POST",
  headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
  body: JSON.stringify({ type: "TXT", name: "_acme-challenge", content: "x", ttl: 120 }),
})).status;

beforeEach(async () => {
  fake = await FakeCloudflare.start({ zones: [{ name: "acme.example", id: TENANT }, { name: "bakery.example", id: OTHER }, { name: "eu.letsbe.biz", id: PLATFORM }] });
  setProviderConfig({ baseUrl: fake.apiUrl, apiToken: fake.token });
});
afterEach(async () => {
  expect(fake.violations).toEqual([]);
  setProviderConfig({});
  await fake.stop();
});

describe("a tenant's DNS-01 token through the cloudflare stand-in", () => {
  it("is created with the policy on the tenant's zone, its value secret, and works for that zone alone", async () => {
    const { id, outs } = await handler.create!(URN, inputs(TENANT));
    expect(fake.log.map((c) => `${c.method} ${c.path}`)).toEqual(["POST /user/tokens"]);
    expect(fake.log[0].body).toEqual({
      name: "letsbe-tenant-acme-dns01",
      policies: [{ effect: "allow", permission_groups: [{ id: ZONE_READ }, { id: DNS_WRITE }], resources: { [`com.cloudflare.api.account.zone.${TENANT}`]: "*" } }],
    });
    const value = (outs.value as { value: string }).value;
    expect(Object.keys(outs.value as object)).toContain("4dabf18193072939515e22adb298388d");
    expect(value).toBe(fake.tokens.issued.get(id)?.value);
    expect(await postTxt(value, TENANT)).toBe(200);
    expect(await postTxt(value, OTHER)).toBe(403);
    expect(await postTxt(value, PLATFORM)).toBe(403);
    expect(fake.recordsOf(OTHER)).toEqual([]);
  });

  it("two tenants' tokens share nothing and each is refused the other's zone", async () => {
    const a = (await handler.create!(URN, inputs(TENANT))).outs.value as { value: string };
    const b = (await handler.create!(URN, inputs(OTHER))).outs.value as { value: string };
    expect(a.value).not.toBe(b.value);
    expect(await postTxt(a.value, OTHER)).toBe(403);
    expect(await postTxt(b.value, TENANT)).toBe(403);
    expect(await postTxt(b.value, OTHER)).toBe(200);
  });

  it("is revoked by delete, and read then reports it gone", async () => {
    const { id, outs } = await handler.create!(URN, inputs(TENANT));
    const value = (outs.value as { value: string }).value;
    expect(await handler.read!(id, URN, outs)).toMatchObject({ status: "active" });
    await handler.delete!(id, URN, outs);
    expect(await postTxt(value, TENANT)).toBe(403);
    expect(await handler.read!(id, URN, outs)).toBeUndefined();
  });

  it("cannot be minted with a tenant's own token (no API Tokens Write)", async () => {
    const value = ((await handler.create!(URN, inputs(TENANT))).outs.value as { value: string }).value;
    setProviderConfig({ baseUrl: fake.apiUrl, apiToken: value });
    await expect(handler.create!(URN, inputs(OTHER))).rejects.toThrow(/HTTP 403: 10000 Authentication error/);
  });
});
