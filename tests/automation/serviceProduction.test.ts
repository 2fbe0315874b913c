/** Issue 14: the service for production: health routes, admission under one lock, bounded retention, stream caps, body limit. */
import { existsSync, mkdtempSync } from "node:fs";
import { Writable } from "node:stream";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FastifyInstance } from "fastify";
import { OrderFlow } from "../../automation/orders/flow";
import { FileTenantStore } from "./fileTenantStore";
import { JobManager, JobManagerOptions } from "../../automation/service/jobs";
import { ServiceOptions, buildService } from "../../automation/service/server";
import { SimulatedWorkspace, SimulatedWorkspaceOptions } from "./simulatedWorkspace";
import { ORG, SECRETS, orderInput, testHubs } from "./support";

const TOKEN = "t0ken-for-the-hub-0123456789abcdef";
const auth = { authorization: `Bearer ${TOKEN}` };
const open: Array<{ app: FastifyInstance; jobs: JobManager }> = [];
const tmp = () => mkdtempSync(join(tmpdir(), "letsbe-prod-"));
const hang = { fault: (op: string) => (op === "up" ? { kind: "hang" as const } : undefined) };

async function service(
  dir: string, ws: Partial<SimulatedWorkspaceOptions> = {}, jobOptions: Partial<JobManagerOptions> = {},
  serviceOptions: Partial<ServiceOptions> = {}, recover = true,
) {
  const workspace = new SimulatedWorkspace({ hubs: await testHubs(), ...ws });
  const store = new FileTenantStore(join(dir, "tenants"));
  const flow = new OrderFlow({ workspace, store, org: ORG, secrets: SECRETS, retryDelayMs: 5, maxRetryDelayMs: 10, timeoutMs: 60_000, attempts: 1 });
  const jobs = new JobManager({ flow, dir: join(dir, "jobs"), ...jobOptions });
  if (recover) jobs.recover();
  const app = buildService({ flow, store, jobs, token: TOKEN, ...serviceOptions });
  open.push({ app, jobs });
  return { app, jobs, store };
}

afterEach(async () => {
  for (const { app, jobs } of open.splice(0)) {
    jobs.close();
    await app.close();
  }
});

describe("service: logs", () => {
  it("are JSON lines that name each request and never carry the bearer token or an order's secrets", async () => {
    const lines: string[] = [];
    const logStream = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(...chunk.toString("utf8").split("\n").filter(Boolean)); done(); } });
    const { app } = await service(tmp(), hang, {}, { logger: true, logStream });
    expect((await app.inject({ method: "POST", url: "/v1/tenants", headers: auth, payload: orderInput("logged-one") })).statusCode).toBe(202);
    expect((await app.inject({ method: "GET", url: "/v1/tenants", headers: { authorization: "Bearer wrong-token-0123456789abcdef0123456789" } })).statusCode).toBe(401);
    const records = lines.map((l) => JSON.parse(l) as { req?: { url?: string } });
    expect(records.some((r) => r.req?.url === "/v1/tenants")).toBe(true);
    const all = lines.join("\n");
    for (const secret of [TOKEN, "wrong-token-0123456789abcdef0123456789", ...Object.values(SECRETS)]) expect(all.includes(secret), secret.slice(0, 12)).toBe(false);
  });
});

describe("service: health and readiness", () => {
  it("GET /healthz answers without a token and without details", async () => {
    const { app } = await service(tmp());
    const res = await app.inject({ method: "GET", url: "/healthz" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: "ok" });
    expect((await app.inject({ method: "POST", url: "/healthz" })).statusCode).toBe(401);
  });

  it("GET /readyz is 503 until the job journal has been recovered, then 200", async () => {
    const { app, jobs } = await service(tmp(), {}, {}, {}, false);
    const before = await app.inject({ method: "GET", url: "/readyz" });
    expect(before.statusCode).toBe(503);
    expect(before.json()).toEqual({ status: "not_ready" });
    jobs.recover();
    const after = await app.inject({ method: "GET", url: "/readyz" });
    expect(after.statusCode).toBe(200);
    expect(after.json()).toEqual({ status: "ready" });
  });
});

describe("service: admission", () => {
  it("of two different orders for the same new slug, the second gets 409 at once", async () => {
    const { app } = await service(tmp(), hang);
    const [a, b] = await Promise.all([
      app.inject({ method: "POST", url: "/v1/tenants", headers: auth, payload: orderInput("race-one", { orderId: "ord-a" }) }),
      app.inject({ method: "POST", url: "/v1/tenants", headers: auth, payload: orderInput("race-one", { orderId: "ord-b" }) }),
    ]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([202, 409]);
    const [won, lost] = a.statusCode === 202 ? [a, b] : [b, a];
    expect(lost.json()).toMatchObject({ error: "slug_taken" });
    expect(lost.json().reason).toContain(won === a ? "ord-a" : "ord-b");
  });

  it("an order whose domain needs a cloudflareZoneId and lacks one gets 400 before any job, and the slug stays free", async () => {
    const dir = tmp();
    const { app, jobs, store } = await service(dir);
    const res = await app.inject({ method: "POST", url: "/v1/tenants", headers: auth, payload: orderInput("zone-one", {}, { domain: "zone-one.example" }) });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: "invalid_order", problems: [{ source: "order ord-zone-one", path: "tenant.cloudflareZoneId" }] });
    expect(res.json().problems[0].message).toMatch(/^required because domain "zone-one\.example" is not under the eu platform domain "eu\.letsbe\.biz"/);
    expect(await store.get("zone-one")).toBeUndefined();
    const corrected = await app.inject({
      method: "POST", url: "/v1/tenants", headers: auth,
      payload: orderInput("zone-one", { orderId: "ord-zone-two" }, { domain: "zone-one.example", cloudflareZoneId: "0123456789abcdef0123456789abcdef" }),
    });
    expect(corrected.statusCode).toBe(202);
    expect((await jobs.settled(corrected.json().jobId)).status).toBe("succeeded");
  });

  it("a missing field of an order reads \"required\"", async () => {
    const { app } = await service(tmp());
    const order = orderInput("miss-one") as { tenant: Record<string, unknown> };
    delete order.tenant.contactEmail;
    const res = await app.inject({ method: "POST", url: "/v1/tenants", headers: auth, payload: order });
    expect(res.statusCode).toBe(400);
    expect(res.json().problems).toEqual([{ source: "order ord-miss-one", path: "tenant.contactEmail", message: "required" }]);
  });

  it("refuses a body over 64 KiB with 413", async () => {
    const { app } = await service(tmp());
    const res = await app.inject({ method: "POST", url: "/v1/tenants", headers: { ...auth, "content-type": "application/json" }, payload: JSON.stringify({ pad: "x".repeat(70 * 1024) }) });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ error: "payload_too_large" });
  });
});

describe("service: bounded retention and streams", () => {
  it("keeps at most keepFinished finished jobs, in memory and on disk", async () => {
    const dir = tmp();
    const { app, jobs } = await service(dir, {}, { keepFinished: 2 });
    const ids: string[] = [];
    for (const slug of ["keep-one", "keep-two", "keep-three"]) {
      const res = await app.inject({ method: "POST", url: "/v1/tenants", headers: auth, payload: orderInput(slug) });
      ids.push(res.json().jobId as string);
      await jobs.settled(ids[ids.length - 1] as string);
    }
    expect((await app.inject({ method: "GET", url: `/v1/jobs/${ids[0]}`, headers: auth })).statusCode).toBe(404);
    expect(existsSync(join(dir, "jobs", `${ids[0]}.json`))).toBe(false);
    for (const id of ids.slice(1)) expect((await app.inject({ method: "GET", url: `/v1/jobs/${id}`, headers: auth })).statusCode).toBe(200);
  });

  it("keeps the newest maxEvents events of a job, and event ids stay those of the full stream", async () => {
    const { app, jobs } = await service(tmp(), {}, { maxEvents: 3 });
    const res = await app.inject({ method: "POST", url: "/v1/tenants", headers: auth, payload: orderInput("ev-one") });
    const job = await jobs.settled(res.json().jobId);
    expect(job.events).toHaveLength(3);
    expect(job.events.at(-1)?.state).toBe("FULFILLED");
    const dropped = job.droppedEvents ?? 0;
    expect(dropped).toBeGreaterThan(0);
    const seen: number[] = [];
    jobs.subscribe(job.id, 0, (_e, index) => seen.push(index), () => undefined);
    expect(seen).toEqual([dropped, dropped + 1, dropped + 2]);
  });

  it("caps open event streams: the one over the cap gets 429, and a closed stream frees its slot", async () => {
    const { app } = await service(tmp(), hang, {}, { maxStreamsPerToken: 1, maxStreams: 5 });
    const created = await app.inject({ method: "POST", url: "/v1/tenants", headers: auth, payload: orderInput("sse-cap") });
    const base = await app.listen({ host: "127.0.0.1", port: 0 });
    const url = `${base}/v1/jobs/${created.json().jobId as string}/events`;
    const first = new AbortController();
    const held = await fetch(url, { headers: auth, signal: first.signal });
    expect(held.status).toBe(200);
    const over = await fetch(url, { headers: auth });
    expect(over.status).toBe(429);
    expect(await over.json()).toMatchObject({ error: "too_many_streams" });
    first.abort();
    await held.body?.cancel().catch(() => undefined);
    let again = 0;
    for (let i = 0; i < 50 && again !== 200; i += 1) {
      await new Promise((r) => setTimeout(r, 20));
      const attempt = new AbortController();
      const res = await fetch(url, { headers: auth, signal: attempt.signal });
      again = res.status;
      attempt.abort();
      await res.body?.cancel().catch(() => undefined);
    }
    expect(again).toBe(200);
  });
});
