import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { setProviderConfig } from "../engine/standins/config";
import { cloudflareHandlers } from "../engine/standins/cloudflare";
import { standInProvider, type Props } from "../engine/standins/generic";
import { FakeCloudflare } from "../fakes/cloudflare/server";

const ZONE_ID = "fedcba9876543210fedcba9876543210";
const TOKEN = "Tk_".padEnd(48, "x7");
const TYPE = "cloudflare:index/dnsRecord:DnsRecord";
const URN = `urn:pulumi:tenant-a::letsbe-tenant::letsbe:tenant:Dns$${TYPE}::acme-dns-apex-a`;
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const handler = cloudflareHandlers[TYPE];
const provider = standInProvider("cloudflare", "6.22.1", cloudflareHandlers);

let fake: FakeCloudflare;
const apex: Props = { zoneId: ZONE_ID, name: "acme.example.org", type: "A", content: "192.0.2.20", ttl: 300, proxied: false, comment: "managed by letsbe-tenant" };
const records = () => fake.recordsOf(ZONE_ID);

beforeEach(async () => {
  fake = await FakeCloudflare.start({ zones: [{ name: "example.org", id: ZONE_ID }], token: TOKEN });
  // As Configure hands them over: the token arrives secret.
  setProviderConfig({ baseUrl: fake.apiUrl, apiToken: { [SECRET_SIG]: "1b47061264138c4ac30d75fd1eb44270", value: TOKEN } });
});
afterEach(async () => {
  expect(fake.violations).toEqual([]);
  setProviderConfig({});
  await fake.stop();
});

describe("cloudflare stand-in DnsRecord against the fake", () => {
  it("creates the record and reports pulumi-cloudflare v6's outputs", async () => {
    const { id, outs } = await handler.create!(URN, apex);
    expect(records()).toHaveLength(1);
    const stored = records()[0];
    expect(id).toBe(stored.id);
    expect(outs).toMatchObject({
      id: stored.id, zoneId: ZONE_ID, name: "acme.example.org", type: "A", content: "192.0.2.20", ttl: 300, proxied: false,
      proxiable: true, comment: "managed by letsbe-tenant", tags: [], meta: "{}", createdOn: stored.createdOn, modifiedOn: stored.modifiedOn,
      commentModifiedOn: stored.commentModifiedOn, settings: { ipv4Only: false, ipv6Only: false, flattenCname: false },
    });
    expect(fake.log.map((c) => `${c.method} ${c.path}`)).toEqual([`POST /zones/${ZONE_ID}/dns_records`]);
    expect(fake.log[0].body).toEqual({ name: "acme.example.org", type: "A", content: "192.0.2.20", ttl: 300, proxied: false, comment: "managed by letsbe-tenant" });
  });

  it("sends MX priority and a quoted TXT as the tenant program gives them, ttl 1 when none is given", async () => {
    await handler.create!(URN, { zoneId: ZONE_ID, name: "acme.example.org", type: "MX", content: "mail.acme.example.org", priority: 10, ttl: 300 });
    await handler.create!(URN, { zoneId: ZONE_ID, name: "acme.example.org", type: "TXT", content: "\"v=spf1 mx -all\"" });
    const byType = Object.fromEntries(records().map((r) => [r.type, r]));
    expect(byType.MX).toMatchObject({ priority: 10, content: "mail.acme.example.org" });
    expect(byType.TXT).toMatchObject({ ttl: 1, content: "\"v=spf1 mx -all\"" });
  });

  it("updates in place with PUT and reads the record back", async () => {
    const { id } = await handler.create!(URN, apex);
    const outs = await handler.update!(id, URN, {}, { ...apex, content: "192.0.2.21", ttl: 600 });
    expect(outs).toMatchObject({ id, content: "192.0.2.21", ttl: 600 });
    expect(records()[0]).toMatchObject({ id, content: "192.0.2.21", ttl: 600 });
    expect(fake.log.at(-1)).toMatchObject({ method: "PUT", path: `/zones/${ZONE_ID}/dns_records/${id}`, status: 200 });
    // Someone edits it out of band: read sees it.
    records()[0].content = "198.51.100.7";
    const read = await handler.read!(id, URN, { ...outs, __inputs: apex });
    expect(read).toMatchObject({ content: "198.51.100.7", __inputs: apex });
  });

  it("deletes, treats a record already gone as deleted, and reads it as gone", async () => {
    const { id, outs } = await handler.create!(URN, apex);
    await handler.delete!(id, URN, outs);
    expect(records()).toEqual([]);
    await expect(handler.delete!(id, URN, outs)).resolves.toBeUndefined();
    expect(await handler.read!(id, URN, outs)).toBeUndefined();
  });

  it("replaces on zoneId and type, updates in place on content, ttl, proxied and comment", async () => {
    const created = await provider.create!(URN, apex);
    const diff = (news: Props) => provider.diff!(created.id, URN, created.outs!, news);
    expect(await diff({ ...apex, content: "192.0.2.99", ttl: 60, comment: "x", proxied: true })).toMatchObject({ changes: true, replaces: [] });
    expect((await diff({ ...apex, type: "AAAA", content: "2001:db8::1" })).replaces).toEqual(["type"]);
    expect((await diff({ ...apex, zoneId: "0".repeat(32) })).replaces).toEqual(["zoneId"]);
    expect(await diff(apex)).toMatchObject({ changes: false });
  });

  it("keeps a secret content secret in the outputs", async () => {
    const { outs } = await handler.create!(URN, { ...apex, content: { [SECRET_SIG]: "1b47061264138c4ac30d75fd1eb44270", value: "192.0.2.30" } });
    expect(records()[0].content).toBe("192.0.2.30");
    expect(outs.content).toEqual({ [SECRET_SIG]: "1b47061264138c4ac30d75fd1eb44270", value: "192.0.2.30" });
  });

  it("fails on Cloudflare's refusal with its code and message, never with the token", async () => {
    await handler.create!(URN, apex);
    const error = (await handler.create!(URN, apex).catch((e: unknown) => e)) as Error;
    expect(error.message).toContain("81058 An identical record already exists.");
    expect(error.message).not.toContain(TOKEN);
    setProviderConfig({ baseUrl: fake.apiUrl, apiToken: "Q".repeat(44) });
    const denied = (await handler.create!(URN, { ...apex, name: "other.example.org" }).catch((e: unknown) => e)) as Error;
    expect(denied.message).toMatch(/HTTP 403: 10000 Authentication error/);
    expect(denied.message).not.toContain("Q".repeat(44));
  });

  it("refuses bad inputs and config before any request", async () => {
    await expect(handler.create!(URN, { ...apex, zoneId: "example.org" })).rejects.toThrow(/zoneId must be 32 hex digits/);
    await expect(handler.create!(URN, { ...apex, value: "192.0.2.1" })).rejects.toThrow(/value|Unrecognized/i);
    setProviderConfig({ baseUrl: fake.apiUrl, apiToken: "not a token" });
    const error = (await handler.create!(URN, apex).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/apiToken is not a Cloudflare API token/);
    expect(error.message).not.toContain("not a token");
    setProviderConfig({ baseUrl: "ftp://127.0.0.1/", apiToken: TOKEN });
    await expect(handler.create!(URN, apex)).rejects.toThrow(/not an http\(s\) URL/);
    expect(fake.log).toEqual([]);
  });
});
