import { appendFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { simulatedFleet } from "../../automation/bench/rollout";
import { VirtualClock } from "../../automation/rollout/clock";
import { DEFAULT_STOP_RULES, MetricsSource, outputsProblem, stopReason } from "../../automation/rollout/health";
import { FileJournal, MemoryJournal, replay } from "../../automation/rollout/journal";
import { RolloutOptions, TenantUpdater, runRollout } from "../../automation/rollout/rollout";
import { FleetTenant, PinChange, applyPinChange, planWaves, rolloutOrder } from "../../automation/rollout/waves";
import { ReleaseOverride } from "../../tenants/release";

const TARGET: ReleaseOverride = { safetyWrapper: { repository: "code.letsbe.solutions/letsbe/safety-wrapper", tag: "1.5.0", digest: `sha256:${"cd".repeat(32)}` } };
const OLD_BUNDLE = "2026.10.1";
const BAKE_MS = 10 * 60_000;

/** A fleet whose stacks are pins in a map; updates take their drawn time on the virtual clock. */
class FakeFleet implements TenantUpdater {
  readonly pins = new Map<string, ReleaseOverride | undefined>();
  readonly calls: Array<{ slug: string; release: ReleaseOverride | undefined; at: number }> = [];
  failing = new Set<string>();
  crashAfter = Infinity;
  onCrash: () => void = () => undefined;

  constructor(readonly fleet: FleetTenant[], readonly durations: Map<string, number>, readonly clock: VirtualClock) {
    for (const t of fleet) this.pins.set(t.slug, t.release);
  }

  async update(slug: string, change: PinChange): Promise<{ ok: boolean; reason?: string; outputs: Record<string, unknown> }> {
    if (this.calls.length >= this.crashAfter) {
      this.onCrash();
      return new Promise<never>(() => undefined);
    }
    const release = applyPinChange(this.pins.get(slug), change);
    this.calls.push({ slug, release, at: this.clock.now() });
    await this.clock.sleep(this.durations.get(slug) ?? 60_000);
    if (this.failing.has(slug) && release?.safetyWrapper) return { ok: false, reason: "compose health gate failed", outputs: {} };
    this.pins.set(slug, release);
    return { ok: true, outputs: { slug } };
  }

  atTarget(slug: string): boolean {
    return this.pins.get(slug)?.safetyWrapper?.tag === "1.5.0";
  }
}

function setup(count = 1000) {
  const { fleet, durations } = simulatedFleet(count, 11);
  // Some tenants carry pins of their own; rollback must restore exactly those.
  const withPins = fleet.map((t, i) => (i % 3 === 0 ? { ...t, release: { policyBundle: OLD_BUNDLE } } : t));
  const clock = new VirtualClock();
  const fake = new FakeFleet(withPins, durations, clock);
  const options = (extra: Partial<RolloutOptions> = {}): RolloutOptions => ({
    id: "wrapper-1.5.0", channel: "wrapper", target: TARGET, fleet: withPins, updater: fake, journal: new MemoryJournal(),
    clock, concurrency: 20, bakeMs: BAKE_MS, ...extra,
  });
  return { fleet: withPins, fake, clock, options, waves: planWaves(withPins) };
}

describe("wave plan", () => {
  it("is the sandbox, then 5 %, 25 % and 100 % of the rest, canary first then newest", () => {
    const { fleet, waves } = setup();
    expect(waves.map((w) => [w.name, w.slugs.length])).toEqual([["sandbox", 8], ["5%", 50], ["25%", 198], ["100%", 744]]);
    const rest = fleet.filter((t) => t.group !== "sandbox");
    const canaries = rest.filter((t) => t.group === "canary");
    expect(canaries.length).toBe(39);
    expect(waves[1].slugs.slice(0, 39)).toEqual([...canaries].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || a.slug.localeCompare(b.slug)).map((t) => t.slug));
    expect(waves.slice(1).flatMap((w) => w.slugs)).toEqual([...rest].sort(rolloutOrder).map((t) => t.slug));
    const general = waves[3].slugs.map((s) => Date.parse(fleet.find((t) => t.slug === s)?.createdAt ?? ""));
    expect(general).toEqual([...general].sort((a, b) => b - a));
    expect(new Set(waves.flatMap((w) => w.slugs)).size).toBe(1000);
  });

  it("drops waves a small fleet leaves empty", () => {
    const small: FleetTenant[] = ["a-one", "b-two", "c-three"].map((slug, i) => ({ slug, group: "general", createdAt: `2026-0${i + 1}-01` }));
    expect(planWaves(small).map((w) => [w.name, w.slugs])).toEqual([["5%", ["c-three"]], ["100%", ["b-two", "a-one"]]]);
  });
});

describe("rollout on a virtual clock", () => {
  it("moves all 1000 tenants wave after wave, baking between waves", async () => {
    const { fake, clock, options, waves } = setup();
    const report = await runRollout(options());
    expect(report.status).toBe("completed");
    expect(report.moved).toHaveLength(1000);
    expect([...fake.pins.keys()].every((slug) => fake.atTarget(slug))).toBe(true);
    // Pins other than the channel's are kept.
    expect(fake.pins.get("tenant-0000")?.policyBundle).toBe(OLD_BUNDLE);
    const waveOf = new Map(waves.flatMap((w) => w.slugs.map((s) => [s, w.index] as const)));
    let lastEnd = 0;
    for (const wave of waves) {
      const calls = fake.calls.filter((c) => waveOf.get(c.slug) === wave.index);
      expect(Math.min(...calls.map((c) => c.at))).toBeGreaterThanOrEqual(lastEnd);
      lastEnd = Math.max(...calls.map((c) => c.at + (fake.durations.get(c.slug) ?? 0))) + BAKE_MS;
    }
    expect(clock.now()).toBe(lastEnd);
  });

  it("stops at the wave where failed tenants exceed the threshold and rolls every touched tenant back", async () => {
    const { fake, options, waves, fleet } = setup();
    fake.failing = new Set(waves[2].slugs.slice(10, 13));
    const report = await runRollout(options({ rules: { maxFailedTenants: 2 } }));
    expect(report.status).toBe("stopped");
    expect(report.stop?.wave).toBe(2);
    expect(report.stop?.reason).toMatch(/3 failed tenant\(s\), more than the 2 allowed/);
    const touched = new Set(fake.calls.filter((c) => c.release?.safetyWrapper).map((c) => c.slug));
    expect([...touched].some((s) => waves[3].slugs.includes(s))).toBe(false);
    expect(report.rolledBack).toEqual([...touched].sort());
    for (const tenant of fleet) expect(fake.pins.get(tenant.slug)).toEqual(tenant.release);
  });

  it("does not stop while failures stay within the threshold", async () => {
    const { fake, options, waves, fleet } = setup();
    fake.failing = new Set([waves[2].slugs[0], waves[3].slugs[5]]);
    const report = await runRollout(options({ rules: { maxFailedTenants: 2 } }));
    expect(report.status).toBe("completed");
    expect(report.failed).toEqual([waves[2].slugs[0], waves[3].slugs[5]].sort());
    // Each failed tenant went straight back to its previous pins; the rest moved on.
    expect(report.rolledBack).toEqual(report.failed);
    for (const slug of report.failed) expect(fake.pins.get(slug)).toEqual(fleet.find((t) => t.slug === slug)?.release);
    expect(report.moved).toHaveLength(998);
  });

  it("stops when approval routing fails for more than 1 % of a wave", async () => {
    const { fake, options, waves, fleet } = setup();
    const broken = new Set(waves[1].slugs.slice(0, 2));
    const metrics: MetricsSource = {
      heartbeats: async (slugs) => ({ fresh: slugs.length, total: slugs.length }),
      approvalRouting: async (slugs) => ({ routed: slugs.length * 100, failed: slugs.filter((s) => broken.has(s) && fake.atTarget(s)).length * 100 }),
    };
    const report = await runRollout(options({ metrics }));
    expect(report.stop).toEqual({ wave: 1, reason: "approval routing failed for 4.00 %, above 1.00 %" });
    for (const tenant of fleet) expect(fake.pins.get(tenant.slug)).toEqual(tenant.release);
  });

  it("stops when heartbeats drop by more than 3 % after a wave", async () => {
    const { fake, options, waves } = setup();
    const silent = new Set([waves[1].slugs[3], ...waves[2].slugs.slice(0, 7)]);
    const metrics: MetricsSource = {
      heartbeats: async (slugs) => ({ fresh: slugs.filter((s) => !(silent.has(s) && fake.atTarget(s))).length, total: slugs.length }),
      approvalRouting: async (slugs) => ({ routed: slugs.length, failed: 0 }),
    };
    const report = await runRollout(options({ metrics }));
    // Wave 1 loses 1 of 50 (2 %): on; wave 2 loses 7 of 198 (3.5 %): stop.
    expect(report.stop?.wave).toBe(2);
    expect(report.stop?.reason).toMatch(/heartbeats dropped by 3\.54 %/);
    expect(report.rolledBack).toHaveLength(8 + 50 + 198);
  });

  it("counts a tenant whose outputs do not show the target pins as failed", async () => {
    const { fake, options, waves } = setup(100);
    const stale = waves[1].slugs[0];
    const realUpdate = fake.update.bind(fake);
    fake.update = async (slug, change) => {
      const result = await realUpdate(slug, change);
      const reported = slug === stale ? { safetyWrapper: { digest: `sha256:${"00".repeat(32)}`, tag: "1.4.2", repository: "code.letsbe.solutions/letsbe/safety-wrapper" } } : change.set;
      return { ...result, outputs: { ...result.outputs, release: reported } };
    };
    const report = await runRollout(options());
    expect(report.failed).toEqual([stale]);
    expect(report.moved).toHaveLength(99);
    expect(outputsProblem({ release: { safetyWrapper: { tag: "1.5.0", digest: TARGET.safetyWrapper?.digest, repository: TARGET.safetyWrapper?.repository } } }, TARGET)).toBeUndefined();
    expect(outputsProblem({ health: "degraded" }, TARGET)).toBe('stack reports health "degraded"');
  });

  it("judges the 1 % and 3 % limits as strict", () => {
    expect(stopReason(0, { approvalFailureRate: 0.01, heartbeatDrop: 0.03 }, DEFAULT_STOP_RULES)).toBeUndefined();
    expect(stopReason(0, { approvalFailureRate: 0.0101 }, DEFAULT_STOP_RULES)).toMatch(/approval/);
    expect(stopReason(0, { heartbeatDrop: 0.0301 }, DEFAULT_STOP_RULES)).toMatch(/heartbeats/);
  });

  it("stops and moves nobody more when the metrics source fails", async () => {
    const { fake, options } = setup(100);
    const metrics: MetricsSource = {
      heartbeats: async () => { throw new Error("hub unreachable"); },
      approvalRouting: async () => ({ routed: 0, failed: 0 }),
    };
    const report = await runRollout(options({ metrics }));
    expect(report.stop).toEqual({ wave: 0, reason: "metrics source failed: hub unreachable" });
    expect(fake.calls).toHaveLength(0);
  });

  it("resumes after a crash mid-wave without redoing finished tenants", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "letsbe-rollout-")), "journal.jsonl");
    const first = setup();
    first.fake.crashAfter = 600;
    const crashed = new Promise<void>((resolve) => { first.fake.onCrash = resolve; });
    void runRollout(first.options({ journal: new FileJournal(file) }));
    await crashed;
    await new Promise((resolve) => setImmediate(resolve));
    // The process died while writing a line.
    appendFileSync(file, '{"t":"tenant","slug":"tenant-09');
    const before = replay(new FileJournal(file).read());
    expect(before.finished.size).toBeGreaterThan(500);
    expect(before.finished.size).toBeLessThan(600);
    expect(before.healthyWaves).toEqual(new Set([0, 1, 2]));

    const second = setup();
    for (const [slug, status] of before.finished) if (status === "moved") second.fake.pins.set(slug, { ...(second.fake.pins.get(slug) ?? {}), ...TARGET });
    const report = await runRollout(second.options({ journal: new FileJournal(file), resume: true, fleet: [] }));
    expect(report.status).toBe("completed");
    const redone = second.fake.calls.filter((c) => before.finished.has(c.slug));
    expect(redone).toEqual([]);
    expect(second.fake.calls).toHaveLength(1000 - before.finished.size);
    expect([...second.fake.pins.keys()].every((slug) => second.fake.atTarget(slug))).toBe(true);
    await expect(runRollout(second.options({ journal: new FileJournal(file) }))).rejects.toThrow(/already has a journal/);
  });

  it("finishes an interrupted rollback on resume", async () => {
    const { fake, options, waves, fleet } = setup(200);
    fake.failing = new Set(waves[1].slugs.slice(0, 3));
    const journal = new MemoryJournal();
    const stubborn = waves[0].slugs[0];
    const realUpdate = fake.update.bind(fake);
    let refusals = 1;
    fake.update = async (slug, change) => {
      if (slug === stubborn && !change.set.safetyWrapper && refusals-- > 0) return { ok: false, reason: "ssh timeout", outputs: {} };
      return realUpdate(slug, change);
    };
    const report = await runRollout(options({ journal, rules: { maxFailedTenants: 2 } }));
    expect(report.rollbackFailed).toEqual([stubborn]);
    expect(replay(journal.read()).done).toBeUndefined();
    const resumed = await runRollout(options({ journal, resume: true }));
    expect(resumed.rolledBack).toContain(stubborn);
    expect(resumed.rollbackFailed).toEqual([]);
    for (const tenant of fleet) expect(fake.pins.get(tenant.slug)).toEqual(tenant.release);
  });
});
