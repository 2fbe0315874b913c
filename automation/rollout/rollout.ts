/**
 * A fleet rollout: one channel's pins moved wave by wave, each tenant by changing its stack's
 * pins and running `up`, with a bake time and a health check between waves. A broken stop
 * rule ends the rollout and every tenant it touched goes back to its previous pins. The
 * journal records each finished tenant, so a resumed rollout redoes none of them.
 */
import { ReleaseOverride } from "../../tenants/release";
import { Clock, realClock } from "./clock";
import { DEFAULT_STOP_RULES, MetricsSource, StopRules, measureHealth, outputsProblem, stopReason } from "./health";
import { Journal, JournalState, StartEntry, replay } from "./journal";
import { Channel, FleetTenant, Wave, atTarget, planWaves, targetRelease } from "./waves";

/** Applies pins to one tenant's stack (an `up`); the order flow in production. */
export interface TenantUpdater {
  update(slug: string, release: ReleaseOverride | undefined): Promise<{ readonly ok: boolean; readonly reason?: string; readonly outputs: Record<string, unknown> }>;
}

export type RolloutProgress =
  | { readonly type: "plan"; readonly waves: readonly Wave[] }
  | { readonly type: "wave"; readonly wave: Wave; readonly pending: number }
  | { readonly type: "tenant"; readonly slug: string; readonly wave: number; readonly status: "moved" | "failed" | "skipped"; readonly reason?: string; readonly ms: number }
  | { readonly type: "bake"; readonly wave: number; readonly ms: number }
  | { readonly type: "healthy"; readonly wave: number }
  | { readonly type: "stop"; readonly wave: number; readonly reason: string }
  | { readonly type: "rollback"; readonly slug: string; readonly ok: boolean; readonly reason?: string };

export interface RolloutOptions {
  /** Names the rollout in the journal and in operation ids. */
  readonly id: string;
  readonly channel: Channel;
  /** The channel's new pin, e.g. `{ openclaw: {...} }` or `{ policyBundle: "2026.12.1" }`. */
  readonly target: ReleaseOverride;
  /** Active tenants with their current pins (ignored on resume: the journal's plan is used). */
  readonly fleet: readonly FleetTenant[];
  readonly updater: TenantUpdater;
  readonly journal: Journal;
  readonly metrics?: MetricsSource;
  /** Default - the wall clock. */
  readonly clock?: Clock;
  /** Tenants updated at once. Default - 20. */
  readonly concurrency?: number;
  /** Wait after each wave before its health is judged, ms. Default - 600 000 (10 min). */
  readonly bakeMs?: number;
  readonly rules?: Partial<StopRules>;
  /** Continue the rollout the journal describes instead of starting one. */
  readonly resume?: boolean;
  /** Expected update time of a tenant (e.g. its last one), ms: longest first within a wave shortens the wave. */
  readonly estimateMs?: (slug: string) => number | undefined;
  readonly onProgress?: (event: RolloutProgress) => void;
}

export interface RolloutReport {
  readonly id: string;
  readonly status: "completed" | "stopped";
  readonly waves: readonly Wave[];
  readonly stop?: { readonly wave: number; readonly reason: string };
  readonly moved: readonly string[];
  readonly failed: readonly string[];
  readonly rolledBack: readonly string[];
  readonly rollbackFailed: readonly string[];
}

export class RolloutUsageError extends Error {}

export async function runRollout(options: RolloutOptions): Promise<RolloutReport> {
  const clock = options.clock ?? realClock;
  const rules: StopRules = { ...DEFAULT_STOP_RULES, ...(options.rules ?? {}) };
  const journal = options.journal;
  const state = replay(journal.read());
  const notify = options.onProgress ?? (() => undefined);
  // A concurrency of 0 or NaN would move nothing and still report every wave healthy.
  const limits = { concurrency: options.concurrency ?? 20, bakeMs: options.bakeMs ?? 0, maxFailed: rules.maxFailedTenants };
  if (!Number.isInteger(limits.concurrency) || limits.concurrency < 1) throw new RolloutUsageError(`concurrency must be a whole number of at least 1 (got ${limits.concurrency})`);
  if (!Number.isFinite(limits.bakeMs) || limits.bakeMs < 0) throw new RolloutUsageError(`bake time must be 0 or more (got ${limits.bakeMs})`);
  if (!Number.isInteger(limits.maxFailed) || limits.maxFailed < 0) throw new RolloutUsageError(`max failed must be a whole number of at least 0 (got ${limits.maxFailed})`);

  let plan: StartEntry;
  if (options.resume) {
    if (!state.start) throw new RolloutUsageError(`nothing to resume: the journal of rollout ${options.id} has no start`);
    plan = state.start;
    if (state.done) return report(plan.id, state.done, plan.waves, state);
  } else {
    if (state.start) throw new RolloutUsageError(`rollout ${state.start.id} already has a journal; pass --resume or use a new id`);
    const waves = planWaves(options.fleet).map((w) => ({ ...w, slugs: [...w.slugs] }));
    const previous = Object.fromEntries(options.fleet.map((t) => [t.slug, t.release ?? null]));
    plan = { t: "start", id: options.id, channel: options.channel, target: options.target, waves, previous, at: clock.now() };
    journal.append(plan);
  }
  notify({ type: "plan", waves: plan.waves });
  const finished = new Map(state.finished);
  const previousOf = (slug: string) => plan.previous[slug] ?? undefined;
  let stop = state.stop;
  const rolledBack = new Set(state.rolledBack);
  const rollbackFailed: string[] = [];
  const rollBack = async (slug: string): Promise<void> => {
    let ok = false;
    let reason: string | undefined;
    try {
      const result = await options.updater.update(slug, previousOf(slug));
      ok = result.ok;
      reason = result.reason;
    } catch (error) {
      reason = error instanceof Error ? error.message : String(error);
    }
    if (ok) rolledBack.add(slug);
    else rollbackFailed.push(slug);
    journal.append({ t: "rollback", slug, ok, ...(reason ? { reason } : {}), at: clock.now() });
    notify({ type: "rollback", slug, ok, ...(reason ? { reason } : {}) });
  };

  for (const wave of plan.waves) {
    if (stop) break;
    if (state.healthyWaves.has(wave.index)) continue;
    const pending = wave.slugs.filter((slug) => !finished.has(slug));
    notify({ type: "wave", wave, pending: pending.length });
    journal.append({ t: "wave", wave: wave.index, at: clock.now() });
    const waveStart = clock.now();
    let baseline: { fresh: number; total: number } | undefined;
    let metricsError: string | undefined;
    try {
      baseline = options.metrics ? await options.metrics.heartbeats(wave.slugs) : undefined;
    } catch (error) {
      metricsError = `metrics source failed: ${error instanceof Error ? error.message : String(error)}`;
    }
    const failedSoFar = () => [...finished.values()].filter((s) => s === "failed").length;

    const order = options.estimateMs ? [...pending].sort((a, b) => (options.estimateMs?.(b) ?? 0) - (options.estimateMs?.(a) ?? 0)) : pending;
    // Without a baseline the wave's health cannot be judged: move nobody.
    await pool(metricsError ? [] : order, options.concurrency ?? 20, () => failedSoFar() > rules.maxFailedTenants, async (slug) => {
      const began = clock.now();
      const previous = previousOf(slug);
      if (atTarget(previous, plan.target)) {
        finished.set(slug, "skipped");
        journal.append({ t: "tenant", slug, wave: wave.index, status: "skipped", at: clock.now() });
        notify({ type: "tenant", slug, wave: wave.index, status: "skipped", ms: 0 });
        return;
      }
      let status: "moved" | "failed";
      let reason: string | undefined;
      try {
        const result = await options.updater.update(slug, targetRelease(previous, plan.target));
        reason = result.ok ? outputsProblem(result.outputs, plan.target) : result.reason ?? "update failed";
        status = reason === undefined ? "moved" : "failed";
      } catch (error) {
        status = "failed";
        reason = error instanceof Error ? error.message : String(error);
      }
      finished.set(slug, status);
      const ms = clock.now() - began;
      journal.append({ t: "tenant", slug, wave: wave.index, status, ...(reason ? { reason } : {}), ms, at: clock.now() });
      notify({ type: "tenant", slug, wave: wave.index, status, ...(reason ? { reason } : {}), ms });
      // A failed tenant goes back to its previous pins at once, whether or not the rollout stops.
      if (status === "failed") await rollBack(slug);
    });

    let reasonToStop = metricsError ?? stopReason(failedSoFar(), {}, rules);
    if (!reasonToStop) {
      const bakeMs = options.bakeMs ?? 600_000;
      notify({ type: "bake", wave: wave.index, ms: bakeMs });
      if (bakeMs > 0) await clock.sleep(bakeMs);
      const moved = wave.slugs.filter((slug) => finished.get(slug) === "moved");
      const baselineShare = baseline && baseline.total > 0 ? baseline.fresh / baseline.total : undefined;
      try {
        const health = await measureHealth(options.metrics, moved, baselineShare, waveStart);
        reasonToStop = metricsError ?? stopReason(failedSoFar(), health, rules);
      } catch (error) {
        // Health that cannot be measured is not health: stop and roll back.
        reasonToStop = `metrics source failed: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
    if (reasonToStop) {
      stop = { wave: wave.index, reason: reasonToStop };
      journal.append({ t: "stop", wave: wave.index, reason: reasonToStop, at: clock.now() });
      notify({ type: "stop", wave: wave.index, reason: reasonToStop });
    } else {
      journal.append({ t: "healthy", wave: wave.index, at: clock.now() });
      notify({ type: "healthy", wave: wave.index });
    }
  }

  // On a stop everything this rollout touched goes back; otherwise failed tenants whose rollback
  // did not succeed (here or before a crash) get another try.
  rollbackFailed.length = 0;
  const toRollBack = [...finished].filter(([slug, s]) => (stop ? s !== "skipped" : s === "failed") && !rolledBack.has(slug)).map(([slug]) => slug);
  await pool(toRollBack, options.concurrency ?? 20, () => false, rollBack);
  const status = stop ? "stopped" : "completed";
  if (rollbackFailed.length === 0) journal.append({ t: "done", status, at: clock.now() });
  return report(plan.id, status, plan.waves, { ...replay(journal.read()), stop }, rollbackFailed);
}

/** Runs `task` over `items`, `limit` at a time, launching nothing more once `halt()` says so. */
async function pool(items: readonly string[], limit: number, halt: () => boolean, task: (item: string) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !halt()) {
      const item = items[next++];
      await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function report(id: string, status: "completed" | "stopped", waves: readonly Wave[], state: JournalState, rollbackFailed: readonly string[] = []): RolloutReport {
  const by = (wanted: string) => [...state.finished].filter(([, s]) => s === wanted).map(([slug]) => slug).sort();
  return {
    id, status, waves, ...(state.stop ? { stop: state.stop } : {}),
    moved: by("moved"), failed: by("failed"), rolledBack: [...state.rolledBack].sort(), rollbackFailed: [...rollbackFailed].sort(),
  };
}

/** The order flow as a rollout's updater. */
export function flowUpdater(
  flow: { update(slug: string, release: ReleaseOverride | undefined, operationId: string): Promise<{ ok: boolean; reason?: string; outputs: Record<string, unknown> }> },
  rolloutId: string,
): TenantUpdater {
  return { update: (slug, release) => flow.update(slug, release, `${rolloutId}:${slug}`) };
}
