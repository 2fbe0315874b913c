/**
 * Jobs of the Hub-facing service, journaled to disk: one JSON file per job, replaced
 * atomically on every change. After a restart, unfinished jobs are resumed (operations are
 * idempotent) or marked interrupted, never forgotten. Records hold no secrets: orders carry
 * none and events are scrubbed by the order flow.
 */
import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { OperationOutcome, OrderFlow } from "../orders/flow";
import { reasonOf } from "../orders/errors";
import { Order, parseOrder } from "../orders/schema";
import { OrderEvent, OrderState } from "../orders/states";

export type JobStatus = "queued" | "running" | "succeeded" | "failed" | "interrupted";
export const FINAL_STATUSES: readonly JobStatus[] = ["succeeded", "failed", "interrupted"];

export interface JobRecord {
  readonly id: string;
  readonly kind: "provision" | "destroy";
  readonly slug: string;
  readonly orderId: string;
  status: JobStatus;
  state?: OrderState;
  failedStep?: string;
  reason?: string;
  outputs?: Record<string, unknown>;
  /** The order as received (provision jobs), kept to resume the job after a restart. */
  readonly order?: unknown;
  readonly createdAt: string;
  updatedAt: string;
  /** How many times a restart picked this job up again. */
  resumed: number;
  /** The newest events, at most `maxEvents`; the first one kept has index `droppedEvents`. */
  readonly events: OrderEvent[];
  /** Events dropped from the front to keep the record bounded. */
  droppedEvents?: number;
}

export interface JobManagerOptions {
  readonly flow: OrderFlow;
  /** Folder of the job files. */
  readonly dir: string;
  /** What a restart does with unfinished jobs. Default - `resume`. */
  readonly onRestart?: "resume" | "interrupt";
  /** Finished jobs kept (memory and journal), newest first. Default - 1000. */
  readonly keepFinished?: number;
  /** Finished jobs older than this are dropped, ms. Default - 7 days. */
  readonly keepFinishedMs?: number;
  /** Events kept per job (the newest). Default - 500. */
  readonly maxEvents?: number;
}

export const JOB_RETENTION = { keepFinished: 1000, keepFinishedMs: 7 * 24 * 3600_000, maxEvents: 500 } as const;

export class JobManager {
  private readonly jobs = new Map<string, JobRecord>();
  private readonly bus = new EventEmitter();
  private closed = false;
  private recovered = false;

  constructor(private readonly options: JobManagerOptions) {
    mkdirSync(options.dir, { recursive: true });
    this.bus.setMaxListeners(0);
  }

  /** Loads the journal and deals with jobs a previous process left unfinished. */
  recover(): void {
    for (const file of readdirSync(this.options.dir).filter((f) => f.endsWith(".json")).sort()) {
      const job = JSON.parse(readFileSync(join(this.options.dir, file), "utf8")) as JobRecord;
      this.jobs.set(job.id, job);
      if (FINAL_STATUSES.includes(job.status)) continue;
      if ((this.options.onRestart ?? "resume") === "interrupt") {
        this.finish(job, { status: "interrupted", reason: "the service restarted while this job ran; submit the order again to converge" });
        continue;
      }
      job.resumed += 1;
      this.record(job, { orderId: job.orderId, slug: job.slug, state: job.state ?? "AWAITING_SERVER", step: "program", message: "service restarted: job resumed", at: new Date().toISOString() });
      this.start(job);
    }
    this.prune();
    this.recovered = true;
  }

  /** The journal has been read and unfinished jobs dealt with: the service may take orders. */
  get ready(): boolean {
    return this.recovered && !this.closed;
  }

  get(id: string): JobRecord | undefined {
    return this.jobs.get(id);
  }

  /** An unfinished job for the same order, so a resubmitted order joins it instead of racing it. */
  activeFor(orderId: string): JobRecord | undefined {
    return [...this.jobs.values()].find((j) => j.orderId === orderId && !FINAL_STATUSES.includes(j.status));
  }

  /** An unfinished provision of the tenant, whichever order it came from: one slug, one order in flight. */
  activeProvision(slug: string): JobRecord | undefined {
    return [...this.jobs.values()].find((j) => j.kind === "provision" && j.slug === slug && !FINAL_STATUSES.includes(j.status));
  }

  /** An unfinished destroy of the tenant, so a repeated DELETE joins it. */
  activeDestroy(slug: string): JobRecord | undefined {
    return [...this.jobs.values()].find((j) => j.kind === "destroy" && j.slug === slug && !FINAL_STATUSES.includes(j.status));
  }

  submitProvision(rawOrder: unknown, order: Order): JobRecord {
    return this.create("provision", order.spec.slug, order.orderId, rawOrder);
  }

  submitDestroy(slug: string): JobRecord {
    return this.create("destroy", slug, `destroy-${slug}-${Date.now().toString(36)}`, undefined);
  }

  /** Calls `listener` for each event of a job from index `from`, then as they come; returns an unsubscribe. */
  subscribe(id: string, from: number, listener: (event: OrderEvent, index: number) => void, onEnd: () => void): () => void {
    const job = this.jobs.get(id);
    if (!job) throw new Error(`unknown job ${id}`);
    const dropped = job.droppedEvents ?? 0;
    const start = Math.max(from, dropped);
    job.events.slice(start - dropped).forEach((event, i) => listener(event, start + i));
    if (FINAL_STATUSES.includes(job.status)) {
      onEnd();
      return () => undefined;
    }
    const onEvent = (event: OrderEvent, index: number) => listener(event, index);
    const onDone = () => {
      unsubscribe();
      onEnd();
    };
    const unsubscribe = () => {
      this.bus.off(`event:${id}`, onEvent);
      this.bus.off(`done:${id}`, onDone);
    };
    this.bus.on(`event:${id}`, onEvent);
    this.bus.on(`done:${id}`, onDone);
    return unsubscribe;
  }

  /** Waits until a job is final (tests, CLI). */
  settled(id: string): Promise<JobRecord> {
    const job = this.jobs.get(id);
    if (!job) return Promise.reject(new Error(`unknown job ${id}`));
    if (FINAL_STATUSES.includes(job.status)) return Promise.resolve(job);
    return new Promise((resolve) => this.bus.once(`done:${id}`, () => resolve(job)));
  }

  /** Stops writing the journal: the next process owns unfinished jobs from here on. */
  close(): void {
    this.closed = true;
    this.bus.removeAllListeners();
  }

  private create(kind: JobRecord["kind"], slug: string, orderId: string, order: unknown): JobRecord {
    const now = new Date().toISOString();
    const job: JobRecord = {
      id: randomUUID(), kind, slug, orderId, status: "queued", ...(order === undefined ? {} : { order }),
      createdAt: now, updatedAt: now, resumed: 0, events: [],
    };
    this.jobs.set(job.id, job);
    this.persist(job);
    this.start(job);
    return job;
  }

  private start(job: JobRecord): void {
    job.status = "running";
    this.persist(job);
    const listener = (event: OrderEvent) => this.record(job, event);
    // A journaled order that no longer validates (a newer schema after an upgrade) fails its job, not the service.
    const run = Promise.resolve().then(() => (job.kind === "provision"
      ? this.options.flow.provision(parseOrder(job.order), listener)
      : this.options.flow.destroy(job.slug, job.slug, job.orderId, listener)));
    run.then(
      (outcome) => this.finish(job, outcomeFields(outcome)),
      (error: unknown) => this.finish(job, { status: "failed", reason: reasonOf(error) }),
    );
  }

  private record(job: JobRecord, event: OrderEvent): void {
    if (this.closed) return;
    job.events.push(event);
    const max = this.options.maxEvents ?? JOB_RETENTION.maxEvents;
    if (job.events.length > max) {
      const excess = job.events.length - max;
      job.events.splice(0, excess);
      job.droppedEvents = (job.droppedEvents ?? 0) + excess;
    }
    job.state = event.state;
    this.persist(job);
    this.bus.emit(`event:${job.id}`, event, (job.droppedEvents ?? 0) + job.events.length - 1);
  }

  private finish(job: JobRecord, fields: Partial<JobRecord>): void {
    if (this.closed) return;
    Object.assign(job, fields);
    this.persist(job);
    this.bus.emit(`done:${job.id}`);
    this.prune();
  }

  /** Drops finished jobs past the retention (count and age), from memory and from the journal. */
  private prune(): void {
    const keep = this.options.keepFinished ?? JOB_RETENTION.keepFinished;
    const oldest = Date.now() - (this.options.keepFinishedMs ?? JOB_RETENTION.keepFinishedMs);
    const finished = [...this.jobs.values()].filter((j) => FINAL_STATUSES.includes(j.status))
      .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
    finished.forEach((job, index) => {
      if (index < keep && Date.parse(job.updatedAt) >= oldest) return;
      this.jobs.delete(job.id);
      rmSync(join(this.options.dir, `${job.id}.json`), { force: true });
    });
  }

  private persist(job: JobRecord): void {
    if (this.closed) return;
    job.updatedAt = new Date().toISOString();
    const file = join(this.options.dir, `${job.id}.json`);
    writeFileSync(`${file}.tmp`, JSON.stringify(job));
    renameSync(`${file}.tmp`, file);
  }
}

function outcomeFields(outcome: OperationOutcome): Partial<JobRecord> {
  return {
    status: outcome.ok ? "succeeded" : "failed",
    state: outcome.state,
    ...(outcome.failedStep ? { failedStep: outcome.failedStep } : {}),
    ...(outcome.reason ? { reason: outcome.reason } : {}),
    outputs: outcome.outputs,
  };
}
