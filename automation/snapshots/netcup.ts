/**
 * Netcup snapshots through the SCP API (components/netcup/client.ts). A UEFI server cannot take an
 * online snapshot (recorded: `server.snapshot.create.error.online.uefi`), so it gets a disk
 * snapshot of its first disk while it runs (crash-consistent, like a power cut; the servers are
 * never stopped for it); others get an online one. Every create is preceded by the `:dryrun`.
 */
import type { ScpClient } from "../../components/netcup/client";
import { type ScpApiError, isNamedError } from "../../components/netcup/errors";
import { CLAIM_PREFIX } from "../../components/netcup/pool";
import { SNAPSHOT_PREFIX, type Snapshot, type SnapshotProvider, type SnapshotTarget } from "./types";

type Mode = { onlineSnapshot: boolean; diskName?: string };

export function netcupSnapshots(client: ScpClient): SnapshotProvider {
  const modeOf = async (target: SnapshotTarget): Promise<Mode | string> => {
    const server = await client.snapshotServer(target.serverId);
    if (server.snapshotAllowed === false) return `server ${target.serverId}: the SCP does not allow snapshots of it (snapshotAllowed false)`;
    if (server.serverLiveInfo?.uefi !== true) return { onlineSnapshot: true };
    const disk = server.serverLiveInfo.disks[0]?.dev;
    return disk ? { onlineSnapshot: false, diskName: disk } : `server ${target.serverId}: UEFI and no disk reported, so neither an online nor a disk snapshot`;
  };
  const ours = (list: Awaited<ReturnType<ScpClient["snapshots"]>>): Snapshot[] => list
    .filter((s) => s.name.startsWith(SNAPSHOT_PREFIX))
    .map((s) => ({ id: s.name, name: s.name, createdAt: s.creationTime }))
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name));
  return {
    name: "netcup",
    async targets() {
      const servers = (await client.listServers({ q: CLAIM_PREFIX })).filter((s) => s.nickname?.startsWith(CLAIM_PREFIX));
      const targets: SnapshotTarget[] = [];
      for (const s of servers) {
        const detail = await client.snapshotServer(s.id);
        targets.push({ slug: (s.nickname ?? "").slice(CLAIM_PREFIX.length), provider: "netcup", serverId: s.id, group: `netcup:${detail.site?.city ?? "unknown-site"}` });
      }
      return targets;
    },
    async list(target) {
      return ours(await client.snapshots(target.serverId));
    },
    async check(target) {
      const mode = await modeOf(target);
      if (typeof mode === "string") return [mode];
      const problems = await client.snapshotDryRun(target.serverId, mode);
      return problems.map((p) => `SCP dry run refused: ${p.code} ${p.message}`.trim());
    },
    async create(target, name) {
      const mode = await modeOf(target);
      if (typeof mode === "string") throw new Error(mode);
      await client.createSnapshot(target.serverId, { name, description: `LetsBe daily snapshot of ${target.slug}`, ...mode });
      const made = ours(await client.snapshots(target.serverId)).find((s) => s.name === name);
      if (!made) throw new Error(`server ${target.serverId}: the snapshot task finished but ${name} is not listed`);
      return made;
    },
    async remove(target, snapshot) {
      try {
        await client.deleteSnapshot(target.serverId, snapshot.name);
      } catch (error) {
        // Gone already (a repeated delete after a lost answer): what the rotation wanted.
        if (!(isNamedError(error, "ScpApiError") && (error as ScpApiError).status === 404)) throw error;
      }
    },
    async revert(target, snapshot) {
      await client.revertSnapshot(target.serverId, snapshot.name);
    },
  };
}
