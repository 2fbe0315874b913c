/**
 * Snapshot operations of the fake SCP (`/servers/{id}/snapshots`, `:dryrun`, `/{name}`, `/revert`).
 * Rules from the spec's descriptions and the recordings: an online snapshot is refused on a UEFI
 * server (`POST_servers_111007_snapshots_dryrun.json`, with its recorded message), `diskName` must
 * be set when `onlineSnapshot` is false and must not be with an online one (the dry run's code
 * list). The task name `ServerSnapshotCreateTask` is recorded (`GET_tasks.json`); the delete and
 * revert task names follow it by analogy. A duplicate name is refused with a 422 of the fake's own
 * choosing (nothing recorded says what the API answers).
 */
import { randomUUID } from "node:crypto";
import { type FakeServer, type FakeSnapshot, newTask } from "./model";
import type { FakeScp, Reply } from "./server";

interface SnapshotBody {
  readonly name?: string;
  readonly description?: string | null;
  readonly diskName?: string | null;
  readonly onlineSnapshot?: boolean;
}

const DISKS = ["vda"];
const apiError = (code: string, message: string) => ({ code, message });

/** What the API would refuse about a snapshot of this server with these options (the dry run's list). */
export function snapshotProblems(fake: FakeScp, server: FakeServer, body: SnapshotBody): Array<{ code: string; message: string }> {
  const online = body.onlineSnapshot === true;
  const problems: Array<{ code: string; message: string }> = [];
  if (online && server.uefi) problems.push(apiError("server.snapshot.create.error.online.uefi", "Online snapshot creation is not possible if UEFI is activated."));
  if (online && body.diskName) problems.push(apiError("server.snapshot.create.error.online.diskselected", "A disk must not be selected for an online snapshot."));
  if (!online && !body.diskName) problems.push(apiError("server.snapshot.create.error.disk", "A disk must be selected for an offline snapshot."));
  if (body.diskName && !DISKS.includes(body.diskName)) problems.push(apiError("server.snapshot.create.error.disk", `Disk ${body.diskName} does not exist.`));
  if (fake.snapshotLimit !== undefined && server.snapshots.length >= fake.snapshotLimit) {
    problems.push(apiError("server.snapshot.create.error.storagelimit", "The snapshot storage limit is reached."));
  }
  return problems;
}

export function snapshotBody(snapshot: FakeSnapshot): Record<string, unknown> {
  return {
    uuid: snapshot.uuid, name: snapshot.name, description: snapshot.description, disks: [...snapshot.disks], creationTime: snapshot.creationTime,
    state: "RUNNING", online: snapshot.online, exported: false, exportedSizeInKiB: null,
  };
}

const busy: Reply = { status: 400, body: { code: "server.task.running", message: "Another task is running on this server." } };

export function dryRun(fake: FakeScp, server: FakeServer, body: SnapshotBody): Reply {
  const problems = snapshotProblems(fake, server, body);
  return { status: problems.length > 0 ? 400 : 200, body: problems };
}

export function createSnapshot(fake: FakeScp, server: FakeServer, body: SnapshotBody): Reply {
  const name = body.name ?? "";
  if (server.snapshots.some((s) => s.name === name)) {
    return { status: 422, body: { code: "validation.error", message: "Validation failed.", errors: [{ field: "name", message: `a snapshot named ${name} exists` }] } };
  }
  const [problem] = snapshotProblems(fake, server, body);
  if (problem) return { status: 400, body: problem };
  if (fake.busy(server.id)) return busy;
  const failing = fake.faults.failSnapshots > 0;
  if (failing) fake.faults.failSnapshots--;
  const snapshot: FakeSnapshot = {
    uuid: randomUUID(), name, description: body.description ?? null, disks: body.diskName ? [body.diskName] : [...DISKS],
    creationTime: fake.now().toISOString().replace(/\.\d+Z$/, "Z"), online: body.onlineSnapshot === true,
    installed: server.installed ? structuredClone(server.installed) : undefined,
  };
  return { status: 202, body: fake.taskAnswer(fake.addTask(newTask({
    name: "ServerSnapshotCreateTask", serverId: server.id, message: "Snapshot creation is running.", steps: ["ServerSnapshotCreateTaskStep"],
    result: {}, outcome: failing ? "ERROR" : "FINISHED", durationMs: fake.taskMs,
    effect: () => { server.snapshots.push(snapshot); },
  }))) };
}

export function deleteSnapshot(fake: FakeScp, server: FakeServer, snapshot: FakeSnapshot): Reply {
  if (fake.busy(server.id)) return busy;
  return { status: 202, body: fake.taskAnswer(fake.addTask(newTask({
    name: "ServerSnapshotDeleteTask", serverId: server.id, message: "Snapshot deletion is running.", steps: ["ServerSnapshotDeleteTaskStep"],
    result: {}, outcome: "FINISHED", durationMs: fake.taskMs,
    effect: () => { server.snapshots = server.snapshots.filter((s) => s !== snapshot); },
  }))) };
}

/** Puts the disk back as the snapshot holds it; later snapshots stay. */
export function revertSnapshot(fake: FakeScp, server: FakeServer, snapshot: FakeSnapshot): Reply {
  if (fake.busy(server.id)) return busy;
  return { status: 202, body: fake.taskAnswer(fake.addTask(newTask({
    name: "ServerSnapshotRevertTask", serverId: server.id, message: "Snapshot revert is running.", steps: ["ServerSnapshotRevertTaskStep"],
    result: {}, outcome: "FINISHED", durationMs: fake.taskMs,
    effect: () => {
      server.installed = snapshot.installed ? structuredClone(snapshot.installed) : undefined;
      server.revertedTo = snapshot.name;
    },
  }))) };
}

/** The snapshot routes; undefined for other operations. */
export function routeSnapshots(fake: FakeScp, operationId: string, server: FakeServer | undefined, serverId: number | undefined, name: string, body: unknown): Reply | undefined {
  if (!operationId.includes("/snapshots")) return undefined;
  if (!server) return { status: 404, body: { code: "error.notfound", message: `Entity Server with id ${serverId} not found.` } };
  const data = (body ?? {}) as SnapshotBody;
  if (operationId === "GET /api/v1/servers/{serverId}/snapshots") return { status: 200, body: server.snapshots.map(snapshotBody) };
  if (operationId === "POST /api/v1/servers/{serverId}/snapshots") return createSnapshot(fake, server, data);
  if (operationId === "POST /api/v1/servers/{serverId}/snapshots:dryrun") return dryRun(fake, server, data);
  const snapshot = server.snapshots.find((s) => s.name === name);
  if (!snapshot) return { status: 404, body: { code: "error.notfound", message: `Snapshot ${name} not found.` } };
  if (operationId === "GET /api/v1/servers/{serverId}/snapshots/{name}") return { status: 200, body: { ...snapshotBody(snapshot), downloadInfos: null } };
  if (operationId === "DELETE /api/v1/servers/{serverId}/snapshots/{name}") return deleteSnapshot(fake, server, snapshot);
  if (operationId === "POST /api/v1/servers/{serverId}/snapshots/{name}/revert") return revertSnapshot(fake, server, snapshot);
  return undefined;
}
