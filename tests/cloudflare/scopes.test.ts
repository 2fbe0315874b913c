/**
 * The fake's tokens are scoped as Cloudflare scopes them (to zones, never to records), and its DNS
 * side answers from the records the API holds: one tenant's credential is refused for another
 * tenant's zone and the hub's, and sees only its own zone in the zone list.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Resolver } from "node:dns/promises";
import { FakeCloudflare } from "../fakes/cloudflare/server";
import { callFake } from "./client";
import { FakeCloudflareDns } from "../fakes/cloudflare/dns";

const PLATFORM = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const ACME = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const BAKERY = "cccccccccccccccccccccccccccccccc";
let fake: FakeCloudflare;

const call = (token: string, method: string, path: string, body?: unknown) => callFake<Array<Record<string, unknown>> & Record<string, unknown>>(fake.apiUrl, token, method, path, body);
const challenge = (name: string, content: string) => ({ type: "TXT", name, content, ttl: 120 });

beforeEach(async () => {
  fake = await FakeCloudflare.start({ zones: [{ name: "eu.letsbe.biz", id: PLATFORM }, { name: "acme.example", id: ACME }, { name: "bakery.example", id: BAKERY }] });
});
afterEach(async () => {
  await fake.stop();
});

describe("zone-scoped tokens", () => {
  it("let a tenant write its own _acme-challenge record and refuse it another tenant's zone and the hub's", async () => {
    const acme = fake.issueZoneToken([ACME]);
    const own = await call(acme, "POST", `/zones/${ACME}/dns_records`, challenge("_acme-challenge.acme.example", "own-token-value"));
    expect(own.status).toBe(200);
    for (const zone of [BAKERY, PLATFORM]) {
      const refused = await call(acme, "POST", `/zones/${zone}/dns_records`, challenge("_acme-challenge.bakery.example", "forged"));
      expect(refused.status).toBe(403);
      expect(refused.body.errors).toEqual([{ code: 10000, message: "Authentication error" }]);
      expect((await call(acme, "GET", `/zones/${zone}/dns_records`)).status).toBe(403);
    }
    expect(fake.recordsOf(BAKERY)).toEqual([]);
    expect(fake.recordsOf(PLATFORM)).toEqual([]);
    expect(fake.violations).toEqual([]);
  });

  it("cannot delete another tenant's record by its id", async () => {
    const bakery = fake.issueZoneToken([BAKERY]);
    const created = await call(bakery, "POST", `/zones/${BAKERY}/dns_records`, challenge("_acme-challenge.bakery.example", "bakery-value"));
    const id = String(created.body.result.id);
    const acme = fake.issueZoneToken([ACME]);
    expect((await call(acme, "DELETE", `/zones/${BAKERY}/dns_records/${id}`)).status).toBe(403);
    // Its own zone id with the other's record id: the record is not in that zone.
    expect((await call(acme, "DELETE", `/zones/${ACME}/dns_records/${id}`)).status).toBe(404);
    expect(fake.recordsOf(BAKERY).map((r) => r.content)).toEqual(["bakery-value"]);
  });

  it("list only the zones the token may read, by name as certbot-dns-cloudflare asks", async () => {
    const acme = fake.issueZoneToken([ACME]);
    const byName = async (token: string, name: string) =>
      (await call(token, "GET", `/zones?name=${name}&per_page=1`)).body.result.map((z) => z.id);
    expect(await byName(acme, "acme.example")).toEqual([ACME]);
    expect(await byName(acme, "bakery.example")).toEqual([]);
    expect(await byName(acme, "eu.letsbe.biz")).toEqual([]);
    expect(await byName(fake.token, "bakery.example")).toEqual([BAKERY]);
    expect(fake.violations).toEqual([]);
  });

  it("refuse a token the fake never issued", async () => {
    const unknown = "x".repeat(40);
    expect((await call(unknown, "GET", `/zones/${ACME}`)).status).toBe(403);
    expect(() => fake.issueZoneToken(["dddddddddddddddddddddddddddddddd"])).toThrow(/no zone dddd/);
  });
});

describe("the fake's authoritative DNS", () => {
  it("answers TXT, A and a CNAME chain from the records the API holds, and NXDOMAIN or REFUSED outside them", async () => {
    const dns = await FakeCloudflareDns.start(fake);
    try {
      const resolver = new Resolver();
      resolver.setServers([`${dns.address.host}:${dns.address.port}`]);
      await call(fake.token, "POST", `/zones/${ACME}/dns_records`, challenge("_acme-challenge.acme.example", "first"));
      await call(fake.token, "POST", `/zones/${ACME}/dns_records`, challenge("_acme-challenge.acme.example", "second"));
      await call(fake.token, "POST", `/zones/${ACME}/dns_records`, { type: "A", name: "acme.example", content: "192.0.2.7", ttl: 300 });
      await call(fake.token, "POST", `/zones/${BAKERY}/dns_records`, { type: "CNAME", name: "_acme-challenge.bakery.example", content: "bakery.acme.example", ttl: 300 });
      await call(fake.token, "POST", `/zones/${ACME}/dns_records`, challenge("bakery.acme.example", "delegated"));
      expect((await resolver.resolveTxt("_acme-challenge.acme.example")).map((t) => t.join("")).sort()).toEqual(["first", "second"]);
      expect(await resolver.resolve4("acme.example")).toEqual(["192.0.2.7"]);
      expect((await resolver.resolveTxt("_acme-challenge.bakery.example")).map((t) => t.join(""))).toEqual(["delegated"]);
      await expect(resolver.resolveTxt("nothing.acme.example")).rejects.toMatchObject({ code: "ENOTFOUND" });
      await expect(resolver.resolveTxt("example.org")).rejects.toMatchObject({ code: "EREFUSED" });
      // A record deleted through the API is gone from DNS at once.
      const txt = fake.recordsOf(ACME).find((r) => r.content === "first");
      await call(fake.token, "DELETE", `/zones/${ACME}/dns_records/${txt?.id ?? ""}`);
      expect((await resolver.resolveTxt("_acme-challenge.acme.example")).map((t) => t.join(""))).toEqual(["second"]);
      expect(dns.queries).toContain("TXT _acme-challenge.bakery.example");
    } finally {
      await dns.stop();
    }
  });
});
