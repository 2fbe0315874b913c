/** Health after a wave: the tenants' own outputs and the Hub's metrics, against the stop rules. */

/** The Hub's view of the fleet (seed 000 §8.1): heartbeat freshness and approval routing. */
export interface MetricsSource {
  /** How many of `slugs` have a fresh heartbeat now. */
  heartbeats(slugs: readonly string[]): Promise<{ readonly fresh: number; readonly total: number }>;
  /** Approval requests routed for `slugs` since `sinceMs` (the rollout clock's time), and how many failed. */
  approvalRouting(slugs: readonly string[], sinceMs: number): Promise<{ readonly routed: number; readonly failed: number }>;
}

export interface StopRules {
  /** Stop once more tenants than this have failed their update or health check. Default - 2. */
  readonly maxFailedTenants: number;
  /** Stop when approval routing fails for more than this share. Default - 0.01 (seed 000 §6.2). */
  readonly maxApprovalFailureRate: number;
  /** Stop when the wave's fresh heartbeats drop by more than this share of their count before it. Default - 0.03. */
  readonly maxHeartbeatDrop: number;
}

export const DEFAULT_STOP_RULES: StopRules = { maxFailedTenants: 2, maxApprovalFailureRate: 0.01, maxHeartbeatDrop: 0.03 };

export interface WaveHealth {
  readonly approvalFailureRate?: number;
  readonly heartbeatDrop?: number;
}

/**
 * What a tenant's outputs say is wrong after an update, if anything: a `health` output other
 * than ok, or a `release` output (the pins its compose stage applied, only once healthy) that
 * does not carry the target pins.
 */
export function outputsProblem(outputs: Readonly<Record<string, unknown>>, target: Readonly<Record<string, unknown>>): string | undefined {
  if ("health" in outputs) {
    const health = outputs.health;
    if (!(health === true || health === "ok" || health === "healthy")) return `stack reports health ${canonical(health)}`;
  }
  const release = outputs.release;
  if (release !== null && typeof release === "object") {
    for (const [key, wanted] of Object.entries(target)) {
      const actual = (release as Record<string, unknown>)[key];
      if (canonical(actual) !== canonical(wanted)) return `stack reports ${key} ${canonical(actual)}, expected ${canonical(wanted)}`;
    }
  }
  return undefined;
}

/** JSON with sorted keys, so equal pins compare equal whatever their key order. */
function canonical(value: unknown): string {
  if (value === undefined) return "none";
  return JSON.stringify(value, (_key, v: unknown) => (v !== null && typeof v === "object" && !Array.isArray(v)
    ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b))) : v));
}

/** The first stop rule a wave breaks, as a reason; undefined when healthy. */
export function stopReason(failedTenants: number, health: WaveHealth, rules: StopRules): string | undefined {
  if (failedTenants > rules.maxFailedTenants) return `${failedTenants} failed tenant(s), more than the ${rules.maxFailedTenants} allowed`;
  if (health.approvalFailureRate !== undefined && health.approvalFailureRate > rules.maxApprovalFailureRate) {
    return `approval routing failed for ${pct(health.approvalFailureRate)}, above ${pct(rules.maxApprovalFailureRate)}`;
  }
  if (health.heartbeatDrop !== undefined && health.heartbeatDrop > rules.maxHeartbeatDrop) {
    return `heartbeats dropped by ${pct(health.heartbeatDrop)}, above ${pct(rules.maxHeartbeatDrop)}`;
  }
  return undefined;
}

/**
 * The wave's health after its bake, over the same tenants and the same denominators as before it:
 * `slugs` is the wave's whole list both times (failed, rolled-back and destroyed tenants included),
 * the drop is counted against the fresh heartbeats of `baseline`, and approval routing is judged
 * over those same tenants.
 */
export async function measureHealth(
  metrics: MetricsSource | undefined, slugs: readonly string[], baseline: { readonly fresh: number; readonly total: number } | undefined, sinceMs: number,
): Promise<WaveHealth> {
  if (!metrics || slugs.length === 0) return {};
  const [beats, approvals] = await Promise.all([metrics.heartbeats(slugs), metrics.approvalRouting(slugs, sinceMs)]);
  return {
    approvalFailureRate: approvals.routed > 0 ? approvals.failed / approvals.routed : 0,
    ...(baseline !== undefined && baseline.fresh > 0 ? { heartbeatDrop: Math.max(0, (baseline.fresh - beats.fresh) / baseline.fresh) } : {}),
  };
}

function pct(share: number): string {
  return `${(share * 100).toFixed(2)} %`;
}
