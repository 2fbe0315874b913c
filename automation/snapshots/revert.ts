/**
 * Restoring one tenant: find its server among the providers' tenant servers, find the named
 * snapshot among the job's own, and revert. The tenant's disk goes back to that day; the stack's
 * resources (server, addresses, DNS) stay as they are, so nothing in Pulumi's state changes.
 */
import type { Snapshot, SnapshotProvider, SnapshotTarget } from "./types";

export class RevertError extends Error {
  constructor(message: string, readonly usage: boolean) {
    super(message);
    this.name = "RevertError";
  }
}

export async function findTarget(providers: readonly SnapshotProvider[], slug: string): Promise<{ provider: SnapshotProvider; target: SnapshotTarget }> {
  for (const provider of providers) {
    const target = (await provider.targets()).find((t) => t.slug === slug);
    if (target) return { provider, target };
  }
  throw new RevertError(`tenant ${slug}: no server of it at ${providers.map((p) => p.name).join(" or ")}`, true);
}

export async function revertTenant(providers: readonly SnapshotProvider[], slug: string, snapshotName: string): Promise<{ target: SnapshotTarget; snapshot: Snapshot }> {
  const { provider, target } = await findTarget(providers, slug);
  const snapshots = await provider.list(target);
  const snapshot = snapshots.find((s) => s.name === snapshotName);
  if (!snapshot) {
    const names = snapshots.map((s) => s.name).join(", ") || "none";
    throw new RevertError(`--snapshot: tenant ${slug} has no snapshot ${snapshotName} (it has: ${names})`, true);
  }
  await provider.revert(target, snapshot);
  return { target, snapshot };
}
