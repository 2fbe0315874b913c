/** `letsbe fleet rollout …` and `letsbe fleet status`. */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { DEFAULT_RELEASE } from "../../tenants/catalog";
import { ReleaseOverride, releaseOverrideSchema } from "../../tenants/release";
import { InvalidInputError, zodProblems } from "../../tenants/schema";
import { AutomationContext, readContextEnv } from "../context";
import { TenantRecord } from "../orders/store";
import { Backend, ENV_BACKEND } from "../workspace/select";
import { HubMetricsSource } from "../rollout/hubMetrics";
import { FileJournal, durationsFrom } from "../rollout/journal";
import { flowUpdater, runRollout } from "../rollout/rollout";
import { CHANNELS, CHANNEL_FIELD, Channel, FleetTenant, atTarget, planWaves } from "../rollout/waves";
import type { CliIo } from "./index";
import { ROLLOUT_ID, parseFlags, rolloutFlagsSchema } from "./flags";
import { Progress } from "./progress";
import { latestJournal } from "./status";

export interface RolloutArgs {
  readonly channel: string;
  readonly image?: string;
  readonly policyBundle?: string;
  readonly id?: string;
  readonly resume?: boolean;
  readonly dryRun?: boolean;
  /** With `dryRun`: the plan as JSON. */
  readonly json?: boolean;
  /** Numbers as typed on the command line; checked by rolloutFlagsSchema before anything runs. */
  readonly concurrency: string;
  /** Minutes. */
  readonly bake: string;
  readonly maxFailed: string;
  readonly metricsUrl?: string;
  /** `--no-metrics` (commander sets `metrics: false`): roll out judging tenant outputs only. */
  readonly metrics?: boolean;
}

/** What read-only verbs need: the data folder and the tenant records, no secrets, no workspace. */
export type FleetData = Pick<AutomationContext, "dataDir" | "store">;

export function fleetData(env: NodeJS.ProcessEnv, backend: Backend = ENV_BACKEND): FleetData {
  const dataDir = resolve(readContextEnv(env).LETSBE_DATA_DIR);
  return { dataDir, store: backend.store(env, dataDir) };
}

const IMAGE_REF = /^([^@]+):([^:@/]+)@(sha256:[0-9a-f]{64})$/;

export function rolloutTarget(args: Pick<RolloutArgs, "channel" | "image" | "policyBundle">): { channel: Channel; target: ReleaseOverride; label: string } {
  const source = "fleet rollout";
  if (!(CHANNELS as readonly string[]).includes(args.channel)) {
    throw new InvalidInputError([{ source, path: "--channel", message: `must be one of ${CHANNELS.join(", ")}` }]);
  }
  const channel = args.channel as Channel;
  let raw: Record<string, unknown>;
  let label: string;
  if (channel === "policy") {
    if (!args.policyBundle) throw new InvalidInputError([{ source, path: "--policy-bundle", message: "required for the policy channel" }]);
    raw = { policyBundle: args.policyBundle };
    label = args.policyBundle;
  } else {
    const match = IMAGE_REF.exec(args.image ?? "");
    if (!match) throw new InvalidInputError([{ source, path: "--image", message: "required for this channel, as repository:tag@sha256:<64 hex>" }]);
    const field = CHANNEL_FIELD[channel] as "openclaw" | "safetyWrapper";
    const expected = imageName(DEFAULT_RELEASE[field].repository);
    if (imageName(match[1]) !== expected) {
      throw new InvalidInputError([{ source, path: "--image", message: `the ${channel} channel takes a ${expected} image, not ${imageName(match[1])}` }]);
    }
    raw = { [field]: { repository: match[1], tag: match[2], digest: match[3] } };
    label = match[2];
  }
  const parsed = releaseOverrideSchema.safeParse(raw);
  if (!parsed.success) throw new InvalidInputError(zodProblems(source, parsed.error));
  return { channel, target: parsed.data, label };
}

/** `code.letsbe.solutions/letsbe/openclaw` -> `openclaw`: mirrors may differ in host and path, not in the image. */
function imageName(repository: string): string {
  return repository.slice(repository.lastIndexOf("/") + 1);
}

/** Tenants that have come up at least once; one still failing its first `up` is the order flow's, not a rollout's. */
function fleetOf(records: readonly TenantRecord[]): FleetTenant[] {
  return records.filter((r) => r.status === "active" && r.provisionedAt !== undefined)
    .map((r) => ({ slug: r.slug, group: r.spec.group, createdAt: r.spec.createdAt, ...(r.release ? { release: r.release } : {}) }));
}

export async function fleetRollout(
  data: FleetData, operate: () => Promise<AutomationContext>, args: RolloutArgs, io: CliIo, progress: () => Progress,
): Promise<number> {
  // Every flag is checked before a journal, an id or a tenant is touched.
  const flags = parseFlags("fleet rollout", rolloutFlagsSchema, {
    concurrency: args.concurrency, bake: args.bake, maxFailed: args.maxFailed, metricsUrl: args.metricsUrl,
  });
  if (args.json && !args.dryRun) throw new InvalidInputError([{ source: "fleet rollout", path: "--json", message: "only with --dry-run" }]);
  const { channel, target, label } = rolloutTarget(args);
  const id = args.id ?? `${channel}-${label}`.replace(/[^A-Za-z0-9._-]/g, "_");
  if (!ROLLOUT_ID.test(id)) throw new InvalidInputError([{ source: "fleet rollout", path: "--id", message: "must be 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit" }]);
  const noMetrics = args.metrics === false;
  if (noMetrics && flags.metricsUrl) throw new InvalidInputError([{ source: "fleet rollout", path: "--no-metrics", message: "contradicts --metrics-url: give one of them" }]);
  // Two of the three stop rules read the Hub's metrics: running without them is said out loud.
  if (!noMetrics && !flags.metricsUrl && !args.dryRun) {
    throw new InvalidInputError([{
      source: "fleet rollout", path: "--metrics-url",
      message: "required: the Hub metrics API the heartbeat and approval-routing stop rules read (or --no-metrics to judge tenant outputs only)",
    }]);
  }
  const metricsToken = io.env.LETSBE_HUB_METRICS_TOKEN;
  if (flags.metricsUrl && !metricsToken && !args.dryRun) throw new InvalidInputError([{ source: "environment", path: "LETSBE_HUB_METRICS_TOKEN", message: "required with --metrics-url" }]);
  const operations = args.dryRun ? undefined : await operate();
  const records = await (operations ?? data).store.list();
  const fleet = fleetOf(records);
  const pending = records.filter((r) => r.status === "active" && !r.provisionedAt).map((r) => r.slug);
  if (pending.length > 0 && !args.json) io.out(`not in this rollout (never came up): ${pending.join(", ")}\n`);
  if (!operations) {
    const waves = planWaves(fleet);
    const bySlug = new Map(fleet.map((t) => [t.slug, t]));
    if (args.json) {
      const planned = waves.map((w) => ({ wave: w.index + 1, name: w.name, slugs: w.slugs, toMove: w.slugs.filter((s) => !atTarget(bySlug.get(s)?.release, target)) }));
      io.out(`${JSON.stringify({ id, channel, target, tenants: fleet.length, leftOut: pending, waves: planned }, null, 2)}\n`);
      return 0;
    }
    io.out(`rollout ${id}: ${channel} -> ${label}, ${fleet.length} tenant(s), ${waves.length} wave(s) (dry run: nothing changes)\n`);
    for (const wave of waves) {
      const moving = wave.slugs.filter((s) => !atTarget(bySlug.get(s)?.release, target)).length;
      const shown = wave.slugs.slice(0, 8).join(", ");
      io.out(`  wave ${wave.index + 1} ${wave.name.padEnd(7)} ${String(wave.slugs.length).padStart(5)} tenant(s), ${moving} to move: ${shown}${wave.slugs.length > 8 ? ", …" : ""}\n`);
    }
    return 0;
  }
  const dir = join(operations.dataDir, "rollouts");
  mkdirSync(dir, { recursive: true });
  const journalFile = join(dir, `${id}.jsonl`);
  const estimates = durationsFrom(latestJournal(dir, journalFile)?.read() ?? []);
  const metrics = flags.metricsUrl ? new HubMetricsSource({ baseUrl: flags.metricsUrl, token: metricsToken as string }) : undefined;
  const bar = progress();
  if (!metrics) bar.line("--no-metrics: heartbeat and approval-routing rules are not checked, only tenant outputs (recorded in the journal)");

  const report = await runRollout({
    id, channel, target, fleet, journal: new FileJournal(journalFile), metrics,
    updater: flowUpdater(operations.flow, id, flags.concurrency),
    concurrency: flags.concurrency, bakeMs: Math.round(flags.bake * 60_000), rules: { maxFailedTenants: flags.maxFailed },
    resume: args.resume === true,
    estimateMs: (slug) => estimates.get(slug),
    onProgress: (event) => {
      switch (event.type) {
        case "plan": bar.total(event.waves.reduce((n, w) => n + w.slugs.length, 0), `rollout ${id}`); break;
        case "wave": bar.line(`wave ${event.wave.index + 1} (${event.wave.name}): ${event.pending} tenant(s) to go`); break;
        case "tenant":
          bar.line(`  ${event.slug.padEnd(32)} ${event.status === "gone" ? "GONE" : event.status}${event.reason ? `: ${event.reason}` : ""} (${Math.round(event.ms / 1000)} s)`);
          bar.tick();
          break;
        case "bake": bar.line(`wave ${event.wave + 1}: baking ${Math.round(event.ms / 60_000)} min`); break;
        case "healthy": bar.line(`wave ${event.wave + 1}: healthy`); break;
        case "stop": bar.line(`STOP at wave ${event.wave + 1}: ${event.reason}; rolling back`); break;
        case "rollback": bar.line(`  ${event.slug.padEnd(32)} ${event.ok ? "rolled back" : event.gone ? "gone (destroyed), nothing to roll back" : `ROLLBACK FAILED: ${event.reason ?? ""}`}`); break;
      }
    },
  });
  bar.stop();
  io.out(`rollout ${id}: ${report.status}; ${report.moved.length} moved, ${report.failed.length} failed, ${report.rolledBack.length} rolled back${report.metrics === "none" ? " (without metrics)" : ""}\n`);
  if (report.gone.length > 0) io.out(`destroyed during the rollout, not moved: ${report.gone.join(", ")}\n`);
  if (report.rollbackFailed.length > 0) {
    io.err(`rollback incomplete for ${report.rollbackFailed.join(", ")}: run again with --resume\n`);
    return 3;
  }
  return report.status === "completed" && report.failed.length === 0 ? 0 : 1;
}
