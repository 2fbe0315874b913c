/**
 * The daily snapshot run. Neither SCP nor Hetzner names the host node a server runs on (the SCP's
 * only hint is a 503 "Node is in maintenance mode"); the finest placement each reports is the
 * Netcup site and the Hetzner datacenter. So starts are staggered by that group: within a group
 * one snapshot at a time, the next starting `gapMs` after the previous one ended, which keeps any
 * two tenants of one node from starting together; groups run side by side, at most `parallel`.
 * Per tenant: skip when today's snapshot exists, check (the SCP dry run), create, then delete
 * the oldest of the job's own snapshots beyond `keep`, and only after the create succeeded.
 */
import { type Snapshot, type SnapshotProvider, type SnapshotTarget, errorText, snapshotName } from "./types";

export interface RunOptions {
  /** Snapshots kept per server. Default - 3. */
  readonly keep?: number;
  /** Groups snapshotted at once. Default - 4. */
  readonly parallel?: number;
  /** Wait between the end of one snapshot and the start of the next in the same group, ms. Default - 60000. */
  readonly gapMs?: number;
  /** A snapshot younger than this counts as today's, and the tenant is skipped. Default - 20 h. */
  readonly freshMs?: number;
  /** Only check and report what would happen: no create, no delete. */
  readonly dryRun?: boolean;
  readonly now?: () => Date;
  /** Each tenant's line as it finishes. */
  readonly onResult?: (result: TenantResult) => void;
}

export interface TenantResult {
  readonly slug: string;
  readonly provider: SnapshotTarget["provider"];
  readonly serverId: number;
  readonly group: string;
  readonly status: "success" | "failed" | "skipped" | "would-take";
  /** The snapshot taken (or the fresh one that made this a skip). */
  readonly snapshot?: string;
  /** Removed by the rotation (with `dryRun`: would be). */
  readonly removed: readonly string[];
  readonly kept: number;
  readonly error?: string;
  readonly startedAt: string;
  readonly finishedAt: string;
}

export interface RunReport {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly results: readonly TenantResult[];
  /** A provider whose fleet could not be listed: its tenants were not snapshotted at all. */
  readonly providerErrors: readonly { provider: string; error: string }[];
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Groups in a stable order, each with its tenants by slug. */
export function staggerPlan(targets: readonly SnapshotTarget[]): Array<{ group: string; targets: SnapshotTarget[] }> {
  const groups = new Map<string, SnapshotTarget[]>();
  for (const t of [...targets].sort((a, b) => a.slug.localeCompare(b.slug))) {
    const list = groups.get(t.group) ?? [];
    list.push(t);
    groups.set(t.group, list);
  }
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([group, list]) => ({ group, targets: list }));
}

/** Which of the job's snapshots go once `fresh` is added: the oldest beyond `keep`. */
export function toRemove(existing: readonly Snapshot[], keep: number): Snapshot[] {
  const sorted = [...existing].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name));
  return sorted.slice(0, Math.max(0, sorted.length - keep));
}

export async function snapshotTenant(provider: SnapshotProvider, target: SnapshotTarget, options: RunOptions = {}): Promise<TenantResult> {
  const keep = options.keep ?? 3;
  const now = options.now ?? (() => new Date());
  const startedAt = now().toISOString();
  const base = { slug: target.slug, provider: target.provider, serverId: target.serverId, group: target.group, startedAt };
  const done = (rest: Omit<TenantResult, keyof typeof base | "finishedAt">): TenantResult => ({ ...base, ...rest, finishedAt: now().toISOString() });
  let existing: Snapshot[];
  try {
    existing = await provider.list(target);
  } catch (error) {
    return done({ status: "failed", removed: [], kept: 0, error: `listing snapshots failed: ${errorText(error)}` });
  }
  const newest = existing[existing.length - 1];
  if (newest && now().getTime() - Date.parse(newest.createdAt) < (options.freshMs ?? 20 * 3600_000)) {
    return done({ status: "skipped", snapshot: newest.name, removed: [], kept: existing.length });
  }
  try {
    const problems = await provider.check(target);
    if (problems.length > 0) return done({ status: "failed", removed: [], kept: existing.length, error: problems.join("; ") });
  } catch (error) {
    return done({ status: "failed", removed: [], kept: existing.length, error: `check failed: ${errorText(error)}` });
  }
  const name = snapshotName(now());
  if (options.dryRun) {
    const fake = { id: name, name, createdAt: now().toISOString() };
    return done({ status: "would-take", snapshot: name, removed: toRemove([...existing, fake], keep).map((s) => s.name), kept: Math.min(keep, existing.length + 1) });
  }
  let made: Snapshot;
  try {
    made = await provider.create(target, name);
  } catch (error) {
    // Nothing is removed after a failed snapshot: the old ones are all there is.
    return done({ status: "failed", removed: [], kept: existing.length, error: `snapshot ${name} failed: ${errorText(error)}` });
  }
  const removed: string[] = [];
  const surplus = toRemove([...existing.filter((s) => s.id !== made.id), made], keep);
  for (const old of surplus) {
    try {
      await provider.remove(target, old);
      removed.push(old.name);
    } catch (error) {
      const kept = existing.length + 1 - removed.length;
      return done({ status: "failed", snapshot: made.name, removed, kept, error: `snapshot ${made.name} taken, but removing ${old.name} failed: ${errorText(error)}` });
    }
  }
  return done({ status: "success", snapshot: made.name, removed, kept: existing.length + 1 - removed.length });
}

/** Lists every provider's tenants and snapshots them, staggered by group. */
export async function runSnapshots(providers: readonly SnapshotProvider[], options: RunOptions = {}): Promise<RunReport> {
  const now = options.now ?? (() => new Date());
  const startedAt = now().toISOString();
  const providerErrors: { provider: string; error: string }[] = [];
  const targets: SnapshotTarget[] = [];
  for (const provider of providers) {
    try {
      targets.push(...await provider.targets());
    } catch (error) {
      providerErrors.push({ provider: provider.name, error: `listing servers failed: ${errorText(error)}` });
    }
  }
  const byName = new Map(providers.map((p) => [p.name, p]));
  const queue = staggerPlan(targets);
  const results: TenantResult[] = [];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      for (const [i, target] of next.targets.entries()) {
        if (i > 0 && !options.dryRun) await sleep(options.gapMs ?? 60_000);
        const provider = byName.get(target.provider);
        if (!provider) continue;
        const result = await snapshotTenant(provider, target, options);
        results.push(result);
        options.onResult?.(result);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.parallel ?? 4) }, worker));
  results.sort((a, b) => a.slug.localeCompare(b.slug));
  return { startedAt, finishedAt: now().toISOString(), results, providerErrors };
}

export function runFailed(report: RunReport): boolean {
  return report.providerErrors.length > 0 || report.results.some((r) => r.status === "failed");
}
