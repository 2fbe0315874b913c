/**
 * A job record reaches the disk durably: written to a temporary file, fsynced, renamed over the old
 * one, then the folder fsynced (so the rename itself survives a power cut). The file system calls are
 * observed in order; a write that never got renamed (a crash) leaves the old record in force.
 */
import * as fs from "node:fs";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { OrderFlow } from "../../automation/orders/flow";
import { parseOrder } from "../../automation/orders/schema";
import { MemoryTenantStore } from "../../automation/orders/store";
import { JobManager } from "../../automation/service/jobs";
import { JobJournal } from "../../automation/service/journal";
import { TenantWorkspace } from "../../automation/workspace/types";
import { ORG, SECRETS, orderInput } from "./support";

const calls: string[] = [];
const fdPaths = new Map<number, string>();

vi.mock("node:fs", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:fs")>();
  return {
    ...real,
    openSync: (path: fs.PathLike, ...rest: unknown[]) => {
      const fd = (real.openSync as (...a: unknown[]) => number)(path, ...rest);
      fdPaths.set(fd, String(path));
      return fd;
    },
    fsyncSync: (fd: number) => {
      calls.push(`fsync ${fdPaths.get(fd)}`);
      real.fsyncSync(fd);
    },
    renameSync: (from: fs.PathLike, to: fs.PathLike) => {
      calls.push(`rename ${String(from)} -> ${String(to)}`);
      real.renameSync(from, to);
    },
  };
});

beforeEach(() => {
  calls.length = 0;
});

describe("job journal writes", () => {
  it("fsyncs each job record, renames it over the old one, then fsyncs the folder", async () => {
    const dir = mkdtempSync(join(tmpdir(), "letsbe-journal-write-"));
    const done = () => Promise.resolve({ outputs: {}, changes: {} });
    const workspace: TenantWorkspace = { kind: "instant", up: done, preview: done, destroy: done, refresh: done };
    const flow = new OrderFlow({ workspace, store: new MemoryTenantStore(), org: ORG, secrets: SECRETS, attempts: 1 });
    const jobs = new JobManager({ flow, dir });
    jobs.recover();
    calls.length = 0;
    const job = jobs.submitProvision(orderInput("sync-one"), parseOrder(orderInput("sync-one")));
    await jobs.settled(job.id);
    jobs.close();
    const file = join(dir, `${job.id}.json`);
    const mine = calls.filter((c) => c.includes(job.id) || c === `fsync ${dir}`);
    // Every write of the record: its three calls, in this order.
    expect(mine.length).toBeGreaterThanOrEqual(6);
    expect(mine.length % 3).toBe(0);
    for (let i = 0; i < mine.length; i += 3) {
      expect(mine.slice(i, i + 3)).toEqual([`fsync ${file}.tmp`, `rename ${file}.tmp -> ${file}`, `fsync ${dir}`]);
    }
    expect(JSON.parse(readFileSync(file, "utf8"))).toMatchObject({ id: job.id, status: "succeeded" });
  });

  it("keeps the last complete record when a write was cut off before its rename", () => {
    const dir = mkdtempSync(join(tmpdir(), "letsbe-journal-write-"));
    const journal = new JobJournal(dir);
    const record = { id: "job-2", kind: "destroy", slug: "two", orderId: "destroy-two", status: "queued", createdAt: "t", updatedAt: "t", resumed: 0, events: [] };
    journal.write("job-2", record);
    writeFileSync(join(dir, "job-2.json.tmp"), '{"id":"job-2","kind":"dest');
    const { records, damaged } = new JobJournal(dir).readAll();
    expect(records).toEqual([record]);
    expect(damaged).toEqual([]);
    expect(fs.existsSync(join(dir, "job-2.json.tmp"))).toBe(false);
  });
});
