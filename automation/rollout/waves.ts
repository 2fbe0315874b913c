/**
 * The wave plan of a rollout: the sandbox group first, then 5 %, 25 % and 100 % of the rest
 * (cumulative), the canary group leading the rest and newer tenants before older ones.
 */
import { ReleaseOverride } from "../../tenants/release";
import { TenantGroup } from "../../tenants/schema";

export const CHANNELS = ["policy", "wrapper", "openclaw"] as const;
/** `policy`: policy bundle only; `wrapper`: Safety Wrapper image; `openclaw`: OpenClaw image. */
export type Channel = (typeof CHANNELS)[number];

/** The release field each channel moves. */
export const CHANNEL_FIELD: Readonly<Record<Channel, keyof ReleaseOverride>> = {
  policy: "policyBundle",
  wrapper: "safetyWrapper",
  openclaw: "openclaw",
};

export interface FleetTenant {
  readonly slug: string;
  readonly group: TenantGroup;
  /** ISO date or date-time the tenant was created. */
  readonly createdAt: string;
  /** The release pins its stack is configured with now (overrides over the catalog). */
  readonly release?: ReleaseOverride;
}

export interface Wave {
  /** 0-based position in the plan. */
  readonly index: number;
  /** `sandbox`, `5%`, `25%`, `100%`. */
  readonly name: string;
  readonly slugs: readonly string[];
}

/** Cumulative shares of the non-sandbox tenants after each wave. Default - 5 %, 25 %, 100 %. */
export const DEFAULT_SHARES: readonly number[] = [0.05, 0.25, 1];

/** Canary first, then newest first; the slug breaks ties so the plan is deterministic. */
export function rolloutOrder(a: FleetTenant, b: FleetTenant): number {
  const canary = Number(b.group === "canary") - Number(a.group === "canary");
  if (canary !== 0) return canary;
  const age = Date.parse(b.createdAt) - Date.parse(a.createdAt);
  if (age !== 0) return age;
  return a.slug.localeCompare(b.slug);
}

export function planWaves(fleet: readonly FleetTenant[], shares: readonly number[] = DEFAULT_SHARES): Wave[] {
  const waves: Wave[] = [];
  const sandbox = fleet.filter((t) => t.group === "sandbox").map((t) => t.slug).sort();
  if (sandbox.length > 0) waves.push({ index: 0, name: "sandbox", slugs: sandbox });
  const rest = fleet.filter((t) => t.group !== "sandbox").sort(rolloutOrder);
  let taken = 0;
  for (const share of shares) {
    const upTo = Math.min(rest.length, Math.ceil(rest.length * share - 1e-9));
    if (upTo > taken) {
      waves.push({ index: waves.length, name: `${Math.round(share * 100)}%`, slugs: rest.slice(taken, upTo).map((t) => t.slug) });
      taken = upTo;
    }
  }
  return waves;
}

/** Whether a tenant already runs the target (nothing to move). */
export function atTarget(current: ReleaseOverride | undefined, target: ReleaseOverride): boolean {
  return Object.entries(target).every(([key, value]) => JSON.stringify((current ?? {})[key as keyof ReleaseOverride]) === JSON.stringify(value));
}

/**
 * A change of one channel's pins, applied to a tenant's pins as they are when its update runs:
 * `set` replaces those fields, `unset` removes them (back to the catalog's); every other pin stays.
 */
export interface PinChange {
  readonly set: ReleaseOverride;
  readonly unset: readonly (keyof ReleaseOverride)[];
}

export function applyPinChange(current: ReleaseOverride | undefined, change: PinChange): ReleaseOverride | undefined {
  const next: Record<string, unknown> = { ...(current ?? {}), ...change.set };
  for (const key of change.unset) delete next[key];
  return Object.keys(next).length > 0 ? (next as ReleaseOverride) : undefined;
}

/** Forward: the target's fields. */
export function moveChange(target: ReleaseOverride): PinChange {
  return { set: target, unset: [] };
}

/** Back: the target's fields as they were before the rollout (removed where the tenant had none). */
export function rollbackChange(previous: ReleaseOverride | undefined, target: ReleaseOverride): PinChange {
  const set: Record<string, unknown> = {};
  const unset: (keyof ReleaseOverride)[] = [];
  for (const key of Object.keys(target) as (keyof ReleaseOverride)[]) {
    if (previous?.[key] !== undefined) set[key] = previous[key];
    else unset.push(key);
  }
  return { set: set as ReleaseOverride, unset };
}
