/**
 * The fake validates against Netcup's published spec with a few corrections. Each correction must
 * be needed (the spec without it rejects the recording named as evidence) and the corrected spec
 * must accept every recorded exchange of the operations the fake serves.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeScp } from "../fakes/scp/server";
import { SERVED_OPERATIONS, SPEC_CORRECTIONS, createValidator, loadCorrectedSpec, loadRecordings, recording, type Recording, type SpecValidator } from "../fakes/scp/spec";

const SERVED = new Set(SERVED_OPERATIONS);

function problemsOf(validator: SpecValidator, rec: Recording): string[] {
  const path = new URL(rec.url).pathname.replace(/^\/scp-core/, "");
  const op = validator.match(rec.method, path);
  if (!op) return [`no operation for ${rec.method} ${path}`];
  const contentType = rec.method === "PATCH" ? "application/merge-patch+json" : "application/json";
  const request = rec.requestBody === undefined ? [] : validator.validateRequest(op, { method: rec.method, path, query: {}, headers: { "content-type": contentType }, body: rec.requestBody });
  return [...request, ...validator.validateResponse(op, rec.status, rec.responseBody)];
}

describe("the SCP spec the fake enforces", () => {
  it.each(SPEC_CORRECTIONS.map((c) => [c.what, c] as const))("needs the correction: %s", async (_what, correction) => {
    const without = await createValidator(loadCorrectedSpec(SPEC_CORRECTIONS.filter((c) => c !== correction)));
    const withAll = await createValidator();
    expect(problemsOf(without, recording(correction.evidence)).length).toBeGreaterThan(0);
    expect(problemsOf(withAll, recording(correction.evidence))).toEqual([]);
  });

  it("accepts every recorded exchange of the operations the fake serves", async () => {
    const validator = await createValidator();
    const served = loadRecordings().filter((rec) => {
      const op = validator.match(rec.method, new URL(rec.url).pathname.replace(/^\/scp-core/, ""));
      return op && SERVED.has(op.operationId ?? "");
    });
    expect(served.map((r) => r.file)).toEqual(expect.arrayContaining(["GET_servers.json", "GET_servers_111007.json", "POST_servers_111007_image.json", "PATCH_servers_111007.json", "GET_users_555001_ssh-keys.json"]));
    for (const rec of served) expect([rec.file, problemsOf(validator, rec)]).toEqual([rec.file, []]);
  });
});

describe("the fake rejects what the real API would", () => {
  let fake: FakeScp;
  let token: string;
  beforeAll(async () => {
    fake = await FakeScp.start({ servers: [{ product: "RS 1000 G12" }] });
    const answer = await fetch(fake.tokenUrl, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ grant_type: "refresh_token", client_id: "scp", refresh_token: fake.refreshToken }) });
    token = ((await answer.json()) as { access_token: string }).access_token;
  });
  afterAll(async () => fake?.stop());

  const call = (method: string, path: string, body?: unknown, contentType = "application/json") =>
    fetch(`${fake.apiUrl}${path}`, { method, headers: { authorization: `Bearer ${token}`, accept: "application/json", ...(body === undefined ? {} : { "content-type": contentType }) }, body: body === undefined ? undefined : JSON.stringify(body) });

  it.each([
    ["two attributes in one PATCH", "PATCH", "/api/v1/servers/211000", { nickname: "a", hostname: "b.example.com" }, "application/merge-patch+json"],
    ["a PATCH sent as plain JSON", "PATCH", "/api/v1/servers/211000", { nickname: "a" }, "application/json"],
    ["an rDNS name that is no FQDN", "POST", "/api/v1/rdns/ipv4", { ip: "198.18.0.2", rdns: "not a name" }, "application/json"],
    ["a server id that is no integer", "GET", "/api/v1/servers/abc", undefined, "application/json"],
    ["an SSH key without a name", "POST", "/api/v1/users/555001/ssh-keys", { key: "ssh-ed25519 AAAA" }, "application/json"],
  ] as const)("%s", async (_what, method, path, body, contentType) => {
    const before = fake.violations.length;
    const answer = await call(method, path, body, contentType);
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(fake.violations.length).toBe(before + 1);
  });

  it("answers without a valid bearer token with 401", async () => {
    const answer = await fetch(`${fake.apiUrl}/api/v1/servers`, { headers: { authorization: "Bearer forged" } });
    expect(answer.status).toBe(401);
  });
});
