/**
 * The service's job journal on disk: one JSON file per job. A write goes to a temporary file that is
 * fsynced, renamed over the old one and followed by an fsync of the folder, so a crash leaves either
 * the old record or the new one, and a record that was reported written survives a power cut.
 * Reading reports each damaged file (torn, not JSON, not a job) and goes on without it.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";

/** A file the journal could not use, and why; it is moved aside to `<file>.damaged`. */
export interface DamagedEntry {
  readonly file: string;
  readonly problem: string;
}

const eventSchema = z.looseObject({ state: z.string(), step: z.string(), message: z.string(), at: z.string() });

/** What a journal file must hold to be resumed or reported; newer fields pass through. */
export const journalRecordSchema = z.looseObject({
  id: z.string().min(1),
  kind: z.enum(["provision", "destroy"]),
  slug: z.string().min(1),
  orderId: z.string().min(1),
  status: z.enum(["queued", "running", "succeeded", "failed", "interrupted", "cancelled"]),
  createdAt: z.string(),
  updatedAt: z.string(),
  resumed: z.number().int().min(0),
  events: z.array(eventSchema),
  /** Acceptance order; absent in journals written before it existed. */
  seq: z.number().int().min(0).optional(),
});

export class JobJournal {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  /** Replaces a job's file atomically and durably. */
  write(id: string, record: unknown): void {
    const file = this.file(id);
    const tmp = `${file}.tmp`;
    const fd = openSync(tmp, "w", 0o600);
    try {
      writeSync(fd, JSON.stringify(record));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
    this.syncDir();
  }

  remove(id: string): void {
    rmSync(this.file(id), { force: true });
    this.syncDir();
  }

  /** Every readable record, and every file that is not one (moved aside so the next start does not trip on it again). */
  readAll(): { records: unknown[]; damaged: DamagedEntry[] } {
    const records: unknown[] = [];
    const damaged: DamagedEntry[] = [];
    for (const name of readdirSync(this.dir)) {
      const file = join(this.dir, name);
      // A temporary file is a write that never got renamed: the record it would replace is intact.
      if (name.endsWith(".json.tmp")) {
        rmSync(file, { force: true });
        continue;
      }
      if (!name.endsWith(".json")) continue;
      const problem = this.problemOf(file, records);
      if (problem) {
        damaged.push({ file, problem });
        renameSync(file, `${file}.damaged`);
      }
    }
    if (damaged.length > 0) this.syncDir();
    return { records, damaged };
  }

  private problemOf(file: string, records: unknown[]): string | undefined {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, "utf8"));
    } catch (error) {
      return `not valid JSON (${(error as Error).message})`;
    }
    const parsed = journalRecordSchema.safeParse(json);
    if (!parsed.success) {
      return parsed.error.issues.map((i) => `${i.path.join(".") || "(record)"}: ${i.message}`).join("; ");
    }
    if (`${parsed.data.id}.json` !== file.slice(this.dir.length + 1)) return `holds job ${parsed.data.id}, not the one its name says`;
    records.push(json);
    return undefined;
  }

  private file(id: string): string {
    return join(this.dir, `${id}.json`);
  }

  private syncDir(): void {
    const fd = openSync(this.dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}
