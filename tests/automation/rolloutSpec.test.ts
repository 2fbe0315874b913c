/**
 * Issue 12 part 5, rollouts as specified: each defect driven through the real order flow (its own
 * K of 4, its per-tenant lock, its tenant records) over a workspace whose `up` takes virtual time.
 */
import { describe, expect, it } from "vitest";
import { OrderFlow } from "../../automation/orders/flow";
import { MemoryTenantStore } from "../../automation/orders/store";
import { VirtualClock } from "../../automation/rollout/clock";
import { MetricsSource } from "../../automation/rollout/health";
import { MemoryJournal, replay } from "../../automation/rollout/journal";
import { RolloutOptions, flowUpdater, runRollout } from "../../automation/rollout/rollout";
import { FleetTenant, planWaves } from "../../automation/rollout/waves";
import { OperationResult, StackOperation, TenantWorkspace } from "../../automation/workspace/types";
import { ReleaseOverride } from "../../tenants/release";
import { TenantGroup, parseTenantSpec } from "../../tenants/schema";
import { ORG, SECRETS, orderInput } from "./support";

const TARGET: ReleaseOverride = { safetyWrapper: { repository: "code.letsbe.solutions/letsbe/safety-wrapper", tag: "1.5.0", digest: `sha256:${"cd".repeat(32)}` } };
const OLD_BUNDLE = "2026.10.1";
const UP_MS = 60_000;

/** Stacks as a map: an `up` takes UP_MS of virtual time and applies the release its config carries. */
class ClockedWorkspace implements TenantWorkspace {
  readonly kind = "clocked";
  inFlight = 0;
  maxInFlight = 0;
  /** Tenants whose `up` to the target fails (a broken health gate). */
  failing = new Set<string>();
  readonly ups: Array<{ slug: string; release: ReleaseOverride | undefined }> = [];

  constructor(readonly clock: VirtualClock) {}

  async up(op: StackOperation): Promise<OperationResult> {
    const raw = op.config["letsbe-tenant:release"]?.value;
    const release = raw === undefined ? undefined : JSON.parse(raw) as ReleaseOverride;
    this.ups.push({ slug: op.slug, release });
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await this.clock.sleep(UP_MS);
    } finally {
      this.inFlight -= 1;
    }
    if (this.failing.has(op.slug) && release?.safetyWrapper?.tag === "1.5.0") throw new Error("compose health gate failed");
    return { outputs: {}, changes: { update: 1 } };
  }

  touched(slug: string): boolean {
    return this.ups.some((u) => u.slug === slug && u.release?.safetyWrapper?.tag === "1.5.0");
  }

  preview(): Promise<OperationResult> { throw new Error("not used by rollouts"); }
  destroy(): Promise<OperationResult> { throw new Error("not used by rollouts"); }
  refresh(): Promise<OperationResult> { throw new Error("not used by rollouts"); }
}

/** `count` provisioned tenants (newest first: tenant-000 is the newest), each pinned to the old policy bundle. */
async function estate(count: number, groupOf: (i: number) => TenantGroup = () => "general") {
  const clock = new VirtualClock();
  const workspace = new ClockedWorkspace(clock);
  const store = new MemoryTenantStore();
  // The flow's own K stays at its default of 4: a rollout must not be bound by it.
  const flow = new OrderFlow({ workspace, store, org: ORG, secrets: SECRETS, attempts: 1 });
  const fleet: FleetTenant[] = [];
  for (let i = 0; i < count; i++) {
    const slug = `tenant-${String(i).padStart(3, "0")}`;
    const createdAt = new Date(Date.UTC(2026, 10, 1) - i * 3_600_000).toISOString();
    const spec = parseTenantSpec({ ...(orderInput(slug).tenant as Record<string, unknown>), group: groupOf(i), createdAt }, `test ${slug}`);
    const release: ReleaseOverride = { policyBundle: OLD_BUNDLE };
    await store.put({ slug, orderId: `ord-${slug}`, spec, release, status: "active", updatedAt: createdAt, provisionedAt: createdAt });
    fleet.push({ slug, group: spec.group, createdAt, release });
  }
  const journal = new MemoryJournal();
  const options = (extra: Partial<RolloutOptions> = {}): RolloutOptions => ({
    id: "wrapper-1.5.0", channel: "wrapper", target: TARGET, fleet, journal, clock, bakeMs: 0,
    updater: flowUpdater(flow, "wrapper-1.5.0", extra.concurrency ?? 20), concurrency: 20, ...extra,
  });
  return { clock, workspace, store, flow, fleet, journal, options, waves: planWaves(fleet) };
}

describe("rollout concurrency is the rollout's own", () => {
  it("--concurrency 20 runs 20 ups at once through an order flow whose own K is 4", async () => {
    const e = await estate(100);
    expect(e.flow.concurrency).toBe(4);
    const report = await runRollout(e.options({ concurrency: 20 }));
    expect(report.moved).toHaveLength(100);
    // The last wave holds 75 tenants: the rollout's 20 slots fill.
    expect(e.workspace.maxInFlight).toBe(20);
  });

  it("a concurrency below the flow's K is kept too", async () => {
    const e = await estate(30);
    await runRollout(e.options({ concurrency: 2 }));
    expect(e.workspace.maxInFlight).toBe(2);
  });

  it("each tenant's time counts from its slot: every journaled time is its own up's 60 s", async () => {
    const e = await estate(100);
    await runRollout(e.options({ concurrency: 20 }));
    const times = e.journal.read().flatMap((entry) => (entry.t === "tenant" ? [entry.ms] : []));
    expect(times).toHaveLength(100);
    expect(new Set(times)).toEqual(new Set([UP_MS]));
  });
});

describe("health is judged over the same tenants before and after the bake", () => {
  /** Two tenants of the 25 % wave fail their update (within --max-failed 2) and break what the metrics see. */
  async function brokenWave(metrics: (e: Awaited<ReturnType<typeof estate>>, broken: ReadonlySet<string>) => MetricsSource) {
    const e = await estate(100);
    const wave = e.waves[1];
    const broken = new Set(wave.slugs.slice(3, 5));
    e.workspace.failing = broken;
    const asked: Array<{ what: string; slugs: readonly string[] }> = [];
    const source = metrics(e, broken);
    const report = await runRollout(e.options({
      rules: { maxFailedTenants: 2 },
      metrics: {
        heartbeats: (slugs) => { asked.push({ what: "heartbeats", slugs: [...slugs] }); return source.heartbeats(slugs); },
        approvalRouting: (slugs, since) => { asked.push({ what: "approvals", slugs: [...slugs] }); return source.approvalRouting(slugs, since); },
      },
    }));
    return { e, wave, report, asked };
  }

  it("heartbeats lost by the wave's failed tenants count: 18 of 20 fresh is a 10 % drop", async () => {
    const { wave, report, asked } = await brokenWave((e, broken) => ({
      heartbeats: async (slugs) => ({ fresh: slugs.filter((s) => !(broken.has(s) && e.workspace.touched(s))).length, total: slugs.length }),
      approvalRouting: async (slugs) => ({ routed: slugs.length, failed: 0 }),
    }));
    expect(report.stop).toEqual({ wave: 1, reason: "heartbeats dropped by 10.00 %, above 3.00 %" });
    const beats = asked.filter((a) => a.what === "heartbeats" && a.slugs.includes(wave.slugs[0]));
    expect(beats.map((a) => a.slugs)).toEqual([wave.slugs, wave.slugs]);
  });

  it("approval routing is judged over the whole wave, the failed tenants included", async () => {
    const { e, wave, report, asked } = await brokenWave((e, broken) => ({
      heartbeats: async (slugs) => ({ fresh: slugs.length, total: slugs.length }),
      approvalRouting: async (slugs) => ({ routed: slugs.length * 10, failed: slugs.filter((s) => broken.has(s) && e.workspace.touched(s)).length * 10 }),
    }));
    expect(report.stop).toEqual({ wave: 1, reason: "approval routing failed for 10.00 %, above 1.00 %" });
    expect(asked.filter((a) => a.what === "approvals").map((a) => a.slugs)).toEqual([e.waves[0].slugs, wave.slugs]);
  });
});

describe("stop rules", () => {
  it("a wave whose tenants all failed stops the rollout, though --max-failed 2 allows two", async () => {
    const e = await estate(22, (i) => (i < 2 ? "sandbox" : "general"));
    expect(e.waves[0]).toMatchObject({ name: "sandbox", slugs: ["tenant-000", "tenant-001"] });
    e.workspace.failing = new Set(["tenant-000", "tenant-001"]);
    const report = await runRollout(e.options({ rules: { maxFailedTenants: 2 } }));
    expect(report.status).toBe("stopped");
    expect(report.stop).toEqual({ wave: 0, reason: "every tenant updated in wave 1 (sandbox) failed: 2 of 2" });
    expect(e.workspace.ups.filter((u) => !e.waves[0].slugs.includes(u.slug))).toEqual([]);
  });
});

describe("a tenant destroyed mid-rollout", () => {
  /** Destroys `slug` the way the order flow records it. */
  function destroyOn(e: Awaited<ReturnType<typeof estate>>, slug: string) {
    return async () => {
      const record = await e.store.get(slug);
      if (record) await e.store.put({ ...record, status: "destroyed", updatedAt: "2026-12-01T00:00:00Z" });
    };
  }

  it("is reported as gone, not failed, and the rollout goes on", async () => {
    const e = await estate(100);
    const victim = e.waves[2].slugs[10];
    const destroy = destroyOn(e, victim);
    const report = await runRollout(e.options({ onProgress: (ev) => { if (ev.type === "healthy" && ev.wave === 0) void destroy(); } }));
    expect(report.failed).toEqual([]);
    expect(report.rollbackFailed).toEqual([]);
    expect(report).toMatchObject({ status: "completed", gone: [victim] });
    expect(report.moved).toHaveLength(99);
    const entry = e.journal.read().find((x) => x.t === "tenant" && x.slug === victim);
    expect(entry).toMatchObject({ status: "gone", reason: expect.stringContaining("destroyed") as unknown });
  });

  it("destroyed after it moved, it is reported on the stop's rollback instead of failing it for ever", async () => {
    const e = await estate(100);
    const victim = e.waves[0].slugs[0];
    e.workspace.failing = new Set(e.waves[1].slugs.slice(0, 3));
    const destroy = destroyOn(e, victim);
    const options = e.options({ rules: { maxFailedTenants: 2 }, onProgress: (ev) => { if (ev.type === "healthy" && ev.wave === 0) void destroy(); } });
    const report = await runRollout(options);
    expect(report.status).toBe("stopped");
    expect(report.rollbackFailed).toEqual([]);
    expect(replay(e.journal.read()).done).toBe("stopped");
    expect(report.gone).toEqual([victim]);
    // A resume finds nothing left to do for it.
    const ups = e.workspace.ups.length;
    const resumed = await runRollout({ ...options, resume: true });
    expect(resumed.rollbackFailed).toEqual([]);
    expect(e.workspace.ups.length).toBe(ups);
  });
});

describe("rollback restores the channel's pins only", () => {
  it("a policy bundle moved by someone else during the rollout stays when the wrapper rolls back", async () => {
    const e = await estate(100);
    const early = e.waves[0].slugs[0];
    e.workspace.failing = new Set(e.waves[1].slugs.slice(0, 3));
    const movePolicy = async () => {
      const record = await e.store.get(early);
      if (record) await e.store.put({ ...record, release: { ...record.release, policyBundle: "2026.12.1" } });
    };
    const report = await runRollout(e.options({ rules: { maxFailedTenants: 2 }, onProgress: (ev) => { if (ev.type === "healthy" && ev.wave === 0) void movePolicy(); } }));
    expect(report.status).toBe("stopped");
    expect(report.rolledBack).toContain(early);
    expect((await e.store.get(early))?.release).toEqual({ policyBundle: "2026.12.1" });
    // Every other tenant is back exactly where it was.
    for (const tenant of e.fleet.filter((t) => t.slug !== early)) expect((await e.store.get(tenant.slug))?.release).toEqual(tenant.release);
  });
});
