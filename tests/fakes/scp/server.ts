/**
 * A fake Netcup SCP API on 127.0.0.1 (random port) for tests and benchmarks. Every request it
 * receives and every answer it sends is validated against the SCP OpenAPI document (./spec);
 * anything the real API would reject is recorded in `violations` and answered with an error, so
 * a test that checks `violations` fails on it. Also serves the Keycloak token endpoint.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { randomBytes } from "node:crypto";
import { Faults, INTRUDER_NICKNAME } from "./faults";
import {
  FakeServer, FakeSshKey, FakeTask, SeedServer, USER_ID, accessToken, buildServer, imageFlavours, imageSetupSteps,
  listItem, newTask, rootPassword, serverDetail, taskBody,
} from "./model";
import { createValidator, type SpecValidator } from "./spec";
import { routeRequest } from "./routes";
import { closeLocal, listenLocal, queryOf, readBody } from "../http";

export const API_BASE = "/scp-core";
export const TOKEN_PATH = "/realms/scp/protocol/openid-connect/token";

/** What an image install hands to the install hook (issue 8 starts a real host here). */
export interface ImageInstall {
  readonly server: FakeServer;
  readonly imageName: string;
  readonly hostname: string;
  readonly sshKeys: readonly string[];
  readonly rootPassword: string;
}

export interface FakeScpOptions {
  readonly servers?: readonly SeedServer[];
  /** Task duration, ms; 0 finishes a task at its first poll. Default - 30. */
  readonly taskMs?: number;
  /** Access token lifetime, s. Default - 300 (as the real realm). */
  readonly tokenLifetimeSeconds?: number;
  /** The clock snapshot creation times are read from (a test moves it by days). Default - the real one. */
  readonly clock?: () => Date;
  /** Snapshots a server may hold before a create is refused with `storagelimit`. Default - no limit. */
  readonly snapshotLimit?: number;
  /** Runs when an image install starts; the task finishes only after it resolves, and fails if it rejects. */
  readonly onImageInstall?: (install: ImageInstall) => Promise<void>;
}

export interface LoggedCall {
  readonly method: string;
  readonly path: string;
  /** 0 when a fault dropped the answer. */
  readonly status: number;
  readonly kind: "token" | "api" | "task-poll";
}

export interface Reply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

export class FakeScp {
  readonly refreshToken = `rt-${randomBytes(24).toString("base64url")}`;
  readonly servers = new Map<number, FakeServer>();
  readonly sshKeys: FakeSshKey[] = [];
  readonly rdns = new Map<string, string>();
  readonly tasks = new Map<string, FakeTask>();
  readonly log: LoggedCall[] = [];
  readonly violations: string[] = [];
  readonly rootPasswords: string[] = [];
  readonly faults = new Faults();
  taskMs: number;
  private readonly validTokens = new Map<string, number>();
  private seeded = 0;
  private nextKeyId = 901;
  private baseUrl = "";
  private readonly http = createServer((req, res) => void this.handle(req, res));

  private constructor(private readonly validator: SpecValidator, private readonly options: FakeScpOptions) {
    this.taskMs = options.taskMs ?? 30;
    this.addServers(options.servers ?? []);
  }

  static async start(options: FakeScpOptions = {}): Promise<FakeScp> {
    const fake = new FakeScp(await createValidator(), options);
    fake.baseUrl = await listenLocal(fake.http);
    return fake;
  }

  now(): Date {
    return this.options.clock?.() ?? new Date();
  }

  get snapshotLimit(): number | undefined {
    return this.options.snapshotLimit;
  }

  get apiUrl(): string {
    return `${this.baseUrl}${API_BASE}`;
  }

  get tokenUrl(): string {
    return `${this.baseUrl}${TOKEN_PATH}`;
  }

  async stop(): Promise<void> {
    await closeLocal(this.http);
  }

  addServers(seeds: readonly SeedServer[]): FakeServer[] {
    return seeds.map((seed) => {
      const server = buildServer(this.seeded++, seed);
      this.servers.set(server.id, server);
      return server;
    });
  }

  byName(name: string): FakeServer {
    const server = [...this.servers.values()].find((s) => s.name === name);
    if (!server) throw new Error(`fake SCP: no server ${name}`);
    return server;
  }

  /** API calls in the log (token calls and task polls apart). */
  counts(): { api: number; token: number; taskPolls: number } {
    return {
      api: this.log.filter((c) => c.kind === "api").length,
      token: this.log.filter((c) => c.kind === "token").length,
      taskPolls: this.log.filter((c) => c.kind === "task-poll").length,
    };
  }

  /** Advances tasks whose time is up; the single place where an install takes effect. */
  settleTasks(now = Date.now()): void {
    for (const task of this.tasks.values()) {
      if (task.state !== "PENDING" && task.state !== "RUNNING") continue;
      if (now >= task.dueAt && task.workDone) {
        task.finishedAt = new Date(now);
        if (task.outcome === "ERROR" || task.workError !== undefined) {
          task.state = "ERROR";
        } else {
          task.state = "FINISHED";
          task.effect();
        }
      } else if (now > task.startedAt.getTime()) {
        task.state = "RUNNING";
      }
    }
  }

  busy(serverId: number): boolean {
    return [...this.tasks.values()].some((t) => t.serverId === serverId && (t.state === "PENDING" || t.state === "RUNNING"));
  }

  // ---- operations the routes call -------------------------------------------------------------

  listServers(query: URLSearchParams): unknown[] {
    const q = query.get("q")?.toLowerCase();
    const name = query.get("name");
    let servers = [...this.servers.values()].sort((a, b) => a.id - b.id);
    if (q) servers = servers.filter((s) => [s.name, s.nickname ?? "", s.ipv4].some((v) => v.toLowerCase().includes(q)));
    if (name) servers = servers.filter((s) => s.name === name);
    const offset = Number(query.get("offset") ?? 0);
    const limit = query.has("limit") ? Number(query.get("limit")) : servers.length;
    const page = servers.slice(offset, offset + limit);
    const body = page.map(listItem);
    if (this.faults.stealAfterList > 0) {
      const victim = page.find((s) => s.nickname === "letsbe-pool");
      if (victim) {
        this.faults.stealAfterList--;
        victim.nickname = INTRUDER_NICKNAME;
      }
    }
    return body;
  }

  detail(server: FakeServer, liveInfo: boolean): unknown {
    return serverDetail(server, liveInfo);
  }

  setNickname(server: FakeServer, nickname: string): void {
    server.nickname = nickname;
    if (nickname.startsWith("letsbe-tenant:") && nickname !== INTRUDER_NICKNAME && this.faults.stealAfterClaim > 0) {
      this.faults.stealAfterClaim--;
      // A competitor's claim lands right after ours, before we read ours back.
      setImmediate(() => { server.nickname = INTRUDER_NICKNAME; });
    }
  }

  startHostnameChange(server: FakeServer, hostname: string): FakeTask {
    return this.addTask(newTask({
      name: "ServerHostnameTask", serverId: server.id, message: "Server hostname change is running.", steps: ["ServerHostnameTaskStep"],
      result: {}, outcome: "FINISHED", durationMs: this.taskMs, effect: () => { server.hostname = hostname; },
    }));
  }

  /** Starts an image install: the one place that decides what an install does (hook for a real host). */
  startImageInstall(server: FakeServer, setup: { imageFlavourId: number; hostname?: string | null; sshKeyIds?: number[] | null }): FakeTask {
    const flavour = imageFlavours().find((f) => f.id === setup.imageFlavourId);
    if (!flavour) throw new Error("flavour was validated before");
    const keys = (setup.sshKeyIds ?? []).map((id) => this.sshKeys.find((k) => k.id === id)?.key ?? "");
    const hostname = setup.hostname ?? server.name;
    const password = rootPassword();
    this.rootPasswords.push(password);
    server.installCount++;
    const failing = this.faults.failInstalls > 0;
    if (failing) this.faults.failInstalls--;
    const work = this.options.onImageInstall?.({ server, imageName: flavour.image.name, hostname, sshKeys: keys, rootPassword: password });
    return this.addTask(newTask({
      name: "ServerImageSetupTask", serverId: server.id, message: "Image installation is running.", steps: imageSetupSteps(),
      result: { cloudInitResultBase64Encoded: null, rootPassword: password },
      outcome: failing ? "ERROR" : "FINISHED",
      durationMs: this.taskMs,
      work,
      effect: () => {
        server.hostname = hostname;
        server.installed = { flavourId: flavour.id, imageName: flavour.image.name, hostname, sshKeys: keys, at: new Date().toISOString() };
      },
    }));
  }

  addSshKey(name: string, key: string): FakeSshKey {
    const entry = { id: this.nextKeyId++, name, key, createdAt: new Date().toISOString() };
    this.sshKeys.push(entry);
    return entry;
  }

  taskAnswer(task: FakeTask): unknown {
    return taskBody(task, Date.now());
  }

  addTask(task: FakeTask): FakeTask {
    this.tasks.set(task.uuid, task);
    return task;
  }

  // ---- HTTP ------------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.baseUrl || "http://127.0.0.1");
    const raw = await readBody(req);
    const method = req.method ?? "GET";
    const isToken = url.pathname === TOKEN_PATH;
    const path = isToken ? "/token" : url.pathname.startsWith(API_BASE) ? url.pathname.slice(API_BASE.length) : url.pathname;
    const kind: LoggedCall["kind"] = isToken ? "token" : method === "GET" && /^\/api\/v1\/tasks\/[^/]+$/.test(path) ? "task-poll" : "api";
    let reply: Reply;
    const fault = this.faults.take(method, path);
    fault?.onHit?.();
    if (fault?.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    if (fault?.hold) await fault.hold.then(() => undefined, () => undefined);
    if (fault?.status) {
      reply = {
        status: fault.status,
        body: { code: fault.status === 429 ? "error.ratelimit" : "error.internal", message: fault.status === 429 ? "Too many requests." : "Internal server error." },
        headers: fault.retryAfterSeconds !== undefined ? { "retry-after": String(fault.retryAfterSeconds) } : {},
      };
    } else if (isToken) {
      reply = this.token(method, req.headers["content-type"] ?? "", raw);
    } else {
      reply = this.api(method, url, path, req.headers as Record<string, string>, raw);
    }
    this.log.push({ method, path, status: fault?.dropAnswer ? 0 : reply.status, kind });
    if (fault?.dropAnswer) {
      // Applied, but the client never hears of it.
      res.socket?.destroy();
      return;
    }
    res.writeHead(reply.status, { ...(reply.body === undefined ? {} : { "content-type": "application/json" }), ...(reply.headers ?? {}) });
    res.end(reply.body === undefined ? undefined : JSON.stringify(reply.body));
  }

  private token(method: string, contentType: string, raw: string): Reply {
    if (method !== "POST" || !contentType.startsWith("application/x-www-form-urlencoded")) {
      this.violations.push(`token endpoint: ${method} with content-type "${contentType}" (expected a form POST)`);
      return { status: 400, body: { error: "invalid_request", error_description: "form POST expected" } };
    }
    const form = new URLSearchParams(raw);
    if (form.get("client_id") !== "scp") return { status: 401, body: { error: "invalid_client", error_description: "Invalid client or Invalid client credentials" } };
    if (form.get("grant_type") !== "refresh_token") return { status: 400, body: { error: "unsupported_grant_type", error_description: "Unsupported grant_type" } };
    if (form.get("refresh_token") !== this.refreshToken) return { status: 400, body: { error: "invalid_grant", error_description: "Invalid refresh token" } };
    const lifetime = this.options.tokenLifetimeSeconds ?? 300;
    const expiresAt = Date.now() + lifetime * 1000;
    const token = accessToken(expiresAt);
    this.validTokens.set(token, expiresAt);
    return { status: 200, body: { access_token: token, expires_in: lifetime, refresh_expires_in: 0, token_type: "Bearer", "not-before-policy": 0, scope: "profile offline_access email" } };
  }

  private api(method: string, url: URL, path: string, headers: Record<string, string>, raw: string): Reply {
    const op = this.validator.match(method, path);
    if (!op) {
      this.violations.push(`${method} ${url.pathname}: no such operation in the SCP spec`);
      return { status: 404, body: { code: "error.notfound", message: "Resource not found" } };
    }
    let body: unknown;
    if (raw) {
      try {
        body = JSON.parse(raw);
      } catch {
        this.violations.push(`${method} ${path}: body is not JSON`);
        return { status: 400, body: { code: "error.badrequest", message: "Malformed JSON." } };
      }
    }
    const query = queryOf(url);
    const problems = this.validator.validateRequest(op, { method, path, query, headers, body });
    if (problems.length > 0) {
      this.violations.push(`${method} ${path}: request breaks the spec: ${problems.join("; ")}`);
      return { status: 422, body: { code: "validation.error", message: "Validation failed.", errors: problems.map((p) => ({ field: "request", message: p })) } };
    }
    const auth = headers.authorization ?? "";
    const token = auth.startsWith("Bearer ") ? auth.slice(7) : "";
    const expiresAt = this.validTokens.get(token);
    if (expiresAt === undefined || Date.now() >= expiresAt) return { status: 401, body: { code: "error.unauthorized", message: "Unauthorized." } };
    if (this.faults.tokenExpiryCountdown >= 0 && this.faults.tokenExpiryCountdown-- === 0) {
      this.validTokens.clear();
      return { status: 401, body: { code: "error.unauthorized", message: "Token expired." } };
    }
    this.settleTasks();
    const reply = routeRequest(this, op.operationId ?? "", op.path ?? "", path, url.searchParams, body);
    const answerProblems = this.validator.validateResponse(op, reply.status, reply.body);
    if (answerProblems.length > 0) {
      this.violations.push(`${method} ${path}: the fake's ${reply.status} answer breaks the spec: ${answerProblems.join("; ")}`);
      return { status: 500, body: { code: "fake.invalid", message: "The fake produced an answer outside the spec." } };
    }
    return reply;
  }
}

export { USER_ID };
