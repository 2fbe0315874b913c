/**
 * The rollout journal: one JSON line per fact, appended synchronously, so a crash loses at
 * most the tenants in flight and `--resume` knows exactly what is finished. The first line
 * fixes the plan and every tenant's previous pins, so a resumed rollout never re-plans.
 */
import { appendFileSync, existsSync, readFileSync, statSync } from "node:fs";
import { z } from "zod";
import { releaseOverrideSchema } from "../../tenants/release";
import { InvalidInputError } from "../../tenants/schema";
import { CHANNELS } from "./waves";

const startSchema = z.strictObject({
  t: z.literal("start"),
  id: z.string(),
  channel: z.enum(CHANNELS),
  target: releaseOverrideSchema,
  waves: z.array(z.strictObject({ index: z.number(), name: z.string(), slugs: z.array(z.string()) })),
  previous: z.record(z.string(), releaseOverrideSchema.nullable()),
  /** `none`: run with --no-metrics, judging tenant outputs only (absent in journals from before the field). */
  metrics: z.enum(["hub", "none"]).optional(),
  at: z.number(),
});

const countsSchema = z.strictObject({ fresh: z.number(), total: z.number() });

/** What happened to one tenant: `gone` means it was destroyed during the rollout. */
export const TENANT_STATUSES = ["moved", "failed", "skipped", "gone"] as const;
export type TenantStatus = (typeof TENANT_STATUSES)[number];

const entrySchema = z.discriminatedUnion("t", [
  startSchema,
  z.strictObject({ t: z.literal("resume"), metrics: z.enum(["hub", "none"]), at: z.number() }),
  // `baseline`: fresh heartbeats among the wave's tenants before it started, kept for a resume.
  z.strictObject({ t: z.literal("wave"), wave: z.number(), baseline: countsSchema.optional(), at: z.number() }),
  z.strictObject({ t: z.literal("tenant"), slug: z.string(), wave: z.number(), status: z.enum(TENANT_STATUSES), reason: z.string().optional(), ms: z.number().optional(), at: z.number() }),
  z.strictObject({ t: z.literal("healthy"), wave: z.number(), at: z.number() }),
  z.strictObject({ t: z.literal("stop"), wave: z.number(), reason: z.string(), at: z.number() }),
  // `gone`: the tenant was destroyed before it could be rolled back; nothing is left to restore.
  z.strictObject({ t: z.literal("rollback"), slug: z.string(), ok: z.boolean(), gone: z.boolean().optional(), reason: z.string().optional(), at: z.number() }),
  z.strictObject({ t: z.literal("done"), status: z.enum(["completed", "stopped"]), at: z.number() }),
]);

export type JournalEntry = z.output<typeof entrySchema>;
export type StartEntry = z.output<typeof startSchema>;

export interface Journal {
  append(entry: JournalEntry): void;
  read(): JournalEntry[];
}

export class FileJournal implements Journal {
  private opened = false;

  constructor(readonly file: string) {}

  append(entry: JournalEntry): void {
    if (!this.opened) {
      this.opened = true;
      // A crash mid-write leaves a torn last line; the next entry must start on a line of its own.
      if (existsSync(this.file) && statSync(this.file).size > 0 && !readFileSync(this.file, "utf8").endsWith("\n")) appendFileSync(this.file, "\n");
    }
    appendFileSync(this.file, `${JSON.stringify(entry)}\n`);
  }

  read(): JournalEntry[] {
    if (!existsSync(this.file)) return [];
    const lines = readFileSync(this.file, "utf8").split("\n");
    const entries: JournalEntry[] = [];
    lines.forEach((line, i) => {
      if (line.trim() === "") return;
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch {
        // A truncated line is what a crash mid-write leaves; a complete but unreadable one is corruption.
        if (!line.trimEnd().endsWith("}")) return;
        throw new InvalidInputError([{ source: this.file, path: `line ${i + 1}`, message: "not valid JSON" }]);
      }
      const parsed = entrySchema.safeParse(raw);
      if (!parsed.success) throw new InvalidInputError([{ source: this.file, path: `line ${i + 1}`, message: parsed.error.issues[0]?.message ?? "invalid entry" }]);
      entries.push(parsed.data);
    });
    return entries;
  }
}

export class MemoryJournal implements Journal {
  readonly entries: JournalEntry[] = [];
  append(entry: JournalEntry): void {
    this.entries.push(JSON.parse(JSON.stringify(entry)) as JournalEntry);
  }
  read(): JournalEntry[] {
    return [...this.entries];
  }
}

/** What a journal says about a rollout so far. */
export interface JournalState {
  readonly start?: StartEntry;
  /** Tenants with a final entry, and that entry's status. */
  readonly finished: ReadonlyMap<string, TenantStatus>;
  readonly healthyWaves: ReadonlySet<number>;
  /** Each started wave's heartbeat baseline, if one was taken. */
  readonly baselines: ReadonlyMap<number, { readonly fresh: number; readonly total: number }>;
  readonly stop?: { readonly wave: number; readonly reason: string };
  readonly rolledBack: ReadonlySet<string>;
  /** Tenants destroyed during the rollout (found gone on update or on rollback). */
  readonly gone: ReadonlySet<string>;
  readonly done?: "completed" | "stopped";
}

export function replay(entries: readonly JournalEntry[]): JournalState {
  let start: StartEntry | undefined;
  const finished = new Map<string, TenantStatus>();
  const healthyWaves = new Set<number>();
  const baselines = new Map<number, { fresh: number; total: number }>();
  const rolledBack = new Set<string>();
  const gone = new Set<string>();
  let stop: { wave: number; reason: string } | undefined;
  let done: "completed" | "stopped" | undefined;
  for (const e of entries) {
    switch (e.t) {
      case "start": start = e; break;
      case "wave": if (e.baseline) baselines.set(e.wave, e.baseline); break;
      case "tenant": finished.set(e.slug, e.status); if (e.status === "gone") gone.add(e.slug); break;
      case "healthy": healthyWaves.add(e.wave); break;
      case "stop": stop = { wave: e.wave, reason: e.reason }; break;
      case "rollback": if (e.ok) rolledBack.add(e.slug); if (e.gone) gone.add(e.slug); break;
      case "done": done = e.status; break;
      default: break;
    }
  }
  return { start, finished, healthyWaves, baselines, stop, rolledBack, gone, done };
}

/** Each tenant's last update time in a journal, ms: the next rollout's longest-first estimate. */
export function durationsFrom(entries: readonly JournalEntry[]): Map<string, number> {
  const durations = new Map<string, number>();
  for (const e of entries) if (e.t === "tenant" && e.status === "moved" && e.ms !== undefined) durations.set(e.slug, e.ms);
  return durations;
}
