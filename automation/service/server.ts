/**
 * The Hub-facing HTTP service (fastify): orders in, jobs out, progress as Server-Sent Events.
 *   POST   /v1/tenants              an order -> 202 { jobId }
 *   GET    /v1/jobs/{id}            the job record
 *   GET    /v1/jobs/{id}/events     the job's events as SSE (Last-Event-ID resumes)
 *   DELETE /v1/tenants/{slug}       destroy; needs `X-Confirm-Slug: {slug}` -> 202 { jobId }
 *   GET    /healthz, /readyz        liveness and readiness, without auth and without details
 * Every other route needs `Authorization: Bearer <token>`.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import Fastify, { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { InvalidInputError, SLUG_PATTERN } from "../../tenants/schema";
import { OrderFlow } from "../orders/flow";
import { SlugConflictError } from "../orders/errors";
import { KeyedLock } from "../orders/limits";
import { parseOrder } from "../orders/schema";
import { TenantStore } from "../orders/store";
import { JobManager, JobRecord } from "./jobs";

export interface ServiceOptions {
  readonly flow: OrderFlow;
  readonly store: TenantStore;
  readonly jobs: JobManager;
  /** Bearer token the Hub presents (secret); at least 32 characters. */
  readonly token: string;
  /** Log requests as JSON lines (never bodies, never the Authorization header). Default - false. */
  readonly logger?: boolean;
  /** Where log lines go. Default - standard output. */
  readonly logStream?: NodeJS.WritableStream;
  /** Open event streams allowed per bearer token. Default - 16. */
  readonly maxStreamsPerToken?: number;
  /** Open event streams allowed in total. Default - 64. */
  readonly maxStreams?: number;
}

export const STREAM_LIMITS = { perToken: 16, total: 64 } as const;

/** Routes answered without a token: they say only whether the process is up and ready. */
const OPEN_ROUTES = new Set(["/healthz", "/readyz"]);

/** Interval of SSE keep-alive comments, ms. */
const KEEP_ALIVE_MS = 15_000;

/** Bodies larger than this are refused, bytes. */
const BODY_LIMIT = 64 * 1024;

export function buildService(options: ServiceOptions): FastifyInstance {
  if (options.token.length < 32) throw new Error("service token must be at least 32 characters");
  const app = Fastify({
    logger: options.logger
      ? { redact: ["req.headers.authorization", "req.headers.cookie"], ...(options.logStream ? { stream: options.logStream } : {}) }
      : false,
    bodyLimit: BODY_LIMIT,
  });
  const expected = Buffer.from(options.token);
  const streams = new StreamCounter(options.maxStreamsPerToken ?? STREAM_LIMITS.perToken, options.maxStreams ?? STREAM_LIMITS.total);
  // Check-then-submit for one slug runs under one lock: a second order for the slug sees the first.
  const admission = new KeyedLock();

  app.get("/healthz", async (_request, reply) => reply.send({ status: "ok" }));
  app.get("/readyz", async (_request, reply) => (options.jobs.ready
    ? reply.send({ status: "ready" })
    : reply.code(503).send({ status: "not_ready" })));

  app.addHook("onRequest", async (request, reply) => {
    if (request.method === "GET" && OPEN_ROUTES.has(request.url.split("?")[0] ?? "")) return;
    const header = request.headers.authorization ?? "";
    const match = /^Bearer (.+)$/.exec(header);
    const given = Buffer.from(match?.[1] ?? "");
    if (!match || given.length !== expected.length || !timingSafeEqual(given, expected)) {
      reply.header("WWW-Authenticate", 'Bearer realm="letsbe-automation"');
      return reply.code(401).send({ error: "unauthorized", reason: "a valid bearer token is required" });
    }
  });

  app.setErrorHandler((error: { statusCode?: number; message: string }, _request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    const kind = status === 500 ? "internal" : status === 413 ? "payload_too_large" : "bad_request";
    const reason = status === 500 ? "internal error" : status === 413 ? `the body is larger than ${BODY_LIMIT} bytes` : options.flow.scrub(error.message);
    return reply.code(status).send({ error: kind, reason });
  });

  app.post("/v1/tenants", async (request, reply) => {
    if (!/^application\/json\b/.test(request.headers["content-type"] ?? "")) {
      return reply.code(415).send({ error: "unsupported_media_type", reason: "send the order as application/json" });
    }
    let order;
    try {
      order = parseOrder(request.body);
    } catch (error) {
      if (error instanceof InvalidInputError) return reply.code(400).send({ error: "invalid_order", problems: error.problems });
      throw error;
    }
    const admitted = order;
    return admission.run(admitted.spec.slug, async () => {
      const running = options.jobs.activeFor(admitted.orderId);
      if (running) return accepted(reply, running);
      const other = options.jobs.activeProvision(admitted.spec.slug);
      if (other) {
        return reply.code(409).send({ error: "slug_taken", reason: `order ${admitted.orderId}: slug "${admitted.spec.slug}" is being provisioned for order ${other.orderId}` });
      }
      try {
        await options.flow.admit(admitted);
      } catch (error) {
        if (error instanceof SlugConflictError) return reply.code(409).send({ error: "slug_taken", reason: error.message });
        // Only the order's own problems are the client's; a damaged record on our side stays a 500.
        if (error instanceof InvalidInputError && error.problems.every((p) => p.source === `order ${admitted.orderId}`)) {
          return reply.code(400).send({ error: "invalid_order", problems: error.problems });
        }
        throw error;
      }
      return accepted(reply, options.jobs.submitProvision(request.body, admitted));
    });
  });

  app.get<{ Params: { id: string } }>("/v1/jobs/:id", async (request, reply) => {
    const job = options.jobs.get(request.params.id);
    if (!job) return reply.code(404).send({ error: "not_found", reason: `no job ${request.params.id}` });
    return reply.send(job);
  });

  app.get<{ Params: { id: string } }>("/v1/jobs/:id/events", (request, reply) => streamEvents(options.jobs, streams, request, reply));

  app.delete<{ Params: { slug: string } }>("/v1/tenants/:slug", async (request, reply) => {
    const { slug } = request.params;
    if (!SLUG_PATTERN.test(slug)) return reply.code(400).send({ error: "invalid_slug", reason: `"${slug}" is not a tenant slug` });
    const confirmation = request.headers["x-confirm-slug"];
    if (confirmation !== slug) {
      return reply.code(400).send({ error: "confirmation_required", reason: `repeat the slug in the X-Confirm-Slug header to destroy ${slug}` });
    }
    const running = options.jobs.activeDestroy(slug);
    if (running) return accepted(reply, running);
    const record = await options.store.get(slug);
    if (!record || record.status !== "active") return reply.code(404).send({ error: "not_found", reason: `no active tenant "${slug}"` });
    return accepted(reply, options.jobs.submitDestroy(slug));
  });

  return app;
}

function accepted(reply: FastifyReply, job: JobRecord) {
  return reply.code(202).header("Location", `/v1/jobs/${job.id}`).send({ jobId: job.id, status: job.status, events: `/v1/jobs/${job.id}/events` });
}

/** Open event streams per token (by digest, so the token is not kept as a key) and in total. */
class StreamCounter {
  private readonly open = new Map<string, number>();
  private total = 0;
  constructor(private readonly perToken: number, private readonly max: number) {}

  /** Takes a slot, or returns undefined when a cap is reached; the function gives it back. */
  take(token: string): (() => void) | undefined {
    const key = createHash("sha256").update(token).digest("hex");
    const mine = this.open.get(key) ?? 0;
    if (mine >= this.perToken || this.total >= this.max) return undefined;
    this.open.set(key, mine + 1);
    this.total += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total -= 1;
      const left = (this.open.get(key) ?? 1) - 1;
      if (left > 0) this.open.set(key, left);
      else this.open.delete(key);
    };
  }
}

function streamEvents(jobs: JobManager, streams: StreamCounter, request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply): void {
  const job = jobs.get(request.params.id);
  if (!job) {
    void reply.code(404).send({ error: "not_found", reason: `no job ${request.params.id}` });
    return;
  }
  const release = streams.take(request.headers.authorization ?? "");
  if (!release) {
    void reply.code(429).header("Retry-After", "30").send({ error: "too_many_streams", reason: "too many open event streams; close one or retry later" });
    return;
  }
  const last = Number.parseInt(String(request.headers["last-event-id"] ?? ""), 10);
  const from = Number.isInteger(last) && last >= 0 ? last + 1 : 0;
  reply.hijack();
  const out = reply.raw;
  out.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache", Connection: "keep-alive" });
  // A comment now and then keeps proxies from closing a stream through a long `up`.
  const keepAlive = setInterval(() => out.write(": keep-alive\n\n"), KEEP_ALIVE_MS);
  const unsubscribe = jobs.subscribe(job.id, from, (event, index) => {
    out.write(`id: ${index}\nevent: ${event.state === "FAILED" ? "failed" : "progress"}\ndata: ${JSON.stringify(event)}\n\n`);
  }, () => {
    clearInterval(keepAlive);
    const final = jobs.get(job.id) as JobRecord;
    out.write(`event: end\ndata: ${JSON.stringify({ status: final.status, state: final.state, reason: final.reason })}\n\n`);
    out.end();
  });
  request.raw.on("close", () => {
    clearInterval(keepAlive);
    unsubscribe();
  });
  // The response closes when the stream ends or the client goes: either frees the slot.
  out.on("close", release);
}
