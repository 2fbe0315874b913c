/**
 * Rollout benchmark: 1000 simulated tenants on a virtual clock, concurrency 20, update times
 * drawn (seeded) between 60 and 180 s. Compares the rollout's virtual time with the lower
 * bound of any schedule that keeps its waves (per wave: the larger of total work / slots and
 * the longest update), with one-at-a-time and all-at-once, and measures the orchestrator's
 * real CPU per tenant. Estimates come from a previous rollout's journal, as in production.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VirtualClock } from "../rollout/clock";
import { FileJournal, durationsFrom } from "../rollout/journal";
import { runRollout } from "../rollout/rollout";
import { FleetTenant, Wave } from "../rollout/waves";
import { seededRandom } from "./generate";

export interface RolloutBench {
  readonly tenants: number;
  readonly virtualMs: number;
  readonly boundMs: number;
  readonly ratio: number;
  readonly sequentialMs: number;
  readonly allAtOnceMs: number;
  readonly cpuMsPerTenant: number;
}

const TENANTS = 1000;
const CONCURRENCY = 20;
const MIN_MS = 60_000;
const MAX_MS = 180_000;

export interface SimulatedFleet {
  readonly fleet: FleetTenant[];
  /** This rollout's update time per tenant, ms. */
  readonly durations: Map<string, number>;
  /** The previous rollout's update time per tenant, ms (what the journal remembers). */
  readonly previous: Map<string, number>;
}

/** A fleet like production's: a few sandbox tenants, a canary group, the rest general. */
export function simulatedFleet(count: number, seed = 7): SimulatedFleet {
  const random = seededRandom(seed);
  const fleet: FleetTenant[] = [];
  const durations = new Map<string, number>();
  const previous = new Map<string, number>();
  const origin = Date.parse("2025-01-01T00:00:00Z");
  for (let i = 0; i < count; i++) {
    const slug = `tenant-${String(i).padStart(4, "0")}`;
    const group = i < 8 ? "sandbox" : i % 25 === 0 ? "canary" : "general";
    const createdAt = new Date(origin + Math.floor(random() * 700) * 86_400_000).toISOString();
    fleet.push({ slug, group, createdAt });
    const last = MIN_MS + random() * (MAX_MS - MIN_MS);
    previous.set(slug, Math.round(last));
    // An update takes about what it took last time (±5 %), always within 60-180 s.
    durations.set(slug, Math.round(Math.min(MAX_MS, Math.max(MIN_MS, last * (0.95 + random() * 0.1)))));
  }
  return { fleet, durations, previous };
}

export function waveBoundMs(waves: readonly Wave[], durations: ReadonlyMap<string, number>, slots: number, bakeMs = 0): number {
  return waves.reduce((sum, wave) => {
    const times = wave.slugs.map((slug) => durations.get(slug) ?? 0);
    const work = times.reduce((a, b) => a + b, 0);
    return sum + Math.max(work / slots, Math.max(0, ...times)) + bakeMs;
  }, 0);
}

export async function benchRollout(): Promise<RolloutBench> {
  const { fleet, durations, previous } = simulatedFleet(TENANTS);
  const dir = mkdtempSync(join(tmpdir(), "letsbe-bench-rollout-"));
  try {
    // The previous rollout's journal is where the estimates come from.
    const lastJournal = new FileJournal(join(dir, "previous.jsonl"));
    for (const [slug, ms] of previous) lastJournal.append({ t: "tenant", slug, wave: 0, status: "moved", ms, at: 0 });
    const estimates = durationsFrom(lastJournal.read());

    const clock = new VirtualClock();
    const started = process.cpuUsage();
    const result = await runRollout({
      id: "bench",
      channel: "wrapper",
      target: { safetyWrapper: { repository: "code.letsbe.solutions/letsbe/safety-wrapper", tag: "1.4.3", digest: `sha256:${"ab".repeat(32)}` } },
      fleet,
      updater: { update: async (slug) => { await clock.sleep(durations.get(slug) ?? MIN_MS); return { ok: true, outputs: {} }; } },
      journal: new FileJournal(join(dir, "rollout.jsonl")),
      clock,
      concurrency: CONCURRENCY,
      bakeMs: 0,
      estimateMs: (slug) => estimates.get(slug),
    });
    const cpu = process.cpuUsage(started);
    if (result.status !== "completed" || result.moved.length !== TENANTS) throw new Error(`bench rollout did not complete: ${result.status}, ${result.moved.length} moved`);
    const all = [...durations.values()];
    const virtualMs = clock.now();
    const boundMs = waveBoundMs(result.waves, durations, CONCURRENCY);
    return {
      tenants: TENANTS,
      virtualMs,
      boundMs: Math.round(boundMs),
      ratio: Number((virtualMs / boundMs).toFixed(4)),
      sequentialMs: all.reduce((a, b) => a + b, 0),
      allAtOnceMs: Math.max(...all),
      cpuMsPerTenant: Number(((cpu.user + cpu.system) / 1000 / TENANTS).toFixed(3)),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
