/**
 * A fake of Cloudflare's API v4 DNS records (and zone details) on 127.0.0.1, random port. Every
 * request is validated against the description excerpt (./openapi.json) and every answer the
 * fake gives too; whatever falls outside it is recorded in `violations` (a test asserts it is
 * empty) and answered with an error in Cloudflare's envelope. Bearer tokens are checked, with their
 * zone scopes (./tokens.ts). Zones can be made and deleted (POST /zones, DELETE /zones/{id}) with the
 * account-wide token; a subdomain zone is pending until its parent zone holds NS records naming its
 * name servers, as Cloudflare's subdomain setup activates it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Operation } from "openapi-backend";
import { ACCOUNT, CfError, FakeRecord, FakeZone, RecordFields, SeedZone, buildZone, conflict, createdZone, patched, recordBody, recordFrom, zoneBody } from "./model";
import { createValidator, type CfValidator } from "./spec";
import { closeLocal, readBody } from "../http";
import { IssuedToken, TokenBook, TokenPolicy, TokenScope, newToken } from "./tokens";

export const API_BASE = "/client/v4";
export const TOKEN_PATTERN = /^[0-9A-Za-z_-]{40,80}$/;

export interface FakeCloudflareOptions {
  readonly zones: readonly SeedZone[];
  /** The platform token (every zone). Default - a random one (see `token`). */
  readonly token?: string;
  /** Address to listen on. Default - 127.0.0.1 (a host container reaches the fake at its network's gateway). */
  readonly host?: string;
  /** The account has Subdomain Support (Enterprise), so a zone may be a subdomain of another. Default - true. */
  readonly subdomainZones?: boolean;
}

export interface LoggedCall {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly body?: unknown;
}

interface ZoneCreate {
  readonly account: { readonly id?: string };
  readonly name: string;
  readonly type?: string;
}

interface Reply {
  readonly status: number;
  readonly body: unknown;
}

const envelope = (result: unknown, extra: Record<string, unknown> = {}) => ({ success: true, errors: [], messages: [], result, ...extra });
const failure = (error: CfError): Reply => ({ status: error.status, body: { success: false, errors: [{ code: error.code, message: error.message }], messages: [], result: null } });

export class FakeCloudflare {
  readonly token: string;
  readonly zones = new Map<string, FakeZone>();
  readonly records = new Map<string, FakeRecord>();
  readonly log: LoggedCall[] = [];
  readonly violations: string[] = [];
  readonly tokens = new TokenBook();
  private baseUrl = "";
  private readonly http = createServer((req, res) => void this.handle(req, res));

  private zonesMade = 0;

  private constructor(private readonly validator: CfValidator, private readonly options: FakeCloudflareOptions) {
    this.token = options.token ?? newToken();
    if (!TOKEN_PATTERN.test(this.token)) throw new Error("fake Cloudflare: the token must match ^[0-9A-Za-z_-]{40,80}$");
    this.tokens.add(this.token, {});
    for (const seed of options.zones) {
      const zone = buildZone(seed);
      this.zones.set(zone.id, zone);
    }
  }

  static async start(options: FakeCloudflareOptions): Promise<FakeCloudflare> {
    const fake = new FakeCloudflare(await createValidator(), options);
    const host = options.host ?? "127.0.0.1";
    await new Promise<void>((resolve) => fake.http.listen(0, host, resolve));
    fake.baseUrl = `http://${host}:${(fake.http.address() as AddressInfo).port}`;
    return fake;
  }

  /** A token with Zone Read and DNS Write on exactly these zones (by id), as a tenant's credential. */
  issueZoneToken(zoneIds: readonly string[]): string {
    for (const id of zoneIds) if (!this.zones.has(id)) throw new Error(`fake Cloudflare: no zone ${id} to scope a token to`);
    const token = newToken();
    this.tokens.add(token, { zoneIds: new Set(zoneIds) });
    return token;
  }

  /** What a client takes as its base URL (`https://api.cloudflare.com/client/v4` for the real one). */
  get apiUrl(): string {
    return `${this.baseUrl}${API_BASE}`;
  }

  async stop(): Promise<void> {
    await closeLocal(this.http);
  }

  zoneByName(name: string): FakeZone {
    const zone = [...this.zones.values()].find((z) => z.name === name);
    if (!zone) throw new Error(`fake Cloudflare: no zone ${name}`);
    return zone;
  }

  recordsOf(zoneId: string): FakeRecord[] {
    return [...this.records.values()].filter((r) => r.zoneId === zoneId);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const raw = await readBody(req);
    const method = req.method ?? "GET";
    let body: unknown;
    let reply: Reply;
    try {
      body = raw ? JSON.parse(raw) : undefined;
      reply = this.answer(method, url, req.headers as Record<string, string>, body);
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      this.violations.push(`${method} ${url.pathname}: body is not JSON`);
      reply = failure({ status: 400, code: 6007, message: "Malformed JSON in request body" });
    }
    this.log.push({ method, path: url.pathname.slice(API_BASE.length) || url.pathname, status: reply.status, ...(body === undefined ? {} : { body }) });
    res.writeHead(reply.status, { "content-type": "application/json" });
    res.end(JSON.stringify(reply.body));
  }

  private answer(method: string, url: URL, headers: Record<string, string>, body: unknown): Reply {
    const where = `${method} ${url.pathname}`;
    if (!url.pathname.startsWith(`${API_BASE}/`)) {
      this.violations.push(`${where}: outside ${API_BASE}`);
      return failure({ status: 400, code: 7000, message: "No route for that URI" });
    }
    const path = url.pathname.slice(API_BASE.length);
    const op = this.validator.match(method, path);
    if (!op) {
      this.violations.push(`${where}: no such operation in the description`);
      return failure({ status: 400, code: 7000, message: "No route for that URI" });
    }
    const auth = headers.authorization ?? "";
    const token = auth.startsWith("Bearer ") ? auth.slice(7) : "";
    if (!TOKEN_PATTERN.test(token)) {
      // Never echo the header: it may hold a real token.
      this.violations.push(`${where}: Authorization is not "Bearer <token>" with a well-formed token`);
      return failure({ status: 400, code: 6003, message: "Invalid request headers" });
    }
    const problems = this.validator.validateRequest(op, { method, path, query: url.searchParams, headers, body });
    if (problems.length > 0) {
      this.violations.push(`${where}: request breaks the description: ${problems.join("; ")}`);
      return failure({ status: 400, code: 1004, message: `DNS Validation Error: ${problems[0]}` });
    }
    const scope = this.tokens.scopeOf(token);
    if (!scope) return failure({ status: 403, code: 10000, message: "Authentication error" });
    const reply = this.route(op, path, url.searchParams, body as RecordFields | undefined, scope);
    const answerProblems = this.validator.validateResponse(op, reply.status, reply.body);
    if (answerProblems.length > 0) {
      this.violations.push(`${where}: the fake's ${reply.status} answer breaks the description: ${answerProblems.join("; ")}`);
      return failure({ status: 500, code: 1000, message: "The fake produced an answer outside the description" });
    }
    return reply;
  }

  private route(op: Operation, path: string, query: URLSearchParams, fields: RecordFields | undefined, scope: TokenScope): Reply {
    this.activateDelegated();
    if (op.operationId === "zones-get") return { status: 200, ...this.listZones(query, scope) };
    if (op.operationId === "zones-post") return this.createZone(fields as unknown as ZoneCreate, scope);
    if (path.startsWith("/user/tokens")) return this.tokenRoute(op, path, fields as unknown as { name: string; policies: TokenPolicy[] }, scope);
    const [, , zoneId, , recordId] = path.split("/");
    // Outside the token's zones Cloudflare cannot tell the zone exists: the same refusal for both.
    if (!TokenBook.mayUseZone(scope, zoneId)) return failure({ status: 403, code: 10000, message: "Authentication error" });
    const zone = this.zones.get(zoneId);
    if (!zone) return failure({ status: 404, code: 7003, message: `Could not route to /zones/${zoneId}, perhaps your object identifier is invalid?` });
    const record = recordId === undefined ? undefined : this.records.get(recordId);
    const missing = recordId !== undefined && (!record || record.zoneId !== zone.id);
    if (missing) return failure({ status: 404, code: 81044, message: "Record does not exist." });

    switch (op.operationId) {
      case "zones-0-get":
        return { status: 200, body: envelope(zoneBody(zone)) };
      case "zones-0-delete":
        return this.deleteZone(zone, scope);
      case "dns-records-for-a-zone-list-dns-records":
        return { status: 200, ...this.list(zone, query) };
      case "dns-records-for-a-zone-create-dns-record":
        return this.store(recordFrom(zone, fields ?? {}));
      case "dns-records-for-a-zone-dns-record-details":
        return { status: 200, body: envelope(recordBody(record as FakeRecord)) };
      case "dns-records-for-a-zone-update-dns-record":
        return this.store(recordFrom(zone, fields ?? {}, record));
      case "dns-records-for-a-zone-patch-dns-record":
        return this.store(patched(zone, record as FakeRecord, fields ?? {}));
      case "dns-records-for-a-zone-delete-dns-record":
        this.records.delete((record as FakeRecord).id);
        return { status: 200, body: envelope({ id: (record as FakeRecord).id }) };
      default:
        this.violations.push(`${op.operationId ?? "?"}: described but not implemented by the fake`);
        return failure({ status: 501, code: 1000, message: "Not implemented by the fake" });
    }
  }

  private store(candidate: FakeRecord): Reply {
    const error = conflict(candidate, this.recordsOf(candidate.zoneId));
    if (error) return failure(error);
    this.records.set(candidate.id, candidate);
    this.activateDelegated();
    return { status: 200, body: envelope(recordBody(candidate)) };
  }

  /** The zone held here that `name` sits directly inside (the deepest), if any. */
  parentOf(name: string): FakeZone | undefined {
    return [...this.zones.values()].filter((z) => name.endsWith(`.${z.name}`)).sort((a, b) => b.name.length - a.name.length)[0];
  }

  /** Cloudflare's activation check for subdomain zones: the parent zone delegates to the zone's own name servers. */
  private activateDelegated(): void {
    for (const zone of this.zones.values()) {
      if (zone.status !== "pending") continue;
      const parent = this.parentOf(zone.name);
      if (!parent) continue;
      const ns = new Set(this.recordsOf(parent.id).filter((r) => r.type === "NS" && r.name === zone.name).map((r) => r.content.toLowerCase().replace(/\.$/, "")));
      if (zone.nameServers.every((n) => ns.has(n))) {
        zone.status = "active";
        zone.activatedOn = new Date().toISOString();
      }
    }
  }

  /** POST /zones: Zone Edit belongs to the account-wide token only; a tenant token holds Zone Read and DNS Write. */
  private createZone(body: ZoneCreate, scope: TokenScope): Reply {
    if (scope.zoneIds !== undefined) return failure({ status: 403, code: 10000, message: "Authentication error" });
    if (body.account.id !== undefined && body.account.id !== ACCOUNT.id) return failure({ status: 403, code: 10000, message: "Authentication error" });
    const name = body.name.toLowerCase().replace(/\.$/, "");
    if ([...this.zones.values()].some((z) => z.name === name)) return failure({ status: 400, code: 1061, message: `${name} already exists` });
    const parent = this.parentOf(name);
    // The refusal's code is the fake's own: Cloudflare's for a missing entitlement is not in its description.
    if (parent && this.options.subdomainZones === false) {
      return failure({ status: 400, code: 1099, message: `${name} is a subdomain of ${parent.name}: subdomain zones need the Subdomain Support entitlement` });
    }
    const zone = createdZone(name, this.zonesMade++, parent?.nameServers ?? []);
    this.zones.set(zone.id, zone);
    return { status: 200, body: envelope(zoneBody(zone)) };
  }

  /** DELETE /zones/{id}: the zone and every record in it. */
  private deleteZone(zone: FakeZone, scope: TokenScope): Reply {
    if (scope.zoneIds !== undefined) return failure({ status: 403, code: 10000, message: "Authentication error" });
    for (const record of this.recordsOf(zone.id)) this.records.delete(record.id);
    this.zones.delete(zone.id);
    return { status: 200, body: envelope({ id: zone.id }) };
  }

  /** API tokens: only an account-wide token (the platform's, holding API Tokens Write) manages them. */
  private tokenRoute(op: Operation, path: string, body: { name: string; policies: TokenPolicy[] } | undefined, scope: TokenScope): Reply {
    if (scope.zoneIds !== undefined) return failure({ status: 403, code: 10000, message: "Authentication error" });
    const tokenBody = (t: IssuedToken, withValue: boolean) => ({
      id: t.id, name: t.name, status: "active", issued_on: t.issuedOn, modified_on: t.issuedOn, policies: t.policies, ...(withValue ? { value: t.value } : {}),
    });
    if (op.operationId === "user-api-tokens-create-token") {
      const issued = this.tokens.issue(body?.name ?? "", body?.policies ?? []);
      return { status: 200, body: envelope(tokenBody(issued, true)) };
    }
    const id = decodeURIComponent(path.split("/")[3] ?? "");
    const token = this.tokens.issued.get(id);
    // Cloudflare's code for an unknown token id is not in its description: 1003 is the fake's own.
    if (!token) return failure({ status: 404, code: 1003, message: "Token not found" });
    if (op.operationId === "user-api-tokens-delete-token") {
      this.tokens.revoke(id);
      return { status: 200, body: envelope({ id }) };
    }
    return { status: 200, body: envelope(tokenBody(token, false)) };
  }

  /** GET /zones: the zones the token may read, by exact name when asked. */
  private listZones(query: URLSearchParams, scope: TokenScope): { body: unknown } {
    const name = query.get("name")?.toLowerCase();
    const all = [...this.zones.values()].filter((z) => TokenBook.mayUseZone(scope, z.id) && (name === undefined || z.name === name));
    return { body: paged(all, query, 20, zoneBody) };
  }

  private list(zone: FakeZone, query: URLSearchParams): { body: unknown } {
    const filters: Array<(r: FakeRecord) => boolean> = [];
    const name = query.get("name");
    if (name !== null) filters.push((r) => r.name === name.toLowerCase());
    const type = query.get("type");
    if (type !== null) filters.push((r) => r.type === type);
    const content = query.get("content");
    if (content !== null) filters.push((r) => r.content === content);
    const proxied = query.get("proxied");
    if (proxied !== null) filters.push((r) => String(r.proxied) === proxied);
    const any = query.get("match") === "any";
    const all = this.recordsOf(zone.id).filter((r) => filters.length === 0 || (any ? filters.some((f) => f(r)) : filters.every((f) => f(r))));
    return { body: paged(all, query, 100, recordBody) };
  }
}

/** One page of a listing, as the v4 API envelopes it (`result_info`), by `page` and `per_page`. */
function paged<T>(all: T[], query: URLSearchParams, defaultPerPage: number, toBody: (item: T) => unknown): unknown {
  const perPage = Number(query.get("per_page") ?? defaultPerPage);
  const page = Number(query.get("page") ?? 1);
  const slice = all.slice((page - 1) * perPage, page * perPage);
  return envelope(slice.map(toBody), {
    result_info: { page, per_page: perPage, count: slice.length, total_count: all.length, total_pages: Math.max(1, Math.ceil(all.length / perPage)) },
  });
}
