/**
 * Client of the Netcup Server Control Panel REST API (base path `/scp-core`). Refresh-token grant
 * against the Keycloak realm `scp` (client `scp`); access tokens cached until shortly before they
 * expire and renewed once on a 401. Retries with exponential backoff and full jitter on network
 * errors, 429 (honouring `Retry-After`) and 5xx, but only for calls that are safe to repeat: a
 * call that may have been accepted is never blindly repeated (429 is a refusal, so it is).
 *
 * Serialized into the dynamic provider with its closure: no module-level state, Node built-ins
 * and `zod` required where used, secrets never put into messages.
 */
import {
  isNamedError, scpApiError, scpAuthError, scpNetworkError, scpResponseError, scpTaskError, scpTaskTimeoutError, type ScpApiError,
} from "./errors";
import type { ScpImageFlavour, ScpSchemas, ScpServer, ScpServerMinimal, ScpSshKey, ScpTask } from "./schemas";
import { scpSchemas } from "./schemas";
import { type ScpSnapshot, type ScpSnapshotProblem, type ScpSnapshotServer, scpSnapshotSchemas } from "./snapshotSchemas";

export interface ScpClientOptions {
  /** API base including `/scp-core`, e.g. `https://www.servercontrolpanel.de/scp-core`. */
  readonly apiUrl: string;
  /** Token endpoint of the realm `scp`. */
  readonly tokenUrl: string;
  /** Offline refresh token (secret; never logged). */
  readonly refreshToken: string;
  /** OIDC client id. Default - `scp`. */
  readonly clientId?: string;
  /** Attempts per call, first one included. Default - 6. */
  readonly maxAttempts?: number;
  /** First backoff step, ms; doubles per attempt, with full jitter. Default - 500. */
  readonly backoffBaseMs?: number;
  /** Cap of one backoff wait, ms (a `Retry-After` from the API is honoured up to 2 min). Default - 30000. */
  readonly backoffMaxMs?: number;
  /** Timeout of one HTTP request, ms. Default - 30000. */
  readonly requestTimeoutMs?: number;
  /** Interval between task polls, ms. Default - 5000. */
  readonly taskPollMs?: number;
  /** Overall time a task may take, ms. Default - 1800000 (an image install takes minutes). */
  readonly taskTimeoutMs?: number;
}

interface RequestSpec {
  readonly method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  readonly path: string;
  readonly query?: Record<string, string | number | boolean | undefined>;
  readonly body?: unknown;
  /** Content type of the body. Default - `application/json`. */
  readonly contentType?: string;
  /** Safe to repeat after a 5xx or a lost answer. */
  readonly idempotent: boolean;
  /** One attempt only, not even repeated after a 429 (only a 401 is, once, with a new token). */
  readonly once?: boolean;
  /** Statuses that count as success. */
  readonly expect: readonly number[];
}

interface Answer {
  readonly status: number;
  readonly body: unknown;
}

/** Reads `Retry-After` (seconds or an HTTP date) as ms; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Full-jitter exponential backoff: uniform in [0, min(max, base * 2^attempt)]. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number): number {
  return Math.floor(Math.random() * Math.min(maxMs, baseMs * 2 ** attempt));
}

/** Errors of `fetch` that happen before the request left (nothing can have been accepted). */
function refusedBeforeSending(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string } } | undefined)?.cause;
  return ["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "UND_ERR_CONNECT_TIMEOUT"].includes(cause?.code ?? "");
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Fields get their values in the constructor only: Pulumi's closure serializer keeps constructor
 * bodies but drops class-field initializers.
 */
export class ScpClient {
  private readonly options: Required<ScpClientOptions>;
  private readonly schemas: ScpSchemas;
  private accessToken: string | undefined;
  private accessTokenExpiresAt: number;
  private tokenRequest: Promise<string> | undefined;
  private userIdValue: number | undefined;

  constructor(options: ScpClientOptions) {
    this.accessToken = undefined;
    this.accessTokenExpiresAt = 0;
    this.tokenRequest = undefined;
    this.userIdValue = undefined;
    this.options = {
      clientId: "scp", maxAttempts: 6, backoffBaseMs: 500, backoffMaxMs: 30_000, requestTimeoutMs: 30_000,
      taskPollMs: 5_000, taskTimeoutMs: 1_800_000,
      ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
    } as Required<ScpClientOptions>;
    this.schemas = scpSchemas();
  }

  // ---- servers -------------------------------------------------------------------------------

  /** `GET /api/v1/servers`; `q` searches name, nickname and IPv4 addresses, `name` is the exact server name. */
  async listServers(filter: { readonly q?: string; readonly name?: string } = {}): Promise<ScpServerMinimal[]> {
    const answer = await this.call({ method: "GET", path: "/api/v1/servers", query: { q: filter.q, name: filter.name }, idempotent: true, expect: [200] });
    return this.parse(this.schemas.serverList, answer, "GET", "/api/v1/servers");
  }

  /** `GET /api/v1/servers/{id}`; undefined when the server does not exist (404). */
  async getServer(id: number, liveInfo = true): Promise<ScpServer | undefined> {
    const path = `/api/v1/servers/${id}`;
    try {
      const answer = await this.call({ method: "GET", path, query: { loadServerLiveInfo: liveInfo }, idempotent: true, expect: [200] });
      return this.parse(this.schemas.server, answer, "GET", path);
    } catch (error) {
      if (isNamedError(error, "ScpApiError") && (error as ScpApiError).status === 404) return undefined;
      throw error;
    }
  }

  /** `PATCH /api/v1/servers/{id}` with the hostname (merge patch); waits for the task when one starts. */
  async patchServer(id: number, attribute: { readonly hostname: string }): Promise<void> {
    const path = `/api/v1/servers/${id}`;
    // Setting the hostname to a value is idempotent, so it may be repeated.
    const answer = await this.call({ method: "PATCH", path, body: attribute, contentType: "application/merge-patch+json", idempotent: true, expect: [200, 202] });
    if (answer.status === 202) await this.waitForTask(this.parse(this.schemas.task, answer, "PATCH", path));
  }

  /**
   * One nickname PATCH, never repeated here (not even after a 429): the nickname is the pool's
   * ownership marker, and a repeat landing late could overwrite a claim someone made meanwhile.
   * The caller reads the server again after any failure (see ./claim).
   */
  async setNicknameOnce(id: number, nickname: string): Promise<void> {
    const path = `/api/v1/servers/${id}`;
    const answer = await this.call({ method: "PATCH", path, body: { nickname }, contentType: "application/merge-patch+json", idempotent: false, once: true, expect: [200, 202] });
    if (answer.status === 202) await this.waitForTask(this.parse(this.schemas.task, answer, "PATCH", path));
  }

  async imageFlavours(id: number): Promise<ScpImageFlavour[]> {
    const path = `/api/v1/servers/${id}/imageflavours`;
    return this.parse(this.schemas.imageFlavours, await this.call({ method: "GET", path, idempotent: true, expect: [200] }), "GET", path);
  }

  /**
   * `POST /api/v1/servers/{id}/image`: wipes the disk and installs the flavour. Not repeated on a
   * lost answer or 5xx (a second install could start); the task's result (root password) is dropped.
   */
  async installImage(id: number, setup: { imageFlavourId: number; hostname: string; sshKeyIds: number[] }): Promise<ScpTask> {
    const path = `/api/v1/servers/${id}/image`;
    const body = { imageFlavourId: setup.imageFlavourId, hostname: setup.hostname, sshKeyIds: setup.sshKeyIds, sshPasswordAuthentication: false, rootPartitionFullDiskSize: true };
    const answer = await this.call({ method: "POST", path, body, idempotent: false, expect: [202] });
    return this.waitForTask(this.parse(this.schemas.task, answer, "POST", path));
  }

  // ---- snapshots -----------------------------------------------------------------------------

  /** The server as a snapshot sees it: UEFI (no online snapshot then), its disks, its site. */
  async snapshotServer(id: number): Promise<ScpSnapshotServer> {
    const path = `/api/v1/servers/${id}`;
    return this.parse(scpSnapshotSchemas().server, await this.call({ method: "GET", path, idempotent: true, expect: [200] }), "GET", path);
  }

  async snapshots(id: number): Promise<ScpSnapshot[]> {
    const path = `/api/v1/servers/${id}/snapshots`;
    return this.parse(scpSnapshotSchemas().snapshots, await this.call({ method: "GET", path, idempotent: true, expect: [200] }), "GET", path);
  }

  /** `POST .../snapshots:dryrun`: what a create with these options would be refused for (empty: possible). */
  async snapshotDryRun(id: number, mode: { onlineSnapshot: boolean; diskName?: string }): Promise<ScpSnapshotProblem[]> {
    const path = `/api/v1/servers/${id}/snapshots:dryrun`;
    return this.parse(scpSnapshotSchemas().problems, await this.call({ method: "POST", path, body: mode, idempotent: true, expect: [200, 400] }), "POST", path);
  }

  /** Starts a snapshot and waits for its task; not repeated blindly (the caller lists the snapshots after a failure). */
  async createSnapshot(id: number, snapshot: { name: string; description: string; onlineSnapshot: boolean; diskName?: string }): Promise<ScpTask> {
    const path = `/api/v1/servers/${id}/snapshots`;
    const answer = await this.call({ method: "POST", path, body: snapshot, idempotent: false, expect: [202] });
    return this.waitForTask(this.parse(this.schemas.task, answer, "POST", path));
  }

  async deleteSnapshot(id: number, name: string): Promise<ScpTask> {
    const path = `/api/v1/servers/${id}/snapshots/${encodeURIComponent(name)}`;
    return this.waitForTask(this.parse(this.schemas.task, await this.call({ method: "DELETE", path, idempotent: true, expect: [202] }), "DELETE", path));
  }

  /** Puts the server's disk back to the snapshot; never repeated on a lost answer. */
  async revertSnapshot(id: number, name: string): Promise<ScpTask> {
    const path = `/api/v1/servers/${id}/snapshots/${encodeURIComponent(name)}/revert`;
    return this.waitForTask(this.parse(this.schemas.task, await this.call({ method: "POST", path, idempotent: false, expect: [202] }), "POST", path));
  }

  // ---- ssh keys ------------------------------------------------------------------------------

  async sshKeys(): Promise<ScpSshKey[]> {
    const path = `/api/v1/users/${await this.userId()}/ssh-keys`;
    return this.parse(this.schemas.sshKeys, await this.call({ method: "GET", path, idempotent: true, expect: [200] }), "GET", path);
  }

  /** Creates a key; not repeated blindly: after a lost answer the caller looks the key up again. */
  async createSshKey(name: string, key: string): Promise<ScpSshKey> {
    const path = `/api/v1/users/${await this.userId()}/ssh-keys`;
    const answer = await this.call({ method: "POST", path, body: { name, key }, idempotent: false, expect: [200, 201] });
    return this.parse(this.schemas.sshKey, answer, "POST", path);
  }

  // ---- rDNS ----------------------------------------------------------------------------------

  async setRdnsIpv4(ip: string, rdns: string): Promise<void> {
    await this.call({ method: "POST", path: "/api/v1/rdns/ipv4", body: { ip, rdns }, idempotent: true, expect: [200, 204] });
  }

  /** Resets the IPv4 rDNS to the provider default; a missing entry counts as reset. */
  async deleteRdnsIpv4(ip: string): Promise<void> {
    try {
      await this.call({ method: "DELETE", path: `/api/v1/rdns/ipv4/${ip}`, idempotent: true, expect: [200, 204] });
    } catch (error) {
      if (!(isNamedError(error, "ScpApiError") && (error as ScpApiError).status === 404)) throw error;
    }
  }

  // ---- tasks ---------------------------------------------------------------------------------

  /** Polls `GET /api/v1/tasks/{uuid}` until the task ends; throws on ERROR, CANCELED, ROLLBACK or timeout. */
  async waitForTask(task: ScpTask): Promise<ScpTask> {
    const deadline = Date.now() + this.options.taskTimeoutMs;
    let current = task;
    for (;;) {
      if (current.state === "FINISHED") return current;
      if (current.state === "ERROR" || current.state === "CANCELED" || current.state === "ROLLBACK") {
        const detail = current.responseError?.message ?? current.message ?? "";
        throw scpTaskError(current.uuid, current.name, current.state, detail);
      }
      if (Date.now() >= deadline) throw scpTaskTimeoutError(current.uuid, current.name, this.options.taskTimeoutMs, current.state);
      await sleep(Math.min(this.options.taskPollMs, Math.max(0, deadline - Date.now())));
      const path = `/api/v1/tasks/${current.uuid}`;
      current = this.parse(this.schemas.task, await this.call({ method: "GET", path, idempotent: true, expect: [200] }), "GET", path);
    }
  }

  // ---- identity and tokens -------------------------------------------------------------------

  /** The SCP user id, read from the access token's `id` claim. */
  async userId(): Promise<number> {
    if (this.userIdValue === undefined) {
      const token = await this.token(false);
      const payload = token.split(".")[1] ?? "";
      let claims: unknown;
      try {
        claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
      } catch {
        claims = undefined;
      }
      const parsed = this.schemas.accessTokenClaims.safeParse(claims);
      if (!parsed.success) throw scpResponseError("POST", "token endpoint", "the access token carries no numeric `id` claim (the SCP user id)");
      this.userIdValue = parsed.data.id;
    }
    return this.userIdValue;
  }

  private async token(forceRefresh: boolean): Promise<string> {
    // Renew 30 s before expiry so a token never runs out in flight.
    if (!forceRefresh && this.accessToken && Date.now() < this.accessTokenExpiresAt - 30_000) return this.accessToken;
    if (forceRefresh) this.accessToken = undefined;
    // One refresh at a time; concurrent callers share it.
    this.tokenRequest ??= this.refreshAccessToken().finally(() => {
      this.tokenRequest = undefined;
    });
    return this.tokenRequest;
  }

  private async refreshAccessToken(): Promise<string> {
    const form = new URLSearchParams({ grant_type: "refresh_token", client_id: this.options.clientId, refresh_token: this.options.refreshToken });
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await fetch(this.options.tokenUrl, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
          body: form.toString(),
          signal: AbortSignal.timeout(this.options.requestTimeoutMs),
        });
      } catch (error) {
        // A refresh grant is safe to repeat.
        if (attempt + 1 >= this.options.maxAttempts) throw scpNetworkError("POST", "token endpoint", describeFetchError(error), false);
        await sleep(backoffMs(attempt, this.options.backoffBaseMs, this.options.backoffMaxMs));
        continue;
      }
      const body = await readBody(response);
      if (response.ok) {
        const parsed = this.schemas.tokenAnswer.safeParse(body);
        if (!parsed.success) throw scpResponseError("POST", "token endpoint", "no access_token in the answer");
        this.accessToken = parsed.data.access_token;
        this.accessTokenExpiresAt = Date.now() + parsed.data.expires_in * 1000;
        return parsed.data.access_token;
      }
      if ((response.status === 429 || response.status >= 500) && attempt + 1 < this.options.maxAttempts) {
        await sleep(this.retryWait(attempt, response));
        continue;
      }
      const detail = this.schemas.tokenError.safeParse(body);
      const [error, description] = detail.success ? [detail.data.error, detail.data.error_description] : ["", ""];
      // Out of retries on a busy or failing endpoint is not a bad token.
      if (response.status === 429 || response.status >= 500) throw scpApiError("POST", "token endpoint", response.status, error, description);
      throw scpAuthError(response.status, error, description);
    }
  }

  // ---- transport -----------------------------------------------------------------------------

  /** The API's `Retry-After` when it sent one (bounded to 2 min), else our own backoff. */
  private retryWait(attempt: number, response: Response): number {
    const hinted = retryAfterMs(response.headers.get("retry-after"), Date.now());
    return hinted !== undefined ? Math.min(hinted, 120_000) : backoffMs(attempt, this.options.backoffBaseMs, this.options.backoffMaxMs);
  }

  private url(spec: RequestSpec): string {
    const url = new URL(this.options.apiUrl.replace(/\/+$/, "") + spec.path);
    for (const [key, value] of Object.entries(spec.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    return url.toString();
  }

  /** One API call with auth, retries and error mapping. */
  private async call(spec: RequestSpec): Promise<Answer> {
    let renewedAfter401 = false;
    for (let attempt = 0; ; attempt++) {
      const token = await this.token(false);
      const headers: Record<string, string> = { accept: "application/json", authorization: `Bearer ${token}` };
      if (spec.body !== undefined) headers["content-type"] = spec.contentType ?? "application/json";
      const last = spec.once === true || attempt + 1 >= this.options.maxAttempts;
      let response: Response;
      try {
        response = await fetch(this.url(spec), {
          method: spec.method,
          headers,
          body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
          signal: AbortSignal.timeout(this.options.requestTimeoutMs),
        });
      } catch (error) {
        const safe = spec.idempotent || refusedBeforeSending(error);
        if (!safe || last) throw scpNetworkError(spec.method, spec.path, describeFetchError(error), !safe);
        await sleep(backoffMs(attempt, this.options.backoffBaseMs, this.options.backoffMaxMs));
        continue;
      }
      if (spec.expect.includes(response.status)) return { status: response.status, body: await readBody(response) };
      if (response.status === 401 && !renewedAfter401) {
        // The token ran out mid-operation: a 401 was not acted on, so renew and repeat once.
        await readBody(response);
        renewedAfter401 = true;
        await this.token(true);
        attempt--;
        continue;
      }
      const retryable = response.status === 429 || (response.status >= 500 && spec.idempotent);
      if (retryable && !last) {
        await readBody(response);
        await sleep(this.retryWait(attempt, response));
        continue;
      }
      const retryAfter = retryAfterMs(response.headers.get("retry-after"), Date.now());
      throw this.apiError(spec, response.status, await readBody(response), retryAfter);
    }
  }

  private apiError(spec: RequestSpec, status: number, body: unknown, retryAfter?: number): ScpApiError {
    // Some endpoints answer with a list of errors; the first one speaks for the call.
    const first = Array.isArray(body) ? body[0] : body;
    const parsed = this.schemas.errorBody.safeParse(first);
    const detail = parsed.success ? parsed.data : {};
    return scpApiError(spec.method, spec.path, status, detail.code ?? "", detail.message ?? "", detail.errors ?? [], retryAfter);
  }

  private parse<T>(schema: { safeParse(value: unknown): { success: true; data: T } | { success: false; error: { issues: Array<{ path: PropertyKey[]; message: string }> } } }, answer: Answer, method: string, path: string): T {
    const result = schema.safeParse(answer.body);
    if (result.success) return result.data;
    const issue = result.error.issues[0];
    throw scpResponseError(method, path, issue ? `${issue.path.map(String).join(".") || "(root)"}: ${issue.message}` : "invalid");
  }
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: string } } | undefined)?.cause;
  if (cause?.code) return cause.code;
  if (error instanceof Error && error.name === "TimeoutError") return "request timed out";
  return error instanceof Error ? error.name : "unknown error";
}
