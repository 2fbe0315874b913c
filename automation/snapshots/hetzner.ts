/**
 * Hetzner snapshots: `create_image` of type snapshot, labelled so the job finds its own again
 * (`letsbe-snapshot=daily`, `tenant`, `server`); revert is a rebuild from the image. Tenant servers
 * are rebuild-protected by their stack, so a revert lifts that protection for the rebuild and puts
 * it back after (also when the rebuild fails): the stack sees no drift.
 */
import type { HetznerClient, HetznerImage } from "./hetznerClient";
import { SNAPSHOT_PREFIX, type Snapshot, type SnapshotProvider } from "./types";

const OURS = "letsbe-snapshot=daily";

const asSnapshot = (image: HetznerImage): Snapshot => ({ id: String(image.id), name: image.description, createdAt: image.created });

export function hetznerSnapshots(client: HetznerClient): SnapshotProvider {
  return {
    name: "hetzner",
    async targets() {
      const servers = await client.servers("managed-by=letsbe,tenant");
      return servers.map((s) => ({ slug: s.labels.tenant ?? "", provider: "hetzner" as const, serverId: s.id, group: `hetzner:${s.datacenter.name}` }));
    },
    async list(target) {
      const images = await client.snapshots(`${OURS},server=${target.serverId}`);
      return images
        .filter((i) => i.status === "available" && i.created_from?.id === target.serverId && i.description.startsWith(SNAPSHOT_PREFIX))
        .map(asSnapshot)
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name));
    },
    async check(target) {
      // Hetzner has no dry run: the server must exist (a snapshot of a locked server is refused as it is made).
      await client.server(target.serverId);
      return [];
    },
    async create(target, name) {
      const image = await client.createSnapshot(target.serverId, name, { "letsbe-snapshot": "daily", tenant: target.slug, server: String(target.serverId) });
      if (image.status !== "available") throw new Error(`Hetzner: image ${image.id} of server ${target.serverId} is ${image.status} after its action succeeded`);
      return asSnapshot(image);
    },
    async remove(_target, snapshot) {
      await client.deleteImage(Number(snapshot.id));
    },
    async revert(target, snapshot) {
      const protectedServer = (await client.server(target.serverId)).protection.rebuild;
      if (protectedServer) await client.setRebuildProtection(target.serverId, false);
      try {
        await client.rebuild(target.serverId, Number(snapshot.id));
      } finally {
        if (protectedServer) await client.setRebuildProtection(target.serverId, true);
      }
    },
  };
}
