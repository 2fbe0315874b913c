/**
 * In-memory state of the fake SCP account: servers shaped like the recorded ones, SSH keys,
 * rDNS entries, tasks and tokens.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { recording } from "./spec";

type Json = Record<string, unknown>;

/** Site ids as the SCP numbers them; the cities are what `site.city` reports. */
export const SITES: Readonly<Record<string, number>> = { Nuremberg: 1, Vienna: 2, Amsterdam: 3, Manassas: 4 };

export interface FakeServer {
  readonly id: number;
  readonly name: string;
  hostname: string;
  nickname: string | null;
  readonly product: string;
  readonly templateId: number;
  readonly site: string;
  readonly uefi: boolean;
  readonly disabled: boolean;
  readonly ipv4: string;
  readonly ipv6Prefix: string;
  /** What the last finished install put on the disk. */
  installed: { flavourId: number; imageName: string; hostname: string; sshKeys: string[]; at: string } | undefined;
  /** Installs started on this server, finished or not. */
  installCount: number;
  /** Snapshots of the server, oldest first (./snapshots). */
  snapshots: FakeSnapshot[];
  /** The snapshot the last revert put back. */
  revertedTo?: string;
}

/** A snapshot: what the disk held when it was taken, so a revert can put it back. */
export interface FakeSnapshot {
  readonly uuid: string;
  readonly name: string;
  readonly description: string | null;
  readonly disks: string[];
  readonly creationTime: string;
  readonly online: boolean;
  readonly installed: FakeServer["installed"];
}

export interface FakeTask {
  readonly uuid: string;
  readonly name: string;
  readonly serverId: number;
  readonly startedAt: Date;
  /** Earliest time it may finish, ms since epoch. */
  readonly dueAt: number;
  readonly message: string;
  readonly steps: string[];
  readonly result: Json;
  /** The outcome decided when it started (a fault can make it ERROR). */
  readonly outcome: "FINISHED" | "ERROR";
  /** Work that must end before the task may finish (the install hook). */
  work: Promise<void>;
  workDone: boolean;
  workError: string | undefined;
  state: "PENDING" | "RUNNING" | "FINISHED" | "ERROR";
  finishedAt: Date | undefined;
  /** Applied once, when the task finishes successfully. */
  readonly effect: () => void;
}

export interface FakeSshKey {
  readonly id: number;
  readonly name: string;
  readonly key: string;
  readonly createdAt: string;
}

export interface SeedServer {
  /** SCP template name, e.g. `RS 4000 G12`. */
  readonly product: string;
  /** Site city. Default - `Nuremberg`. */
  readonly site?: string;
  /** Default - the pool marker `letsbe-pool`. */
  readonly nickname?: string | null;
  readonly uefi?: boolean;
  readonly disabled?: boolean;
  /** Primary IPv4. Default - one from 198.18.0.0/15 (a loopback address lets a test reach a fake SSH host). */
  readonly ipv4?: string;
}

const TEMPLATE_IDS: Record<string, number> = { "RS 1000 G12": 1355, "RS 2000 G12": 1356, "RS 4000 G12": 1357, "RS 2000 G12 Pro": 1358, "RS 8000 G12": 1359 };

export function buildServer(index: number, seed: SeedServer): FakeServer {
  const id = 211_000 + index;
  const name = `v${String(2_000_000 + index).padStart(19, "0")}`;
  const site = seed.site ?? "Nuremberg";
  if (!(site in SITES)) throw new Error(`fake SCP: unknown site ${site}`);
  return {
    id,
    name,
    hostname: `${name}.megasrv.de`,
    nickname: seed.nickname === undefined ? "letsbe-pool" : seed.nickname,
    product: seed.product,
    templateId: TEMPLATE_IDS[seed.product] ?? 1300 + index,
    site,
    uefi: seed.uefi ?? true,
    disabled: seed.disabled ?? false,
    // 198.18.0.0/15 is reserved for benchmarks, like the recorded (anonymised) addresses.
    ipv4: seed.ipv4 ?? `198.18.${Math.floor(index / 250)}.${(index % 250) + 2}`,
    ipv6Prefix: `2001:db8:${(0x1000 + index).toString(16)}:1::`,
    installed: undefined,
    installCount: 0,
    snapshots: [],
  };
}

export function listItem(server: FakeServer): Json {
  return {
    id: server.id,
    name: server.name,
    disabled: server.disabled,
    hostname: server.hostname,
    nickname: server.nickname,
    template: { id: server.templateId, name: server.product },
  };
}

/** The detail answer, shaped like the recorded `GET /servers/111007`. */
export function serverDetail(server: FakeServer, liveInfo: boolean): Json {
  const recorded = structuredClone(recording("GET_servers_111007.json").responseBody) as Json;
  const live = recorded.serverLiveInfo as Json & { interfaces: Json[] };
  live.uefi = server.uefi;
  live.template = server.product;
  live.interfaces = [{ ...live.interfaces[0], ipv4Addresses: [server.ipv4], ipv6NetworkPrefixes: [`${server.ipv6Prefix}/64`] }];
  // Without live info the field is left out: the spec's nullable-allOf form cannot carry null.
  if (!liveInfo) delete recorded.serverLiveInfo;
  return {
    ...recorded,
    ...listItem(server),
    ipv4Addresses: [{ broadcast: null, gateway: "198.18.0.1", id: server.id * 10 + 4, ip: server.ipv4, netmask: "255.255.252.0" }],
    ipv6Addresses: [{ gateway: "fe80::1", id: server.id * 10 + 6, networkPrefix: server.ipv6Prefix, networkPrefixLength: 64 }],
    site: { city: server.site, id: SITES[server.site] },
    snapshotCount: server.snapshots.length,
    ...(liveInfo ? { serverLiveInfo: live } : {}),
  };
}

/** The recorded image flavours (the same for every fake server). */
export function imageFlavours(): Array<{ id: number; name: string; alias: string; text: string; image: { id: number; name: string } }> {
  return structuredClone(recording("GET_servers_111007_imageflavours.json").responseBody) as never;
}

/** Steps of an image install, as recorded. */
export function imageSetupSteps(): string[] {
  const task = recording("POST_servers_111007_image.json").responseBody as { steps: Array<{ name: string }> };
  return task.steps.map((s) => s.name);
}

const EXECUTING_USER = { company: "Example Org", email: "user@example.com", firstname: "Max", id: 555001, lastname: "Mustermann", username: "100000" };

export const USER_ID = EXECUTING_USER.id;

/** The task answer, shaped like the recorded ones; step states follow the task's. */
export function taskBody(task: FakeTask, now: number): Json {
  const total = Math.max(1, task.dueAt - task.startedAt.getTime());
  const percent = task.state === "FINISHED" ? 100 : Math.min(99, Math.floor(((now - task.startedAt.getTime()) / total) * 100));
  const stepState = task.state === "PENDING" ? "PENDING" : task.state === "RUNNING" ? "RUNNING" : task.state;
  return {
    executingUser: EXECUTING_USER,
    finishedAt: task.finishedAt?.toISOString() ?? null,
    message: task.state === "ERROR" ? `${task.name} failed.` : task.state === "FINISHED" ? null : task.message,
    name: task.name,
    startedAt: task.startedAt.toISOString(),
    state: task.state,
    taskProgress: { expectedFinishedAt: new Date(task.dueAt).toISOString(), progressInPercent: percent },
    uuid: task.uuid,
    responseError: task.state === "ERROR" ? { code: "task.error", message: task.workError ?? "The installation of the image failed." } : null,
    result: task.result,
    serverActionId: null,
    steps: task.steps.map((name, i) => ({
      finishedAt: task.state === "FINISHED" ? task.finishedAt?.toISOString() ?? null : null,
      name,
      startedAt: task.state === "PENDING" ? null : task.startedAt.toISOString(),
      state: task.state === "ERROR" && i < task.steps.length - 1 ? "FINISHED" : stepState,
      uuid: `${task.uuid.slice(0, 24)}${String(i).padStart(12, "0")}`,
    })),
  };
}

export function newTask(fields: Pick<FakeTask, "name" | "serverId" | "message" | "steps" | "result" | "outcome" | "effect"> & { durationMs: number; work?: Promise<void> }): FakeTask {
  const startedAt = new Date();
  const task: FakeTask = {
    uuid: randomUUID(),
    name: fields.name,
    serverId: fields.serverId,
    startedAt,
    dueAt: startedAt.getTime() + fields.durationMs,
    message: fields.message,
    steps: fields.steps,
    result: fields.result,
    outcome: fields.outcome,
    work: Promise.resolve(),
    workDone: fields.work === undefined,
    workError: undefined,
    state: "PENDING",
    finishedAt: undefined,
    effect: fields.effect,
  };
  if (fields.work) {
    task.work = fields.work.then(
      () => { task.workDone = true; },
      (error: unknown) => { task.workDone = true; task.workError = error instanceof Error ? error.message : String(error); },
    );
  }
  return task;
}

/** A root password as the API returns it in an install task's result. */
export function rootPassword(): string {
  return `Rp${randomBytes(12).toString("base64url")}9a`;
}

/** An unsigned JWT-shaped access token carrying the SCP user id in its `id` claim, as the real ones do. */
export function accessToken(expiresAt: number): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "none", typ: "JWT" })}.${part({ id: USER_ID, exp: Math.floor(expiresAt / 1000), jti: randomUUID() })}.fake`;
}
