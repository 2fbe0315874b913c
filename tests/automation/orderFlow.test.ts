import { describe, expect, it } from "vitest";
import { ConfirmationError, SlugConflictError } from "../../automation/orders/errors";
import { PoolEmptyError, ServerPool, resolveProvider } from "../../automation/orders/provider";
import { parseOrder } from "../../automation/orders/schema";
import { InvalidInputError } from "../../tenants/schema";
import { SECRET_VALUES, collector, orderInput, simulatedFlow } from "./support";

const pool = (free: number): ServerPool & { asked: string[] } => {
  const asked: string[] = [];
  return { asked, freeServers: async (product, site) => { asked.push(`${product}@${site}`); return free; } };
};

describe("order validation", () => {
  it("names the order, the field and the rule", () => {
    try {
      parseOrder(orderInput("bad-one", {}, { tier: "huge", provider: "aws" }));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidInputError);
      const problems = (error as InvalidInputError).problems;
      expect(problems.map((p) => p.path)).toEqual(expect.arrayContaining(["tenant.provider", "tenant.tier"]));
      expect(problems.every((p) => p.source === "order ord-bad-one")).toBe(true);
    }
    expect(() => parseOrder({ orderId: "x y", tenant: {} })).toThrow(/orderId/);
    expect(parseOrder(orderInput("good-one", {}, { provider: undefined })).providerChoice).toBe("auto");
  });
});

describe("provider auto", () => {
  it("takes Netcup while the pool for tier and region has servers, Hetzner when empty, fails without overflow", async () => {
    const spec = parseOrder(orderInput("pool-one")).spec;
    const full = pool(3);
    expect((await resolveProvider(spec, "auto", true, full, "order o")).provider).toBe("netcup");
    expect(full.asked).toEqual(["RS 2000 G12@Nuremberg"]);
    expect((await resolveProvider(spec, "auto", true, pool(0), "order o")).provider).toBe("hetzner");
    await expect(resolveProvider(spec, "auto", false, pool(0), "order o")).rejects.toBeInstanceOf(PoolEmptyError);
    expect((await resolveProvider(spec, "hetzner", false, full, "order o")).provider).toBe("hetzner");
    expect(full.asked).toHaveLength(1);
  });

  it("pins the decision in the record before the first up, and never asks the pool again on a retry", async () => {
    const netcupPool = pool(2);
    const { flow, store } = await simulatedFlow({}, { pool: netcupPool });
    const order = parseOrder(orderInput("pinned-one", {}, { provider: "auto" }));
    await flow.provision(order);
    expect((await store.get("pinned-one"))?.spec.provider).toBe("netcup");
    await flow.provision(order);
    expect(netcupPool.asked).toHaveLength(1);
  });

  it("fails at once, creating nothing, when the pool is empty and overflow is off", async () => {
    const { flow, workspace } = await simulatedFlow({}, { pool: pool(0) });
    const c = collector();
    const outcome = await flow.provision(parseOrder(orderInput("no-room", { allowOverflow: false }, { provider: "auto" })), c.listener);
    expect(outcome).toMatchObject({ ok: false, state: "FAILED", failedStep: "provider", attempts: 0 });
    expect(outcome.reason).toMatch(/no free Netcup RS 2000 G12 in Nuremberg/);
    expect(workspace.runs).toHaveLength(0);
    expect(c.events.at(-1)?.state).toBe("FAILED");
  });

  it("moves to Hetzner when the pool empties between the decision and the claim", async () => {
    const { flow, store } = await simulatedFlow({
      fault: (op, _slug, call) => (op === "up" && call === 1 ? { kind: "error", message: "NETCUP_POOL_EMPTY: no free Netcup server of product \"RS 2000 G12\"" } : undefined),
    }, { pool: pool(1) });
    const c = collector();
    const outcome = await flow.provision(parseOrder(orderInput("raced-one", {}, { provider: "auto" })), c.listener);
    expect(outcome.ok).toBe(true);
    expect((await store.get("raced-one"))?.spec.provider).toBe("hetzner");
    expect(c.events.some((e) => /overflow/.test(e.message))).toBe(true);
    expect(c.states()).toEqual(["AWAITING_SERVER", "SERVER_READY", "DNS_READY", "PROVISIONING", "FULFILLED"]);
  });
});

describe("order flow over the simulated workspace", () => {
  it("walks the order states in order, resources in dependency order, and ends with outputs", async () => {
    const { flow, workspace, store } = await simulatedFlow();
    const c = collector();
    const outcome = await flow.provision(parseOrder(orderInput("bakery-one")), c.listener);
    expect(outcome.ok).toBe(true);
    expect(c.states()).toEqual(["AWAITING_SERVER", "SERVER_READY", "DNS_READY", "PROVISIONING", "FULFILLED"]);
    // A spoke of the committed eu network (the first spoke address): its peer script goes to the hub
    // at once, before the server, and moves no state; SERVER_READY comes with the server itself.
    expect((await store.get("bakery-one"))?.tunnelAddress).toBe("10.200.0.2");
    const peerScript = c.events.find((e) => e.resource?.endsWith("::bakery-one-host-wg-peer-script"));
    expect(peerScript?.state).toBe("AWAITING_SERVER");
    expect(c.events.find((e) => e.state === "SERVER_READY")?.message).toBe("server is up");
    const steps = c.events.filter((e) => e.resource && !/-wg-peer(-script)?$/.test(e.resource)).map((e) => e.step);
    expect(steps.indexOf("dns")).toBeGreaterThan(steps.lastIndexOf("server"));
    expect(steps.lastIndexOf("dns")).toBeLessThan(steps.indexOf("bootstrap"));
    expect(steps).toContain("compose");
    expect(c.events.every((e) => e.orderId === "ord-bakery-one" && e.slug === "bakery-one" && !Number.isNaN(Date.parse(e.at)))).toBe(true);
    expect(outcome.outputs).toMatchObject({ slug: "bakery-one", provider: "hetzner" });
    expect(outcome.changes.create).toBe(workspace.resources("bakery-one").length);
  });

  it("converges on a retry: a second run creates nothing, and a run after a failure finishes the rest", async () => {
    const { flow, workspace } = await simulatedFlow({
      fault: (op, slug, call) => (slug === "half-one" && op === "up" && call === 1 ? { kind: "fail", atType: "command:remote:Command" } : undefined),
    });
    const order = parseOrder(orderInput("idem-one"));
    const first = await flow.provision(order);
    const second = await flow.provision(order);
    expect(first.changes.create).toBeGreaterThan(10);
    expect(second.changes.create ?? 0).toBe(0);
    expect(second.changes.same).toBe(first.changes.create);

    const half = parseOrder(orderInput("half-one"));
    const failed = await flow.provision(half);
    expect(failed).toMatchObject({ ok: false, failedStep: "bootstrap" });
    const partial = workspace.resources("half-one").length;
    const retried = await flow.provision(half);
    expect(retried.ok).toBe(true);
    expect(retried.changes.same).toBe(partial);
    expect(workspace.resources("half-one")).toHaveLength(workspace.resources("idem-one").length);
  });

  it("refuses a second order for a taken slug", async () => {
    const { flow } = await simulatedFlow();
    await flow.provision(parseOrder(orderInput("taken-one")));
    await expect(flow.admit(parseOrder(orderInput("taken-one", { orderId: "another-order" })))).rejects.toBeInstanceOf(SlugConflictError);
  });

  it("reports a failed up with its step and reason, without retrying it", async () => {
    const { flow } = await simulatedFlow({
      fault: (op) => (op === "up" ? { kind: "fail", atType: "cloudflare:index/dnsRecord:DnsRecord", message: "zone not found" } : undefined),
    });
    const c = collector();
    const outcome = await flow.provision(parseOrder(orderInput("dns-fail")), c.listener);
    expect(outcome).toMatchObject({ ok: false, state: "FAILED", failedStep: "dns", attempts: 1 });
    expect(outcome.reason).toMatch(/zone not found/);
    expect(c.events.at(-1)).toMatchObject({ state: "FAILED", step: "dns" });
    expect(c.events.at(-1)?.resource).toMatch(/DnsRecord/);
  });

  it("cancels an up that hangs past its timeout, retries within bounds, then fails", async () => {
    const { flow, workspace } = await simulatedFlow({ fault: (op) => (op === "up" ? { kind: "hang" } : undefined) }, { timeoutMs: 150, attempts: 2 });
    const started = Date.now();
    const outcome = await flow.provision(parseOrder(orderInput("hung-one")));
    expect(outcome).toMatchObject({ ok: false, attempts: 2 });
    expect(outcome.reason).toMatch(/exceeded its 150 ms limit/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(workspace.runs.every((r) => r.endedAt !== undefined)).toBe(true);
  });

  it("retries Pulumi's ConcurrentUpdateError with backoff and succeeds", async () => {
    const { flow } = await simulatedFlow({ fault: (op, _s, call) => (op === "up" && call <= 2 ? { kind: "busy" } : undefined) });
    const c = collector();
    const outcome = await flow.provision(parseOrder(orderInput("busy-one")), c.listener);
    expect(outcome).toMatchObject({ ok: true, attempts: 3 });
    expect(c.events.filter((e) => /retrying: .*Another update is currently in progress/.test(e.message))).toHaveLength(2);
  });

  it("runs one operation per tenant at a time under concurrent calls", async () => {
    const { flow, workspace } = await simulatedFlow({ stepDelayMs: 1 });
    const order = parseOrder(orderInput("serial-one"));
    await flow.provision(order);
    const results = await Promise.all([
      flow.provision(order),
      flow.update("serial-one", { policyBundle: "2026.12.1" }, "op-a"),
      flow.preview("serial-one", "op-b"),
      flow.update("serial-one", { policyBundle: "2026.12.2" }, "op-c"),
    ]);
    expect(results.every((r) => r.ok && r.attempts === 1)).toBe(true);
    const runs = workspace.runs.filter((r) => r.slug === "serial-one");
    for (let i = 1; i < runs.length; i++) expect(runs[i].startedAt).toBeGreaterThanOrEqual(runs[i - 1].endedAt as number);
  });

  it("keeps at most K operations running across tenants", async () => {
    const { flow, workspace } = await simulatedFlow({ stepDelayMs: 1 }, { concurrency: 2 });
    const slugs = ["k-one", "k-two", "k-three", "k-four", "k-five"];
    const outcomes = await Promise.all(slugs.map((slug) => flow.provision(parseOrder(orderInput(slug)))));
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(workspace.maxActive).toBe(2);
  });

  it("never puts a secret into an event or a failure reason", async () => {
    const leaky = `provider said: token ${SECRET_VALUES[2]} rejected`;
    const { flow } = await simulatedFlow({ fault: (op, slug) => (op === "up" && slug === "leak-two" ? { kind: "fail", message: leaky } : undefined) });
    const c = collector();
    await flow.provision(parseOrder(orderInput("leak-one")), c.listener);
    const failed = await flow.provision(parseOrder(orderInput("leak-two")), c.listener);
    const text = JSON.stringify([c.events, failed]);
    expect(failed.reason).toMatch(/token \[secret\] rejected/);
    for (const secret of SECRET_VALUES) expect(text).not.toContain(secret);
    expect(text).not.toContain("S3CR3T");
  });

  it("destroys only with the slug repeated, lifting protection first", async () => {
    const { flow, workspace, store } = await simulatedFlow();
    await flow.provision(parseOrder(orderInput("gone-one")));
    await expect(flow.destroy("gone-one", "gone-on", "d1")).rejects.toBeInstanceOf(ConfirmationError);
    expect(workspace.resources("gone-one").length).toBeGreaterThan(0);
    const c = collector();
    const outcome = await flow.destroy("gone-one", "gone-one", "d2", c.listener);
    expect(outcome).toMatchObject({ ok: true, state: "DESTROYED" });
    expect(workspace.resources("gone-one")).toEqual([]);
    expect(workspace.runs.filter((r) => r.slug === "gone-one").map((r) => r.op)).toEqual(["up", "up", "destroy"]);
    expect((await store.get("gone-one"))?.status).toBe("destroyed");
    expect(c.states()).toEqual(["DESTROYING", "DESTROYED"]);
  });
});
