/** `letsbe fleet status [--id ID] [--json]`: tenants by group and release pins, and the state of a rollout. Reads only the data folder. */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { resolveRelease } from "../../tenants/release";
import { InvalidInputError } from "../../tenants/schema";
import { TenantRecord } from "../orders/store";
import { FileJournal, replay } from "../rollout/journal";
import type { FleetData } from "./fleet";
import { ROLLOUT_ID } from "./flags";
import type { CliIo } from "./index";

/** The newest rollout journal in `dir` other than `except`. */
export function latestJournal(dir: string, except: string): FileJournal | undefined {
  const files = readdirSync(dir).filter((f) => f.endsWith(".jsonl")).map((f) => join(dir, f)).filter((f) => f !== except);
  const newest = files.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  return newest ? new FileJournal(newest) : undefined;
}

export interface WaveStatus {
  readonly wave: number;
  readonly name: string;
  readonly tenants: number;
  readonly moved: number;
  readonly failed: number;
  readonly skipped: number;
  readonly healthy: boolean;
}

/** What `--json` prints: the same facts as the text, keyed for scripts. */
export interface FleetStatus {
  readonly activeTenants: number;
  readonly groups: Record<string, number>;
  readonly openclaw: Record<string, number>;
  readonly wrapper: Record<string, number>;
  readonly policy: Record<string, number>;
  readonly rollout?: {
    readonly id: string;
    readonly channel: string;
    readonly status: string;
    readonly waves: readonly WaveStatus[];
    readonly stop?: { readonly wave: number; readonly reason: string; readonly rolledBack: number };
  };
}

function tally(records: readonly TenantRecord[], key: (r: TenantRecord) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of records) counts[key(r)] = (counts[key(r)] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

const shown = (counts: Record<string, number>) => Object.entries(counts).map(([k, n]) => `${k} ×${n}`).join(", ");

export async function fleetStatus(data: FleetData, args: { id?: string; json?: boolean }, io: CliIo): Promise<number> {
  if (args.id !== undefined && !ROLLOUT_ID.test(args.id)) {
    throw new InvalidInputError([{ source: "fleet status", path: "--id", message: "must be 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit" }]);
  }
  const records = (await data.store.list()).filter((r) => r.status === "active");
  const dir = join(data.dataDir, "rollouts");
  const file = args.id ? join(dir, `${args.id}.jsonl`) : existsSync(dir) ? latestJournal(dir, "")?.file : undefined;
  const missing = args.id !== undefined && (!file || !existsSync(file));
  const state = file && existsSync(file) ? replay(new FileJournal(file).read()) : undefined;
  const start = state?.start;
  const status: FleetStatus = {
    activeTenants: records.length,
    groups: tally(records, (r) => r.spec.group),
    openclaw: tally(records, (r) => resolveRelease(r.release).openclaw.tag),
    wrapper: tally(records, (r) => resolveRelease(r.release).safetyWrapper.tag),
    policy: tally(records, (r) => resolveRelease(r.release).policyBundle),
    ...(state && start ? {
      rollout: {
        id: start.id, channel: start.channel,
        status: state.done ?? (state.stop ? "stopping (rollback not finished)" : "in progress or interrupted (resume with --resume)"),
        waves: start.waves.map((wave) => {
          const n = (want: string) => wave.slugs.filter((slug) => state.finished.get(slug) === want).length;
          return { wave: wave.index + 1, name: wave.name, tenants: wave.slugs.length, moved: n("moved"), failed: n("failed"), skipped: n("skipped"), healthy: state.healthyWaves.has(wave.index) };
        }),
        ...(state.stop ? { stop: { wave: state.stop.wave + 1, reason: state.stop.reason, rolledBack: state.rolledBack.size } } : {}),
      },
    } : {}),
  };
  if (args.json) {
    io.out(`${JSON.stringify(status, null, 2)}\n`);
  } else {
    io.out(`${status.activeTenants} active tenant(s)\n`);
    io.out(`  groups:    ${shown(status.groups)}\n  openclaw:  ${shown(status.openclaw)}\n  wrapper:   ${shown(status.wrapper)}\n  policy:    ${shown(status.policy)}\n`);
    const rollout = status.rollout;
    if (!rollout) {
      if (!missing && !state) io.out("no rollouts yet\n");
    } else {
      io.out(`rollout ${rollout.id} (${rollout.channel}): ${rollout.status}\n`);
      for (const w of rollout.waves) {
        io.out(`  wave ${w.wave} ${w.name.padEnd(7)} ${w.tenants} tenant(s): ${w.moved} moved, ${w.failed} failed, ${w.skipped} skipped${w.healthy ? ", healthy" : ""}\n`);
      }
      if (rollout.stop) io.out(`  stopped at wave ${rollout.stop.wave}: ${rollout.stop.reason}; ${rollout.stop.rolledBack} rolled back\n`);
    }
  }
  if (missing) {
    io.err(`fleet status: --id: no rollout ${args.id} in ${dir}\n`);
    return 2;
  }
  return 0;
}
