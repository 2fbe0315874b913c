import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FastifyInstance } from "fastify";
import { OrderFlow } from "../../automation/orders/flow";
import { FileTenantStore } from "./fileTenantStore";
import { JobManager } from "../../automation/service/jobs";
import { buildService } from "../../automation/service/server";
import { SimulatedWorkspace, SimulatedWorkspaceOptions } from "./simulatedWorkspace";
import { ORG, SECRETS, SECRET_VALUES, orderInput, testHubs } from "./support";

const TOKEN = "t0ken-for-the-hub-0123456789abcdef";
const auth = { authorization: `Bearer ${TOKEN}` };
const open: Array<{ app: FastifyInstance; jobs: JobManager }> = [];

async function service(dir: string, ws: Partial<SimulatedWorkspaceOptions> = {}, onRestart: "resume" | "interrupt" = "resume", timeoutMs = 60_000) {
  const workspace = new SimulatedWorkspace({ hubs: await testHubs(), ...ws });
  const store = new FileTenantStore(join(dir, "tenants"));
  const flow = new OrderFlow({ workspace, store, org: ORG, secrets: SECRETS, retryDelayMs: 5, maxRetryDelayMs: 10, timeoutMs, attempts: 1 });
  const jobs = new JobManager({ flow, dir: join(dir, "jobs"), onRestart });
  jobs.recover();
  const app = buildService({ flow, store, jobs, token: TOKEN });
  open.push({ app, jobs });
  return { app, jobs, workspace, store };
}

afterEach(async () => {
  for (const { app, jobs } of open.splice(0)) {
    jobs.close();
    await app.close();
  }
});

const tmp = () => mkdtempSync(join(tmpdir(), "letsbe-service-"));

/** Reads an SSE stream to its end and returns the parsed messages. */
async function readStream(base: string, path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${base}${path}`, { headers: { ...auth, ...headers } });
  expect(response.headers.get("content-type")).toBe("text/event-stream");
  const text = await response.text();
  const messages = text.trim().split("\n\n").map((block) => {
    const fields = Object.fromEntries(block.split("\n").map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 2)]));
    return { id: fields.id, event: fields.event, data: JSON.parse(fields.data) as Record<string, unknown> };
  });
  return { text, messages };
}

describe("service: auth and bad requests", () => {
  it("refuses requests without the right bearer token", async () => {
    const { app } = await service(tmp());
    for (const headers of [{}, { authorization: "Bearer wrong" }, { authorization: `Basic ${TOKEN}` }, { authorization: `Bearer ${TOKEN}x` }]) {
      const res = await app.inject({ method: "POST", url: "/v1/tenants", headers, payload: orderInput("auth-one") });
      expect(res.statusCode).toBe(401);
      expect(res.headers["www-authenticate"]).toMatch(/^Bearer/);
    }
    expect((await app.inject({ method: "GET", url: "/v1/jobs/x" })).statusCode).toBe(401);
    expect(() => buildService({ flow: {} as OrderFlow, store: {} as FileTenantStore, jobs: {} as JobManager, token: "short" })).toThrow(/32 characters/);
  });

  it("answers 4xx with a reason", async () => {
    const { app, jobs } = await service(tmp());
    const invalid = await app.inject({ method: "POST", url: "/v1/tenants", headers: auth, payload: orderInput("bad-one", {}, { tier: "giant" }) });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json()).toMatchObject({ error: "invalid_order", problems: [{ source: "order ord-bad-one", path: "tenant.tier" }] });
    const notJson = await app.inject({ method: "POST", url: "/v1/tenants", headers: { ...auth, "content-type": "application/json" }, payload: "{nope" });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json().reason).toBeTruthy();
    const wrongType = await app.inject({ method: "POST", url: "/v1/tenants", headers: { ...auth, "content-type": "text/plain" }, payload: "hello" });
    expect(wrongType.statusCode).toBe(415);
    expect((await app.inject({ method: "GET", url: "/v1/jobs/nope", headers: auth })).statusCode).toBe(404);
    expect((await app.inject({ method: "GET", url: "/v1/jobs/nope/events", headers: auth })).statusCode).toBe(404);
    expect((await app.inject({ method: "DELETE", url: "/v1/tenants/Bad_Slug", headers: { ...auth, "x-confirm-slug": "Bad_Slug" } })).statusCode).toBe(400);
    const unconfirmed = await app.inject({ method: "DELETE", url: "/v1/tenants/some-one", headers: auth });
    expect(unconfirmed.statusCode).toBe(400);
    expect(unconfirmed.json().reason).toMatch(/X-Confirm-Slug/);
    expect((await app.inject({ method: "DELETE", url: "/v1/tenants/some-one", headers: { ...auth, "x-confirm-slug": "some-one" } })).statusCode).toBe(404);

    const accepted = await app.inject({ method: "POST", url: "/v1/tenants", headers: auth, payload: orderInput("owned-one") });
    await jobs.settled(accepted.json().jobId);
    const conflict = await app.inject({ method: "POST", url: "/v1/tenants", headers: auth, payload: orderInput("owned-one", { orderId: "other-order" }) });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json().reason).toMatch(/already belongs to order ord-owned-one/);
  });
});

describe("service: jobs", () => {
  it("accepts an order with 202, streams its events as SSE and keeps secrets out of records and streams", async () => {
    const dir = tmp();
    const { app, jobs } = await service(dir, { stepDelayMs: 1 });
    const res = await app.inject({ method: "POST", url: "/v1/tenants", headers: auth, payload: orderInput("sse-one") });
    expect(res.statusCode).toBe(202);
    const { jobId } = res.json() as { jobId: string };
    expect(res.headers.location).toBe(`/v1/jobs/${jobId}`);
    const again = await app.inject({ method: "POST", url: "/v1/tenants", headers: auth, payload: orderInput("sse-one") });
    expect(again.json().jobId).toBe(jobId);

    const base = await app.listen({ host: "127.0.0.1", port: 0 });
    const { text, messages } = await readStream(base, `/v1/jobs/${jobId}/events`);
    const progress = messages.filter((m) => m.event === "progress");
    const states = progress.map((m) => m.data.state).filter((s, i, all) => i === 0 || all[i - 1] !== s);
    expect(states).toEqual(["AWAITING_SERVER", "SERVER_READY", "DNS_READY", "PROVISIONING", "FULFILLED"]);
    expect(progress.map((m) => Number(m.id))).toEqual(progress.map((_, i) => i));
    expect(messages.at(-1)).toMatchObject({ event: "end", data: { status: "succeeded", state: "FULFILLED" } });

    const tail = await readStream(base, `/v1/jobs/${jobId}/events`, { "last-event-id": String(progress.length - 3) });
    expect(tail.messages.filter((m) => m.event === "progress").map((m) => Number(m.id))).toEqual([progress.length - 2, progress.length - 1]);

    const job = (await app.inject({ method: "GET", url: `/v1/jobs/${jobId}`, headers: auth })).json();
    expect(job).toMatchObject({ id: jobId, kind: "provision", slug: "sse-one", status: "succeeded", state: "FULFILLED", outputs: { provider: "hetzner" } });
    const journal = readdirSync(join(dir, "jobs")).map((f) => readFileSync(join(dir, "jobs", f), "utf8")).join("\n");
    for (const secret of SECRET_VALUES) {
      expect(text).not.toContain(secret);
      expect(journal).not.toContain(secret);
      expect(JSON.stringify(job)).not.toContain(secret);
    }
    await jobs.settled(jobId);
  });

  it("destroys through DELETE with the slug confirmed", async () => {
    const { app, jobs, workspace } = await service(tmp(), { stepDelayMs: 2 });
    const created = await app.inject({ method: "POST", url: "/v1/tenants", headers: auth, payload: orderInput("del-one") });
    await jobs.settled(created.json().jobId);
    const res = await app.inject({ method: "DELETE", url: "/v1/tenants/del-one", headers: { ...auth, "x-confirm-slug": "del-one" } });
    expect(res.statusCode).toBe(202);
    const repeated = await app.inject({ method: "DELETE", url: "/v1/tenants/del-one", headers: { ...auth, "x-confirm-slug": "del-one" } });
    expect(repeated.json().jobId).toBe(res.json().jobId);
    const job = await jobs.settled(res.json().jobId);
    expect(job).toMatchObject({ kind: "destroy", status: "succeeded", state: "DESTROYED" });
    expect(workspace.resources("del-one")).toEqual([]);
  });

  it("resumes a job that was in flight when the service went down", async () => {
    const dir = tmp();
    const first = await service(dir, { fault: (op) => (op === "up" ? { kind: "hang" } : undefined) }, "resume", 2000);
    const res = await first.app.inject({ method: "POST", url: "/v1/tenants", headers: auth, payload: orderInput("crash-one") });
    const { jobId } = res.json() as { jobId: string };
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(first.jobs.get(jobId)?.status).toBe("running");
    // The process dies: nothing more reaches the journal.
    first.jobs.close();
    await first.app.close();

    const second = await service(dir);
    const resumed = second.jobs.get(jobId);
    expect(resumed?.resumed).toBe(1);
    const done = await second.jobs.settled(jobId);
    expect(done).toMatchObject({ status: "succeeded", state: "FULFILLED" });
    expect(done.events.some((e) => e.message === "service restarted: job resumed")).toBe(true);
    const fetched = (await second.app.inject({ method: "GET", url: `/v1/jobs/${jobId}`, headers: auth })).json();
    expect(fetched.status).toBe("succeeded");
  });

  it("marks an in-flight job interrupted when configured so, and never forgets it", async () => {
    const dir = tmp();
    const first = await service(dir, { fault: (op) => (op === "up" ? { kind: "hang" } : undefined) }, "resume", 2000);
    const { jobId } = (await first.app.inject({ method: "POST", url: "/v1/tenants", headers: auth, payload: orderInput("stop-one") })).json() as { jobId: string };
    await new Promise((resolve) => setTimeout(resolve, 50));
    first.jobs.close();
    await first.app.close();

    const second = await service(dir, {}, "interrupt");
    const job = (await second.app.inject({ method: "GET", url: `/v1/jobs/${jobId}`, headers: auth })).json();
    expect(job).toMatchObject({ status: "interrupted" });
    expect(job.reason).toMatch(/restarted/);
    expect(second.workspace.runs).toHaveLength(0);
  });
});
