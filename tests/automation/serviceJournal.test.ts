/**
 * Crash and resume of the service's jobs: a restart resumes unfinished jobs in the order they were
 * accepted, a later destroy of a tenant overtakes an earlier pending provision of it, a damaged
 * journal file is reported and skipped, and a shutdown cancels operations in flight and journals
 * their jobs interrupted, so the next start resumes them.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { OrderFlow } from "../../automation/orders/flow";
import { parseOrder } from "../../automation/orders/schema";
import { MemoryTenantStore, TenantRecord } from "../../automation/orders/store";
import { JobManager, JobRecord } from "../../automation/service/jobs";
import { OperationResult, StackOperation, TenantWorkspace } from "../../automation/workspace/types";
import { ORG, SECRETS, orderInput } from "./support";

/** Runs every operation at once, or (hang) until its signal aborts it, as the CLI ends on SIGINT. */
class ScriptedWorkspace implements TenantWorkspace {
  readonly kind = "scripted";
  readonly ops: string[] = [];
  aborted = 0;
  constructor(private readonly hang = false) {}
  up(op: StackOperation): Promise<OperationResult> {
    return this.run("up", op);
  }
  preview(op: StackOperation): Promise<OperationResult> {
    return this.run("preview", op);
  }
  destroy(op: StackOperation): Promise<OperationResult> {
    return this.run("destroy", op);
  }
  refresh(op: StackOperation): Promise<OperationResult> {
    return this.run("refresh", op);
  }
  private run(kind: string, op: StackOperation): Promise<OperationResult> {
    this.ops.push(`${kind} ${op.slug}${op.decommission ? " (decommission)" : ""}`);
    if (!this.hang) return Promise.resolve({ outputs: {}, changes: { create: 1 } });
    return new Promise((_, reject) => {
      op.signal?.addEventListener("abort", () => {
        this.aborted += 1;
        setTimeout(() => reject(new Error("update canceled")), 5);
      });
    });
  }
}

const managers: JobManager[] = [];
afterEach(() => {
  for (const jobs of managers.splice(0)) jobs.close();
});

function manager(dir: string, workspace: TenantWorkspace, records: TenantRecord[] = []) {
  const store = new MemoryTenantStore(records);
  const flow = new OrderFlow({ workspace, store, org: ORG, secrets: SECRETS, attempts: 1, concurrency: 1 });
  const jobs = new JobManager({ flow, dir });
  managers.push(jobs);
  return { jobs, store };
}

const tmp = () => mkdtempSync(join(tmpdir(), "letsbe-journal-"));

/** A journal file as a previous process left it: `id` names the file, `seq` is the acceptance order. */
function journaled(dir: string, id: string, seq: number, fields: Partial<JobRecord> & Pick<JobRecord, "kind" | "slug" | "orderId" | "status">): void {
  mkdirSync(dir, { recursive: true });
  // Recent, so the retention of finished jobs keeps it.
  const at = new Date().toISOString();
  writeFileSync(join(dir, `${id}.json`), JSON.stringify({ id, seq, createdAt: at, updatedAt: at, resumed: 0, events: [], ...fields }));
}

function activeRecord(slug: string): TenantRecord {
  const order = parseOrder(orderInput(slug));
  return { slug, orderId: order.orderId, spec: order.spec, status: "active", provisionedAt: "2026-11-01T00:00:00.000Z", updatedAt: "2026-11-01T00:00:00.000Z" };
}

describe("service journal: restart", () => {
  it("resumes unfinished jobs in the order they were accepted, not in the order of their file names", async () => {
    const dir = tmp();
    // Accepted first, but its file name sorts last.
    journaled(dir, "zz-accepted-first", 0, { kind: "provision", slug: "first", orderId: "ord-first", status: "running", order: orderInput("first") });
    journaled(dir, "aa-accepted-second", 1, { kind: "provision", slug: "second", orderId: "ord-second", status: "queued", order: orderInput("second") });
    const workspace = new ScriptedWorkspace();
    const { jobs } = manager(dir, workspace);
    jobs.recover();
    await Promise.all([jobs.settled("zz-accepted-first"), jobs.settled("aa-accepted-second")]);
    expect(workspace.ops).toEqual(["up first", "up second"]);
  });

  it("lets a later destroy of a tenant win over an earlier provision of it that never finished", async () => {
    const dir = tmp();
    journaled(dir, "job-provision", 0, { kind: "provision", slug: "gone", orderId: "ord-gone", status: "running", order: orderInput("gone") });
    journaled(dir, "job-destroy", 1, { kind: "destroy", slug: "gone", orderId: "destroy-gone-1", status: "queued" });
    const workspace = new ScriptedWorkspace();
    const { jobs, store } = manager(dir, workspace, [activeRecord("gone")]);
    jobs.recover();
    const [provision, destroy] = await Promise.all([jobs.settled("job-provision"), jobs.settled("job-destroy")]);
    expect(provision.status).toBe("cancelled");
    expect(provision.reason).toMatch(/destroy job job-destroy/);
    expect(destroy.status).toBe("succeeded");
    // The destroy's own operations only: protection lifted, then destroyed; no provisioning up.
    expect(workspace.ops).toEqual(["up gone (decommission)", "destroy gone (decommission)"]);
    expect((await store.get("gone"))?.status).toBe("destroyed");
  });

  it("reports and skips damaged journal files, and starts with the rest", async () => {
    const dir = tmp();
    journaled(dir, "job-good", 0, { kind: "provision", slug: "kept", orderId: "ord-kept", status: "succeeded", order: orderInput("kept") });
    writeFileSync(join(dir, "job-torn.json"), '{"id":"job-torn","kind":"provis');
    writeFileSync(join(dir, "job-alien.json"), JSON.stringify({ id: "job-alien", hello: "world" }));
    const { jobs } = manager(dir, new ScriptedWorkspace());
    const report = jobs.recover();
    expect(jobs.ready).toBe(true);
    expect(jobs.get("job-good")?.status).toBe("succeeded");
    expect(report.damaged.map((d) => d.file).sort()).toEqual([join(dir, "job-alien.json"), join(dir, "job-torn.json")]);
    expect(report.damaged.find((d) => d.file.endsWith("job-torn.json"))?.problem).toMatch(/not valid JSON/);
    expect(report.damaged.find((d) => d.file.endsWith("job-alien.json"))?.problem).toMatch(/kind/);
    // Moved aside for a person to look at: the next start does not trip on them again.
    expect(readdirSync(dir).sort()).toEqual(["job-alien.json.damaged", "job-good.json", "job-torn.json.damaged"]);
  });
});

describe("service journal: shutdown", () => {
  it("cancels the operation in flight, journals its job interrupted, and the next start resumes it", async () => {
    const dir = tmp();
    const hanging = new ScriptedWorkspace(true);
    const first = manager(dir, hanging);
    first.jobs.recover();
    const job = first.jobs.submitProvision(orderInput("term-one"), parseOrder(orderInput("term-one")));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(hanging.ops).toEqual(["up term-one"]);

    await first.jobs.shutdown();
    expect(hanging.aborted).toBe(1);
    const onDisk = JSON.parse(readFileSync(join(dir, `${job.id}.json`), "utf8")) as JobRecord;
    expect(onDisk).toMatchObject({ status: "interrupted", resumable: true });
    expect(onDisk.reason).toMatch(/service stopped/);

    const working = new ScriptedWorkspace();
    const second = manager(dir, working);
    expect(second.jobs.recover().resumed).toEqual([job.id]);
    const done = await second.jobs.settled(job.id);
    expect(done).toMatchObject({ status: "succeeded", resumed: 1 });
    expect(done.reason).toBeUndefined();
    expect(working.ops).toEqual(["up term-one"]);
  });
});
