/**
 * Child zones in the fake, as Cloudflare's subdomain setup describes them
 * (developers.cloudflare.com/dns/zone-setups/subdomain-setup): POST /zones makes `<label>.<parent>`
 * with name servers other than the parent's, pending until the parent holds NS records naming them;
 * only the account-wide token makes or deletes zones; a delegated name holds no address records in
 * the parent; the DNS side answers from the child only once it is delegated. The stand-in's
 * `cloudflare.Zone` carries the resource out against it.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Resolver } from "node:dns/promises";
import * as dnsPacket from "dns-packet";
import { FakeCloudflare } from "../fakes/cloudflare/server";
import { callFake } from "./client";
import { FakeCloudflareDns } from "../fakes/cloudflare/dns";
import { setProviderConfig } from "../engine/standins/config";
import { cloudflareHandlers } from "../engine/standins/cloudflare";

const PLATFORM = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const ACCOUNT = "0123456789abcdef0123456789abcdef";
const CHILD = "bakery.eu.letsbe.biz";
let fake: FakeCloudflare;

const call = (token: string, method: string, path: string, body?: unknown) => callFake<Record<string, unknown>>(fake.apiUrl, token, method, path, body);
const createChild = (token = fake.token, name = CHILD) => call(token, "POST", "/zones", { account: { id: ACCOUNT }, name, type: "full" });
const delegate = (nameServers: readonly string[]) =>
  Promise.all(nameServers.map((ns) => call(fake.token, "POST", `/zones/${PLATFORM}/dns_records`, { type: "NS", name: CHILD, content: ns, ttl: 3600 })));

beforeEach(async () => {
  fake = await FakeCloudflare.start({ zones: [{ name: "eu.letsbe.biz", id: PLATFORM }] });
});
afterEach(async () => {
  expect(fake.violations).toEqual([]);
  await fake.stop();
});

describe("child zones through the API", () => {
  it("are made pending with name servers of their own, and turn active once the parent delegates to them", async () => {
    const made = await createChild();
    expect(made.status).toBe(200);
    const zone = made.body.result as { id: string; name: string; status: string; name_servers: string[]; account: { id: string } };
    expect(zone.name).toBe(CHILD);
    expect(zone.status).toBe("pending");
    expect(zone.account.id).toBe(ACCOUNT);
    expect(zone.name_servers).toHaveLength(2);
    const parentNs = (await call(fake.token, "GET", `/zones/${PLATFORM}`)).body.result.name_servers as string[];
    expect(zone.name_servers.filter((ns) => parentNs.includes(ns))).toEqual([]);
    // One of the two NS records is not a delegation Cloudflare accepts as done.
    await delegate(zone.name_servers.slice(0, 1));
    expect((await call(fake.token, "GET", `/zones/${zone.id}`)).body.result.status).toBe("pending");
    await delegate(zone.name_servers.slice(1));
    const active = (await call(fake.token, "GET", `/zones/${zone.id}`)).body.result;
    expect(active.status).toBe("active");
    expect(active.activated_on).toEqual(expect.any(String));
  });

  it("cannot be made twice, nor by a zone-scoped token, nor under another account", async () => {
    expect((await createChild()).status).toBe(200);
    const again = await createChild();
    expect(again.status).toBe(400);
    expect(again.body.errors).toEqual([{ code: 1061, message: `${CHILD} already exists` }]);
    const tenant = fake.issueZoneToken([PLATFORM]);
    expect((await createChild(tenant, "other.eu.letsbe.biz")).status).toBe(403);
    const foreign = await call(fake.token, "POST", "/zones", { account: { id: "f".repeat(32) }, name: "other.eu.letsbe.biz" });
    expect(foreign.status).toBe(403);
    expect([...fake.zones.values()].map((z) => z.name).sort()).toEqual([CHILD, "eu.letsbe.biz"]);
  });

  it("need the Subdomain Support entitlement when the account holds the parent", async () => {
    await fake.stop();
    fake = await FakeCloudflare.start({ zones: [{ name: "eu.letsbe.biz", id: PLATFORM }], subdomainZones: false });
    const refused = await createChild();
    expect(refused.status).toBe(400);
    expect(refused.body.errors[0]?.message).toContain("Subdomain Support");
    // A zone that is nobody's subdomain here still may be made.
    expect((await createChild(fake.token, "acme.example")).status).toBe(200);
  });

  it("are deleted with their records only by the account-wide token", async () => {
    const zone = (await createChild()).body.result as { id: string };
    const token = fake.issueZoneToken([zone.id]);
    expect((await call(token, "POST", `/zones/${zone.id}/dns_records`, { type: "A", name: CHILD, content: "192.0.2.9", ttl: 300 })).status).toBe(200);
    expect((await call(token, "DELETE", `/zones/${zone.id}`)).status).toBe(403);
    expect(fake.zones.has(zone.id)).toBe(true);
    const deleted = await call(fake.token, "DELETE", `/zones/${zone.id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body.result).toEqual({ id: zone.id });
    expect(fake.zones.has(zone.id)).toBe(false);
    expect(fake.records.size).toBe(0);
  });
});

describe("a delegated name in the parent zone", () => {
  it("holds no address records beside its NS records, and no NS records beside address records", async () => {
    await delegate(["cruz.ns.cloudflare.com"]);
    const address = await call(fake.token, "POST", `/zones/${PLATFORM}/dns_records`, { type: "A", name: CHILD, content: "192.0.2.9", ttl: 300 });
    expect(address.status).toBe(400);
    expect(address.body.errors).toEqual([{ code: 81056, message: "NS records with that host already exist." }]);
    await call(fake.token, "POST", `/zones/${PLATFORM}/dns_records`, { type: "A", name: "cafe.eu.letsbe.biz", content: "192.0.2.10", ttl: 300 });
    const ns = await call(fake.token, "POST", `/zones/${PLATFORM}/dns_records`, { type: "NS", name: "cafe.eu.letsbe.biz", content: "cruz.ns.cloudflare.com", ttl: 3600 });
    expect(ns.status).toBe(400);
    expect(ns.body.errors[0]?.code).toBe(81053);
  });
});

describe("the DNS side follows the delegation", () => {
  it("answers from the child zone only once the parent delegates to its name servers", async () => {
    const dns = await FakeCloudflareDns.start(fake);
    try {
      const resolver = new Resolver();
      resolver.setServers([`${dns.address.host}:${dns.address.port}`]);
      const zone = (await createChild()).body.result as { id: string; name_servers: string[] };
      await call(fake.token, "POST", `/zones/${zone.id}/dns_records`, { type: "TXT", name: `_acme-challenge.${CHILD}`, content: "child-value", ttl: 120 });
      await call(fake.token, "POST", `/zones/${zone.id}/dns_records`, { type: "A", name: CHILD, content: "192.0.2.20", ttl: 300 });
      // Not delegated yet: a resolver reaches the parent, which has nothing there.
      await expect(resolver.resolveTxt(`_acme-challenge.${CHILD}`)).rejects.toMatchObject({ code: "ENOTFOUND" });
      await delegate(zone.name_servers);
      expect((await resolver.resolveTxt(`_acme-challenge.${CHILD}`)).map((t) => t.join(""))).toEqual(["child-value"]);
      expect(await resolver.resolve4(CHILD)).toEqual(["192.0.2.20"]);
      expect((await resolver.resolveNs(CHILD)).sort()).toEqual([...zone.name_servers].sort());
    } finally {
      await dns.stop();
    }
  });

  it("gives a referral, not an answer, for NS records naming a zone it does not hold", async () => {
    const dns = await FakeCloudflareDns.start(fake);
    try {
      await call(fake.token, "POST", `/zones/${PLATFORM}/dns_records`, { type: "NS", name: "away.eu.letsbe.biz", content: "ns1.elsewhere.example", ttl: 3600 });
      const reply = dns.reply(dnsPacket.encode({ type: "query", id: 7, questions: [{ type: "A", name: "www.away.eu.letsbe.biz" }] }));
      const decoded = dnsPacket.decode(reply!);
      expect(decoded.answers).toEqual([]);
      expect(decoded.authorities?.map((a) => [a.type, a.name, "data" in a ? a.data : undefined])).toEqual([["NS", "away.eu.letsbe.biz", "ns1.elsewhere.example"]]);
      expect((decoded.flags ?? 0) & dnsPacket.AUTHORITATIVE_ANSWER).toBe(0);
    } finally {
      await dns.stop();
    }
  });
});

describe("the stand-in's cloudflare.Zone", () => {
  const handler = cloudflareHandlers["cloudflare:index/zone:Zone"]!;
  const URN = "urn:pulumi:bakery::letsbe-tenant::letsbe:tenant:Tenant$cloudflare:index/zone:Zone::bakery-zone";

  it("creates the zone with the v6 inputs, reports its name servers and status, reads it active once delegated, and deletes it", async () => {
    setProviderConfig({ baseUrl: fake.apiUrl, apiToken: fake.token });
    try {
      const { id, outs } = await handler.create!(URN, { account: {}, name: CHILD, type: "full" });
      expect(fake.log.map((c) => [`${c.method} ${c.path}`, c.body])).toEqual([["POST /zones", { account: {}, name: CHILD, type: "full" }]]);
      expect(outs).toMatchObject({ id, name: CHILD, status: "pending", account: { id: ACCOUNT } });
      const nameServers = outs.nameServers as string[];
      expect(nameServers).toEqual(fake.zones.get(id)!.nameServers);
      await delegate(nameServers);
      expect(await handler.read!(id, URN, outs)).toMatchObject({ status: "active", nameServers });
      await handler.delete!(id, URN, outs);
      expect(fake.zones.has(id)).toBe(false);
      expect(await handler.read!(id, URN, outs)).toBeUndefined();
      await handler.delete!(id, URN, outs); // already gone: no error
      await expect(handler.create!(URN, { account: { id: "not-hex" }, name: CHILD })).rejects.toThrow(/cloudflare Zone: account.id: account.id must be 32 hex digits/);
      expect(handler.replaceOn).toEqual(["account", "name"]);
    } finally {
      setProviderConfig({});
    }
  });
});
