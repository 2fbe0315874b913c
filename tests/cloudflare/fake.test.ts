import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeCloudflare } from "../fakes/cloudflare/server";
import { loadSpec } from "../fakes/cloudflare/spec";

const ZONE_ID = "0123456789abcdef0123456789abcdef";
let fake: FakeCloudflare;

const call = async (method: string, path: string, body?: unknown, token = fake.token) => {
  const res = await fetch(`${fake.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { success: boolean; errors: Array<{ code: number; message: string }>; result: Record<string, unknown> & Array<Record<string, unknown>>; result_info?: Record<string, number> } };
};
const apexA = { name: "example.com", type: "A", content: "192.0.2.10", ttl: 300, proxied: false, comment: "managed by letsbe-tenant" };

beforeEach(async () => {
  fake = await FakeCloudflare.start({ zones: [{ name: "example.com", id: ZONE_ID }] });
});
afterEach(async () => {
  await fake.stop();
});

describe("fake Cloudflare DNS records", () => {
  it("creates, reads, lists, overwrites, edits and deletes a record in Cloudflare's envelope", async () => {
    const created = await call("POST", `/zones/${ZONE_ID}/dns_records`, apexA);
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ success: true, errors: [], messages: [] });
    const id = String(created.body.result.id);
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(created.body.result).toMatchObject({ name: "example.com", type: "A", content: "192.0.2.10", ttl: 300, proxied: false, proxiable: true, comment: "managed by letsbe-tenant", tags: [] });
    expect(created.body.result.comment_modified_on).toEqual(expect.any(String));
    expect(created.body.result.tags_modified_on).toBeUndefined();

    expect((await call("GET", `/zones/${ZONE_ID}/dns_records/${id}`)).body.result.content).toBe("192.0.2.10");
    const listed = await call("GET", `/zones/${ZONE_ID}/dns_records?name=example.com&type=A`);
    expect(listed.body.result.map((r) => r.id)).toEqual([id]);
    expect(listed.body.result_info).toEqual({ page: 1, per_page: 100, count: 1, total_count: 1, total_pages: 1 });

    const put = await call("PUT", `/zones/${ZONE_ID}/dns_records/${id}`, { ...apexA, content: "192.0.2.11", ttl: 600 });
    expect(put.body.result).toMatchObject({ id, content: "192.0.2.11", ttl: 600, created_on: created.body.result.created_on });
    const patched = await call("PATCH", `/zones/${ZONE_ID}/dns_records/${id}`, { ttl: 1 });
    expect(patched.body.result).toMatchObject({ id, content: "192.0.2.11", ttl: 1, comment: "managed by letsbe-tenant" });

    expect((await call("DELETE", `/zones/${ZONE_ID}/dns_records/${id}`)).body).toEqual({ success: true, errors: [], messages: [], result: { id } });
    const gone = await call("GET", `/zones/${ZONE_ID}/dns_records/${id}`);
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual({ success: false, errors: [{ code: 81044, message: "Record does not exist." }], messages: [], result: null });
    expect(fake.violations).toEqual([]);
  });

  it("stores relative and @ names as full names, as Cloudflare does", async () => {
    expect((await call("POST", `/zones/${ZONE_ID}/dns_records`, { ...apexA, name: "@" })).body.result.name).toBe("example.com");
    expect((await call("POST", `/zones/${ZONE_ID}/dns_records`, { ...apexA, name: "*" })).body.result.name).toBe("*.example.com");
    expect((await call("POST", `/zones/${ZONE_ID}/dns_records`, { ...apexA, name: "WWW.example.com." })).body.result.name).toBe("www.example.com");
    expect(fake.violations).toEqual([]);
  });

  it("answers the zone's details", async () => {
    const zone = await call("GET", `/zones/${ZONE_ID}`);
    expect(zone.body.result).toMatchObject({ id: ZONE_ID, name: "example.com", status: "active" });
    expect(fake.violations).toEqual([]);
  });

  it("refuses what Cloudflare refuses, with its error codes, without counting them as violations", async () => {
    const post = (body: unknown) => call("POST", `/zones/${ZONE_ID}/dns_records`, body);
    expect((await post({ ...apexA, content: "not-an-ip" })).body.errors[0].code).toBe(9005);
    expect((await post({ ...apexA, type: "AAAA", content: "192.0.2.1" })).body.errors[0].code).toBe(9006);
    expect((await post({ ...apexA, type: "MX", content: "mail.example.com", proxied: false })).body.errors[0].code).toBe(9102);
    expect((await post({ ...apexA, type: "TXT", content: "\"v=spf1 -all\"", proxied: true })).body.errors[0].code).toBe(9004);
    expect((await post(apexA)).status).toBe(200);
    const twice = await post(apexA);
    expect([twice.status, twice.body.errors[0].code]).toEqual([400, 81058]);
    expect((await post({ ...apexA, type: "CNAME", content: "elsewhere.example.net" })).body.errors[0].code).toBe(81053);
    const noZone = await call("GET", "/zones/ffffffffffffffffffffffffffffffff/dns_records");
    expect([noZone.status, noZone.body.errors[0].code]).toEqual([404, 7003]);
    expect(fake.violations).toEqual([]);
  });

  it("answers a wrong token with 403 and a malformed or missing one with 400, never echoing it", async () => {
    const wrong = await call("GET", `/zones/${ZONE_ID}/dns_records`, undefined, "A".repeat(40));
    expect([wrong.status, wrong.body.errors[0].code]).toEqual([403, 10000]);
    expect(fake.violations).toEqual([]);
    const malformed = await call("GET", `/zones/${ZONE_ID}/dns_records`, undefined, "short!token");
    expect([malformed.status, malformed.body.errors[0].code]).toEqual([400, 6003]);
    const missing = await fetch(`${fake.apiUrl}/zones/${ZONE_ID}/dns_records`);
    expect(missing.status).toBe(400);
    expect(fake.violations).toHaveLength(2);
    expect(fake.violations.join("\n")).not.toContain("short!token");
  });

  it("records every request outside the description as a violation", async () => {
    await call("POST", `/zones/${ZONE_ID}/dns_records`, { ...apexA, zoneId: ZONE_ID });
    await call("POST", `/zones/${ZONE_ID}/dns_records`, { name: "example.com", type: "A", content: "192.0.2.1" });
    await call("POST", `/zones/${ZONE_ID}/dns_records`, { ...apexA, ttl: 5 });
    await call("POST", `/zones/${ZONE_ID}/dns_records`, { ...apexA, type: "a" });
    await call("GET", `/zones/${ZONE_ID}/dns_records?name=example.com&hostname=x`);
    await call("GET", `/zones/${"z".repeat(40)}/dns_records`);
    await call("POST", `/zones/${ZONE_ID}/dns_records/batch`, { posts: [] });
    await call("DELETE", `/zones/${ZONE_ID}/dns_records`);
    await fetch(`${fake.apiUrl}/zones/${ZONE_ID}/dns_records`, { method: "POST", headers: { authorization: `Bearer ${fake.token}`, "content-type": "text/plain" }, body: JSON.stringify(apexA) });
    expect(fake.violations).toHaveLength(9);
    expect(fake.violations[0]).toMatch(/additional/i);
    expect(fake.violations[1]).toMatch(/ttl/);
    expect(fake.violations[4]).toContain('"hostname"');
    expect(fake.violations[6]).toContain("no such operation");
    expect(fake.records.size).toBe(0);
  });

  it("keeps its description honest: every operation and schema names where it came from", () => {
    const spec = loadSpec() as { paths: Record<string, Record<string, { operationId: string; "x-source"?: string }>>; components: { schemas: Record<string, { "x-source"?: string }> } };
    const ops = Object.entries(spec.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => [`${method.toUpperCase()} ${path}`, op] as const));
    expect(ops.map(([key]) => key).sort()).toEqual([
      "DELETE /zones/{zone_id}/dns_records/{dns_record_id}", "GET /zones", "GET /zones/{zone_id}", "GET /zones/{zone_id}/dns_records",
      "GET /zones/{zone_id}/dns_records/{dns_record_id}", "PATCH /zones/{zone_id}/dns_records/{dns_record_id}",
      "POST /zones/{zone_id}/dns_records", "PUT /zones/{zone_id}/dns_records/{dns_record_id}",
      "DELETE /user/tokens/{token_id}", "GET /user/tokens/{token_id}", "POST /user/tokens",
      "POST /zones", "DELETE /zones/{zone_id}",
    ].sort());
    expect(ops.filter(([, op]) => !op["x-source"]).map(([key]) => key)).toEqual([]);
    expect(Object.entries(spec.components.schemas).filter(([, s]) => !s["x-source"]).map(([name]) => name)).toEqual([]);
  });
});
