/**
 * A fleet rollout: one channel's pins moved wave by wave, each tenant by changing its stack's
 * pins and running `up`, with a bake time and a health check between waves. A broken stop
 * rule ends the rollout and every tenant it touched gets that channel's previous pins back.
 * The journal records each finished tenant, so a resumed rollout redoes none of them.
 */
import { UnknownTenantError } from "../orders/errors";
import { Semaphore, Slots } from "../orders/limits";
import { ReleaseOverride } from "../../tenants/release";
import { Clock, realClock } from "./clock";
import { DEFAULT_STOP_RULES, MetricsSource, StopRules, measureHealth, outputsProblem, stopReason } from "./health";
import { Journal, JournalState, StartEntry, TenantStatus, replay } from "./journal";
import { Channel, FleetTenant, PinChange, Wave, applyPinChange, atTarget, moveChange, planWaves, rollbackChange } from "./waves";

export interface UpdateResult {
  readonly ok: boolean;
  readonly reason?: string;
  readonly outputs: Record<string, unknown>;
  /** The tenant no longer exists (destroyed since the rollout was planned): nothing to move or restore. */
  readonly gone?: boolean;
}

/** Applies one channel's pin change to a tenant's stack (an `up`); the order flow in production. */
export interface TenantUpdater {
  /** `change` applies to the tenant's pins as they are when its update runs, so other channels' pins stay. */
  update(slug: string, change: PinChange): Promise<UpdateResult>;
}

export type RolloutProgress =
  | { readonly type: "plan"; readonly waves: readonly Wave[]; readonly metrics: "hub" | "none" }
  | { readonly type: "wave"; readonly wave: Wave; readonly pending: number }
  | { readonly type: "tenant"; readonly slug: string; readonly wave: number; readonly status: TenantStatus; readonly reason?: string; readonly ms: number }
  | { readonly type: "bake"; readonly wave: number; readonly ms: number }
  | { readonly type: "healthy"; readonly wave: number }
  | { readonly type: "stop"; readonly wave: number; readonly reason: string }
  | { readonly type: "rollback"; readonly slug: string; readonly ok: boolean; readonly gone?: boolean; readonly reason?: string };

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
  /** Without one only tenant outputs are judged; the journal records the rollout as run without metrics. */
  readonly metrics?: MetricsSource;
  /** Default - the wall clock. */
  readonly clock?: Clock;
  /** Tenants updated at once: the rollout's own slots, whatever the updater's own limits. Default - 20. */
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
  /** Destroyed during the rollout: reported, neither moved nor restored. */
  readonly gone: readonly string[];
  readonly rolledBack: readonly string[];
  readonly rollbackFailed: readonly string[];
  /** `none`: no metrics source, only tenant outputs were judged. */
  readonly metrics: "hub" | "none";
}

export class RolloutUsageError extends Error {}

export async function runRollout(options: RolloutOptions): Promise<RolloutReport> {
  const clock = options.clock ?? realClock;
  const rules: StopRules = { ...DEFAULT_STOP_RULES, ...(options.rules ?? {}) };
  const journal = options.journal;
  const state = replay(journal.read());
  const notify = options.onProgress ?? (() => undefined);
  const metricsMode = options.metrics ? "hub" : "none";
  // A concurrency of 0 or NaN would move nothing and still report every wave healthy.
  const limits = { concurrency: options.concurrency ?? 20, bakeMs: options.bakeMs ?? 0, maxFailed: rules.maxFailedTenants };
  if (!Number.isInteger(limits.concurrency) || limits.concurrency < 1) throw new RolloutUsageError(`concurrency must be a whole number of at least 1 (got ${limits.concurrency})`);
  if (!Number.isFinite(limits.bakeMs) || limits.bakeMs < 0) throw new RolloutUsageError(`bake time must be 0 or more (got ${limits.bakeMs})`);
  if (!Number.isInteger(limits.maxFailed) || limits.maxFailed < 0) throw new RolloutUsageError(`max failed must be a whole number of at least 0 (got ${limits.maxFailed})`);

  let plan: StartEntry;
  if (options.resume) {
    if (!state.start) throw new RolloutUsageError(`nothing to resume: the journal of rollout ${options.id} has no start`);
    plan = state.start;
    if (state.done) return report(plan.id, state.done, plan.waves, state, metricsMode);
    journal.append({ t: "resume", metrics: metricsMode, at: clock.now() });
  } else {
    if (state.start) throw new RolloutUsageError(`rollout ${state.start.id} already has a journal; pass --resume or use a new id`);
    const waves = planWaves(options.fleet).map((w) => ({ ...w, slugs: [...w.slugs] }));
    const previous = Object.fromEntries(options.fleet.map((t) => [t.slug, t.release ?? null]));
    plan = { t: "start", id: options.id, channel: options.channel, target: options.target, waves, previous, metrics: metricsMode, at: clock.now() };
    journal.append(plan);
  }
  notify({ type: "plan", waves: plan.waves, metrics: metricsMode });
  const finished = new Map(state.finished);
  const previousOf = (slug: string) => plan.previous[slug] ?? undefined;
  let stop = state.stop;
  const rolledBack = new Set(state.rolledBack);
  const gone = new Set(state.gone);
  const rollbackFailed: string[] = [];
  const rollBack = async (slug: string): Promise<void> => {
    let ok = false;
    let reason: string | undefined;
    let vanished = false;
    try {
      // Only this channel's fields go back: pins another rollout or an operator set since stay.
      const result = await options.updater.update(slug, rollbackChange(previousOf(slug), plan.target));
      ok = result.ok;
      reason = result.reason;
      vanished = result.gone === true;
    } catch (error) {
      reason = error instanceof Error ? error.message : String(error);
    }
    if (ok) rolledBack.add(slug);
    else if (vanished) gone.add(slug);
    else rollbackFailed.push(slug);
    journal.append({ t: "rollback", slug, ok, ...(vanished ? { gone: true } : {}), ...(reason ? { reason } : {}), at: clock.now() });
    notify({ type: "rollback", slug, ok, ...(vanished ? { gone: true } : {}), ...(reason ? { reason } : {}) });
  };

  for (const wave of plan.waves) {
    if (stop) break;
    if (state.healthyWaves.has(wave.index)) continue;
    const pending = wave.slugs.filter((slug) => !finished.has(slug));
    notify({ type: "wave", wave, pending: pending.length });
    const waveStart = clock.now();
    // A resumed wave keeps the baseline taken when it first started: some of its tenants have moved since.
    let baseline = state.baselines.get(wave.index);
    let metricsError: string | undefined;
    try {
      if (options.metrics && !baseline) baseline = await options.metrics.heartbeats(wave.slugs);
    } catch (error) {
      metricsError = `metrics source failed: ${error instanceof Error ? error.message : String(error)}`;
    }
    journal.append({ t: "wave", wave: wave.index, ...(baseline ? { baseline: { fresh: baseline.fresh, total: baseline.total } } : {}), at: clock.now() });
    const failedSoFar = () => [...finished.values()].filter((s) => s === "failed").length;

    const order = options.estimateMs ? [...pending].sort((a, b) => (options.estimateMs?.(b) ?? 0) - (options.estimateMs?.(a) ?? 0)) : pending;
    // Without a baseline the wave's health cannot be judged: move nobody.
    await pool(metricsError ? [] : order, limits.concurrency, () => failedSoFar() > rules.maxFailedTenants, async (slug) => {
      // The tenant has its slot: its time counts from here.
      const began = clock.now();
      const previous = previousOf(slug);
      const record = (status: TenantStatus, reason?: string) => {
        finished.set(slug, status);
        if (status === "gone") gone.add(slug);
        const ms = clock.now() - began;
        journal.append({ t: "tenant", slug, wave: wave.index, status, ...(reason ? { reason } : {}), ...(status === "skipped" ? {} : { ms }), at: clock.now() });
        notify({ type: "tenant", slug, wave: wave.index, status, ...(reason ? { reason } : {}), ms });
      };
      if (atTarget(previous, plan.target)) return record("skipped");
      let result: UpdateResult | undefined;
      let reason: string | undefined;
      try {
        result = await options.updater.update(slug, moveChange(plan.target));
        reason = result.ok ? outputsProblem(result.outputs, plan.target) : result.reason ?? "update failed";
      } catch (error) {
        reason = error instanceof Error ? error.message : String(error);
      }
      if (result?.gone) return record("gone", reason ?? "tenant destroyed during the rollout");
      record(reason === undefined ? "moved" : "failed", reason);
      // A failed tenant goes back to its previous pins at once, whether or not the rollout stops.
      if (reason !== undefined) await rollBack(slug);
    });

    let reasonToStop = metricsError ?? stopReason(failedSoFar(), {}, rules) ?? allFailed(wave, finished);
    if (!reasonToStop) {
      const bakeMs = options.bakeMs ?? 600_000;
      notify({ type: "bake", wave: wave.index, ms: bakeMs });
      if (bakeMs > 0) await clock.sleep(bakeMs);
      try {
        const health = await measureHealth(options.metrics, wave.slugs, baseline, waveStart);
        reasonToStop = stopReason(failedSoFar(), health, rules);
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
  // did not succeed (here or before a crash) get another try. A destroyed tenant has nothing to restore.
  rollbackFailed.length = 0;
  const toRollBack = [...finished]
    .filter(([slug, s]) => (stop ? s === "moved" || s === "failed" : s === "failed") && !rolledBack.has(slug) && !gone.has(slug))
    .map(([slug]) => slug);
  await pool(toRollBack, limits.concurrency, () => false, rollBack);
  const status = stop ? "stopped" : "completed";
  if (rollbackFailed.length === 0) journal.append({ t: "done", status, at: clock.now() });
  return report(plan.id, status, plan.waves, { ...replay(journal.read()), stop }, metricsMode, rollbackFailed);
}

/** A wave in which every tenant that was updated failed stops the rollout, whatever --max-failed allows. */
function allFailed(wave: Wave, finished: ReadonlyMap<string, TenantStatus>): string | undefined {
  const tried = wave.slugs.filter((slug) => finished.get(slug) === "moved" || finished.get(slug) === "failed");
  if (tried.length === 0 || tried.some((slug) => finished.get(slug) === "moved")) return undefined;
  return `every tenant updated in wave ${wave.index + 1} (${wave.name}) failed: ${tried.length} of ${tried.length}`;
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

function report(
  id: string, status: "completed" | "stopped", waves: readonly Wave[], state: JournalState, metrics: "hub" | "none", rollbackFailed: readonly string[] = [],
): RolloutReport {
  const by = (wanted: TenantStatus) => [...state.finished].filter(([, s]) => s === wanted).map(([slug]) => slug).sort();
  return {
    id, status, waves, ...(state.stop ? { stop: state.stop } : {}),
    moved: by("moved"), failed: by("failed"), gone: [...state.gone].sort(),
    rolledBack: [...state.rolledBack].sort(), rollbackFailed: [...rollbackFailed].sort(), metrics,
  };
}

/** What a rollout needs of the order flow: a pin change under the tenant's lock, in slots of the caller's. */
export interface RolloutFlow {
  update(
    slug: string, release: (current: ReleaseOverride | undefined) => ReleaseOverride | undefined, operationId: string,
    listener?: undefined, slots?: Slots,
  ): Promise<{ ok: boolean; reason?: string; outputs: Record<string, unknown> }>;
}

/**
 * The order flow as a rollout's updater. It runs in a slot pool of the rollout's own (`concurrency`,
 * the rollout's), not in the flow's K, and applies the change to the pins the tenant has when its
 * update runs. A tenant the flow no longer knows was destroyed: reported as gone, never retried.
 */
export function flowUpdater(flow: RolloutFlow, rolloutId: string, concurrency = 20): TenantUpdater {
  const slots = new Semaphore(concurrency);
  return {
    update: async (slug, change) => {
      try {
        return await flow.update(slug, (current) => applyPinChange(current, change), `${rolloutId}:${slug}`, undefined, slots);
      } catch (error) {
        if (error instanceof UnknownTenantError) return { ok: false, gone: true, reason: `tenant destroyed during the rollout (${error.message})`, outputs: {} };
        throw error;
      }
    },
  };
}
