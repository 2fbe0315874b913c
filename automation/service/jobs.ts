/**
 * Jobs of the Hub-facing service, journaled to disk (journal.ts: one file per job, written atomically
 * and durably). After a restart, unfinished jobs are resumed in the order they were accepted
 * (operations are idempotent; a provision a later destroy of the tenant overtook is cancelled) or
 * marked interrupted, never forgotten; a damaged journal file is reported and skipped. A shutdown
 * cancels the operations in flight and records their jobs interrupted, to be resumed. Records hold
 * no secrets: orders carry none, and every text is scrubbed by the flow's scrubber.
 */
import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { OperationOutcome, OrderFlow } from "../orders/flow";
import { OperationAbortedError, reasonOf } from "../orders/errors";
import { Order, parseOrder } from "../orders/schema";
import { OrderEvent, OrderState } from "../orders/states";
import { DamagedEntry, JobJournal } from "./journal";

export type JobStatus = "queued" | "running" | "succeeded" | "failed" | "interrupted" | "cancelled";
export const FINAL_STATUSES: readonly JobStatus[] = ["succeeded", "failed", "interrupted", "cancelled"];

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
  /** Acceptance order: a restart resumes unfinished jobs in it. Absent in journals written before it existed. */
  readonly seq?: number;
  /** Interrupted by a shutdown of the service: the next start resumes it (unless LETSBE_ON_RESTART=interrupt). */
  resumable?: boolean;
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

/** What a start found in the journal: job ids by what became of them, and the files it could not read. */
export interface RecoveryReport {
  readonly resumed: string[];
  readonly interrupted: string[];
  readonly cancelled: string[];
  readonly damaged: DamagedEntry[];
}

export class JobManager {
  private readonly jobs = new Map<string, JobRecord>();
  private readonly bus = new EventEmitter();
  private readonly journal: JobJournal;
  private readonly running = new Map<string, Promise<void>>();
  private nextSeq = 0;
  private closed = false;
  private stopping = false;
  private recovered = false;

  constructor(private readonly options: JobManagerOptions) {
    this.journal = new JobJournal(options.dir);
    this.bus.setMaxListeners(0);
  }

  /** Loads the journal and deals with jobs a previous process left unfinished, in the order they were accepted. */
  recover(): RecoveryReport {
    const report: RecoveryReport = { resumed: [], interrupted: [], cancelled: [], damaged: [] };
    const { records, damaged } = this.journal.readAll();
    report.damaged.push(...damaged);
    const loaded = (records as JobRecord[]).sort(byAcceptance);
    for (const job of loaded) this.jobs.set(job.id, job);
    this.nextSeq = loaded.reduce((max, job) => Math.max(max, (job.seq ?? -1) + 1), 0);
    const pending = loaded.filter((job) => !FINAL_STATUSES.includes(job.status) || (job.status === "interrupted" && job.resumable));
    pending.forEach((job, index) => {
      const laterDestroy = pending.slice(index + 1).find((other) => other.kind === "destroy" && other.slug === job.slug);
      if (job.kind === "provision" && laterDestroy) {
        this.finish(job, { status: "cancelled", resumable: false, reason: `superseded: destroy job ${laterDestroy.id} of tenant ${job.slug} was accepted after this order` });
        report.cancelled.push(job.id);
        return;
      }
      if ((this.options.onRestart ?? "resume") === "interrupt") {
        this.finish(job, { status: "interrupted", resumable: false, reason: "the service restarted while this job ran; submit the order again to converge" });
        report.interrupted.push(job.id);
        return;
      }
      job.resumed += 1;
      // What the last run ended with no longer holds.
      job.resumable = undefined;
      job.reason = undefined;
      job.failedStep = undefined;
      this.record(job, { orderId: job.orderId, slug: job.slug, state: job.state ?? "AWAITING_SERVER", step: "program", message: "service restarted: job resumed", at: new Date().toISOString() });
      this.start(job);
      report.resumed.push(job.id);
    });
    this.prune();
    this.recovered = true;
    return report;
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

  /**
   * SIGTERM: cancels the operations in flight (each CLI ends cleanly and releases its lock), records
   * every job that did not finish as interrupted and resumable, then closes the journal.
   */
  async shutdown(): Promise<void> {
    this.stopping = true;
    this.options.flow.abort();
    await Promise.all([...this.running.values()]);
    this.close();
  }

  private create(kind: JobRecord["kind"], slug: string, orderId: string, order: unknown): JobRecord {
    const now = new Date().toISOString();
    const job: JobRecord = {
      id: randomUUID(), kind, slug, orderId, status: "queued", ...(order === undefined ? {} : { order }),
      createdAt: now, seq: this.nextSeq++, updatedAt: now, resumed: 0, events: [],
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
    const done = run.then(
      (outcome) => this.finish(job, this.stopping && !outcome.ok ? this.interrupted(job) : outcomeFields(outcome)),
      (error: unknown) => this.finish(job, this.stopping || error instanceof OperationAbortedError
        ? this.interrupted(job)
        : { status: "failed", reason: reasonOf(error, this.options.flow.scrubber) }),
    ).finally(() => this.running.delete(job.id));
    this.running.set(job.id, done);
  }

  /** A job the shutdown cut short: whatever failed with it is tried again by the next start. */
  private interrupted(job: JobRecord): Partial<JobRecord> {
    const where = job.events.length > 0 ? ` during ${job.events[job.events.length - 1].step}` : "";
    return { status: "interrupted", resumable: true, reason: `the service stopped${where}; the operation was cancelled and resumes when the service starts again` };
  }

  private record(job: JobRecord, event: OrderEvent): void {
    if (this.closed) return;
    // Scrubbed here too: the journal and the streams take nothing the flow's scrubber has not seen.
    job.events.push({ ...event, message: this.options.flow.scrub(event.message) });
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
    Object.assign(job, fields.reason === undefined ? fields : { ...fields, reason: this.options.flow.scrub(fields.reason) });
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
      this.journal.remove(job.id);
    });
  }

  private persist(job: JobRecord): void {
    if (this.closed) return;
    job.updatedAt = new Date().toISOString();
    this.journal.write(job.id, job);
  }
}

/** Acceptance order: by sequence number where both jobs have one, else by creation time, then id. */
function byAcceptance(a: JobRecord, b: JobRecord): number {
  if (a.seq !== undefined && b.seq !== undefined) return a.seq - b.seq;
  return a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id);
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
