/** The provider-neutral shapes of the snapshot job: a tenant's server, its snapshots, a provider's five calls. */

export type ProviderName = "netcup" | "hetzner";

/** One tenant server to snapshot. `group` is what starts are staggered by (see ./run). */
export interface SnapshotTarget {
  readonly slug: string;
  readonly provider: ProviderName;
  readonly serverId: number;
  /** `netcup:<site>` or `hetzner:<datacenter>`: the finest placement each API reports. */
  readonly group: string;
}

export interface Snapshot {
  /** Netcup: the snapshot's name; Hetzner: the image id. */
  readonly id: string;
  readonly name: string;
  readonly createdAt: string;
}

export interface SnapshotProvider {
  readonly name: ProviderName;
  /** Every tenant server of the account. */
  targets(): Promise<SnapshotTarget[]>;
  /** The daily snapshots this job made of the server (others are never touched), oldest first. */
  list(target: SnapshotTarget): Promise<Snapshot[]>;
  /** Why a snapshot could not be taken now (empty: it can). */
  check(target: SnapshotTarget): Promise<string[]>;
  /** Takes the snapshot and returns it once the provider reports it finished. */
  create(target: SnapshotTarget, name: string): Promise<Snapshot>;
  remove(target: SnapshotTarget, snapshot: Snapshot): Promise<void>;
  /** Puts the server's disk back to the snapshot. */
  revert(target: SnapshotTarget, snapshot: Snapshot): Promise<void>;
}

/** Names of the job's own snapshots: the prefix marks them, the UTC time orders them. */
export const SNAPSHOT_PREFIX = "letsbe-daily-";

export function snapshotName(at: Date): string {
  return `${SNAPSHOT_PREFIX}${at.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z").toLowerCase()}`;
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
