/**
 * A fake Hetzner Cloud API on 127.0.0.1 (free port) for tests. Every request and every answer is
 * validated against the Hetzner description (./spec); a request the description does not allow
 * (unknown route, wrong body, bad parameter) is recorded in `violations` and answered with an
 * error, so a test that checks `violations` fails on it. Actions finish after `actionMs`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { randomBytes } from "node:crypto";
import { type ActionResource, type FakeAction, type FakeFirewall, type FakePrimaryIp, type FakeServer, type FakeSshKey, firstHost, newAction, settleAction } from "./model";
import { createValidator, type SpecValidator } from "./spec";
import { routeRequest } from "./routes";
import type { FakeImage } from "./image-ops";
import type { FakeStorageBox } from "./storage-ops";
import { closeLocal, listenLocal, queryOf, readBody } from "../http";

/** What the server hooks receive: `ipv6` is the server's first address of its /64, as the provider reports it. */
export interface ServerEvent {
  readonly id: number;
  readonly name: string;
  readonly ipv4: string | null;
  readonly ipv6: string | null;
  readonly userData?: string;
}

export interface FakeHetznerOptions {
  /** Bearer token the fake accepts. Default - a random one (see `token`). */
  readonly token?: string;
  /** Action duration, ms; 0 ends an action at its first poll. Default - 20. */
  readonly actionMs?: number;
  /** IPv4 addresses handed to new primary IPs: a list taken in order, or a function of the allocation index. Default - 203.0.113.10, .11, ... */
  readonly ipv4?: readonly string[] | ((index: number) => string);
  /** The clock snapshot images' `created` is read from (a test moves it by days). Default - the real one. */
  readonly clock?: () => Date;
  /** Runs when a server is created; its create action ends only after this resolves, and fails if it rejects. */
  readonly onServerCreate?: (event: ServerEvent) => Promise<void> | void;
  /** Runs when a server is deleted; its delete action waits for it likewise. */
  readonly onServerDelete?: (event: ServerEvent) => Promise<void> | void;
}

export interface LoggedCall {
  readonly method: string;
  readonly path: string;
  readonly operation: string;
  readonly status: number;
}

export interface Reply {
  readonly status: number;
  readonly body?: unknown;
}

export const apiError = (status: number, code: string, message: string): Reply => ({ status, body: { error: { code, message } } });

export class FakeHetzner {
  readonly token: string;
  readonly servers = new Map<number, FakeServer>();
  readonly primaryIps = new Map<number, FakePrimaryIp>();
  readonly firewalls = new Map<number, FakeFirewall>();
  readonly sshKeys = new Map<number, FakeSshKey>();
  readonly actions = new Map<number, FakeAction>();
  /** Snapshot images (./image-ops) and each server's disk content marker, which a rebuild replaces. */
  readonly images = new Map<number, FakeImage>();
  readonly diskOf = new Map<number, string>();
  /** Storage boxes (./storage-ops): ordered products, so only a test adds one (`addStorageBox`). */
  readonly storageBoxes = new Map<number, FakeStorageBox>();
  /** Snapshot creations still to fail. */
  imageFailures = 0;
  readonly log: LoggedCall[] = [];
  readonly violations: string[] = [];
  actionMs: number;
  /** Planned refusals: the next `times` calls of an operation are answered with this error (429, 423 ...). */
  readonly faults: { operation: string; status: number; code: string; times: number }[] = [];
  private nextId = 100;
  private ipv4Count = 0;
  private ipv6Count = 0;
  private baseUrl = "";
  private readonly http = createServer((req, res) => void this.handle(req, res));

  private constructor(private readonly validator: SpecValidator, readonly options: FakeHetznerOptions) {
    this.token = options.token ?? randomBytes(24).toString("base64url");
    this.actionMs = options.actionMs ?? 20;
  }

  static async start(options: FakeHetznerOptions = {}): Promise<FakeHetzner> {
    const fake = new FakeHetzner(await createValidator(), options);
    fake.baseUrl = await listenLocal(fake.http);
    return fake;
  }

  /** The API root, as `hcloud:endpoint` takes it (the real one is https://api.hetzner.cloud/v1). */
  get endpoint(): string {
    return `${this.baseUrl}/v1`;
  }

  async stop(): Promise<void> {
    await closeLocal(this.http);
  }

  id(): number {
    return this.nextId++;
  }

  allocateIp(type: "ipv4" | "ipv6"): string {
    if (type === "ipv6") return `2001:db8:${(++this.ipv6Count).toString(16)}::/64`;
    const index = this.ipv4Count++;
    const source = this.options.ipv4;
    if (typeof source === "function") return source(index);
    if (source) {
      const ip = source[index];
      if (!ip) throw new Error(`the fake's IPv4 list (${source.length}) is used up`);
      return ip;
    }
    return `203.0.113.${10 + index}`;
  }

  addAction(command: string, resources: readonly ActionResource[], extra: { work?: Promise<void>; effect?: () => void } = {}): FakeAction {
    const action = newAction(this.id(), command, resources, this.actionMs, extra);
    this.actions.set(action.id, action);
    settleAction(action, Date.now());
    return action;
  }

  /** True while an action on the resource runs (the API answers 423 `locked` then). */
  busy(type: string, id: number): boolean {
    return [...this.actions.values()].some((a) => a.state === "running" && a.resources.some((r) => r.type === type && r.id === id));
  }

  /** A storage box as if ordered; `subaccountServer` names a subaccount's host (default `<username>.your-storagebox.de`). */
  addStorageBox(seed: { username: string; subaccountServer?: (username: string) => string }): FakeStorageBox {
    const box: FakeStorageBox = { id: this.id(), username: seed.username, subaccountServer: seed.subaccountServer ?? ((u) => `${u}.your-storagebox.de`), subaccounts: new Map(), nextSub: 1 };
    this.storageBoxes.set(box.id, box);
    return box;
  }

  byName<T extends { name: string }>(map: ReadonlyMap<number, T>, name: string): T | undefined {
    return [...map.values()].find((v) => v.name === name);
  }

  serverEvent(server: FakeServer): ServerEvent {
    const v4 = server.ipv4Id === null ? undefined : this.primaryIps.get(server.ipv4Id);
    const v6 = server.ipv6Id === null ? undefined : this.primaryIps.get(server.ipv6Id);
    return { id: server.id, name: server.name, ipv4: v4?.ip ?? null, ipv6: v6 ? firstHost(v6.ip) : null, ...(server.userData === undefined ? {} : { userData: server.userData }) };
  }

  /** A hook's run as a promise the action waits on (a hook that throws synchronously fails the action too). */
  hookWork(hook: ((event: ServerEvent) => Promise<void> | void) | undefined, event: ServerEvent): Promise<void> | undefined {
    if (!hook) return undefined;
    return Promise.resolve().then(() => hook(event));
  }

  private settle(): void {
    const now = Date.now();
    for (const action of this.actions.values()) settleAction(action, now);
  }

  // ---- HTTP ------------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const raw = await readBody(req);
    const method = req.method ?? "GET";
    const { reply, operation } = this.api(method, url, req.headers as Record<string, string>, raw);
    this.log.push({ method, path: url.pathname, operation, status: reply.status });
    res.writeHead(reply.status, reply.body === undefined ? {} : { "content-type": "application/json" });
    res.end(reply.body === undefined ? undefined : JSON.stringify(reply.body));
  }

  private api(method: string, url: URL, headers: Record<string, string>, raw: string): { reply: Reply; operation: string } {
    const path = url.pathname.startsWith("/v1/") ? url.pathname.slice(3) : undefined;
    const op = path === undefined ? undefined : this.validator.match(method, path);
    if (!op || path === undefined) {
      this.violations.push(`${method} ${url.pathname}: not an operation of the Hetzner Cloud description the fake serves (see operations.ts)`);
      return { reply: apiError(404, "not_found", "no such route"), operation: "" };
    }
    const operation = op.operationId ?? "";
    let body: unknown;
    if (raw) {
      try {
        body = JSON.parse(raw);
      } catch {
        this.violations.push(`${method} ${path}: body is not JSON`);
        return { reply: apiError(400, "json_error", "invalid JSON"), operation };
      }
    }
    const query = queryOf(url);
    const problems = this.validator.validateRequest(op, { method, path, query, headers, body });
    if (problems.length > 0) {
      this.violations.push(`${method} ${path}: request breaks the description: ${problems.join("; ")}`);
      return { reply: apiError(400, "invalid_input", `invalid input: ${problems.join("; ")}`), operation };
    }
    if (headers.authorization !== `Bearer ${this.token}`) return { reply: apiError(401, "unauthorized", "unable to authenticate"), operation };
    const fault = this.faults.find((f) => f.operation === operation && f.times > 0);
    if (fault) {
      fault.times--;
      return { reply: apiError(fault.status, fault.code, `planned ${fault.code}`), operation };
    }
    this.settle();
    let reply: Reply;
    try {
      reply = routeRequest(this, operation, path, body, url.searchParams);
    } catch (error) {
      reply = apiError(500, "server_error", error instanceof Error ? error.message : String(error));
    }
    const answerProblems = this.validator.validateResponse(op, reply.status, reply.body);
    if (answerProblems.length > 0) {
      this.violations.push(`${method} ${path}: the fake's ${reply.status} answer breaks the description: ${answerProblems.join("; ")}`);
      return { reply: apiError(500, "server_error", "the fake produced an answer outside the description"), operation };
    }
    return { reply, operation };
  }
}
