#!/usr/bin/env node
/**
 * `letsbe` — the operators' CLI: `plan`, `tenant up|preview|destroy <slug>`, `fleet rollout`,
 * `fleet status`. Exit codes: 0 done, 1 an operation failed or a rollout stopped (and was
 * rolled back), 2 bad usage or input, 3 a rollback did not complete (needs a person).
 */
import { join } from "node:path";
import { Command, CommanderError } from "commander";
import { InvalidInputError, formatProblem } from "../../tenants/schema";
import { createContext } from "../context";
import type { Backend } from "../workspace/select";
import { UnknownTenantError } from "../orders/errors";
import { PlanUsageError } from "../plan/plan";
import { PlanCommandArgs, runPlanCommand } from "../plan/cli";
import { RolloutUsageError } from "../rollout/rollout";
import { checkOperationEnv } from "./env";
import { Progress, createProgress } from "./progress";
import { fleetData, fleetRollout, RolloutArgs } from "./fleet";
import { cliScrubber, quietOnBrokenPipe, scrubbedOutput, scrubbedProgress } from "./output";
import { fleetStatus } from "./status";
import { tenantDestroy, tenantPreview, tenantUp } from "./tenant";
import { registerPinsCommands } from "./pins";
import { registerSnapshotCommands } from "./snapshots";

export const EXIT = { ok: 0, failed: 1, usage: 2, rollbackIncomplete: 3 } as const;

export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly progress?: () => Progress;
  /** Where operations run and the fleet's record. Default - chosen by the environment (LETSBE_WORKSPACE). */
  readonly backend?: Backend;
}

const defaultIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
};

/** Runs the CLI and returns its exit code. */
export async function runCli(argv: readonly string[], given: CliIo = defaultIo): Promise<number> {
  // Every line printed, progress included, passes the scrubber first.
  const scrubber = cliScrubber(given.env);
  const io = scrubbedOutput(given, scrubber);
  let code: number = EXIT.ok;
  // Operations get the full context (workspace, secrets); read-only verbs only the data folder.
  const context = () => {
    checkOperationEnv(io.env, io.backend === undefined);
    return createContext(io.env, join(__dirname, "..", ".."), io.backend);
  };
  const progress = () => scrubbedProgress((io.progress ?? createProgress)(), scrubber);
  const program = new Command()
    .name("letsbe")
    .description("LetsBe infrastructure: offline plan, tenant stacks and fleet rollouts")
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });

  program.command("plan")
    .description("plan a hub stack and its tenants (or tenant:<slug>) offline, under the mock runtime")
    .requiredOption("--stack <stack>", "prod-eu, prod-us, staging or tenant:<slug>")
    .option("--tenants <dir>", "folder of tenant specs")
    .option("--json <file>", "write the report as JSON")
    .option("--org <org>", "Pulumi organization", "letsbe")
    .option("--workers <n>", "worker processes for tenant stacks (1-256)")
    .action(async (opts: PlanCommandArgs) => {
      code = await runPlanCommand("plan", opts, io);
    });

  const tenant = program.command("tenant").description("one tenant's stack");
  const specOptions = (c: Command) => c
    .option("--tenants <dir>", "folder of tenant specs (default: tenants/)")
    .option("--spec <file>", "the tenant's spec file (default: <tenants>/<slug>.yaml)");
  specOptions(tenant.command("up <slug>").description("create or converge a tenant from its spec"))
    .action(async (slug: string, opts: { tenants?: string; spec?: string }) => {
      code = await tenantUp(await context(), slug, opts, io, progress());
    });
  specOptions(tenant.command("preview <slug>").description("show what `up` would change"))
    .action(async (slug: string, opts: { tenants?: string; spec?: string }) => {
      code = await tenantPreview(await context(), slug, opts, io);
    });
  tenant.command("destroy <slug>")
    .description("destroy a tenant's stack (its server goes back to the pool or is deleted)")
    .requiredOption("--confirm <slug>", "repeat the slug to confirm")
    .action(async (slug: string, opts: { confirm: string }) => {
      code = await tenantDestroy(await context(), slug, opts.confirm, io);
    });

  const fleet = program.command("fleet").description("the whole fleet");
  fleet.command("rollout")
    .description("move one channel's pins across the fleet in waves: sandbox, 5 %, 25 %, 100 %")
    .requiredOption("--channel <channel>", "policy, wrapper or openclaw")
    .option("--image <ref>", "wrapper/openclaw: repository:tag@sha256:<digest>")
    .option("--policy-bundle <version>", "policy: the bundle version")
    .option("--id <id>", "rollout id (names its journal); default from channel and target")
    .option("--resume", "continue the rollout its journal describes")
    .option("--dry-run", "print the wave plan and change nothing")
    .option("--json", "with --dry-run: print the wave plan as JSON, for scripts")
    .option("--concurrency <n>", "tenants updated at once (1-1000)", "20")
    .option("--bake <minutes>", "wait after each wave before judging its health (0-1440)", "10")
    .option("--max-failed <n>", "stop once more tenants than this have failed", "2")
    .option("--metrics-url <url>", "Hub metrics API (heartbeats, approval routing); token in LETSBE_HUB_METRICS_TOKEN")
    .option("--no-metrics", "roll out without the Hub's metrics: only tenant outputs are judged (recorded in the journal)")
    .action(async (opts: RolloutArgs) => {
      code = await fleetRollout(fleetData(io.env, io.backend), context, opts, io, progress);
    });
  fleet.command("status")
    .description("tenants by group and release, and the state of a rollout")
    .option("--id <id>", "rollout to report on (default: the latest)")
    .option("--json", "print the status as JSON, for scripts")
    .action(async (opts: { id?: string; json?: boolean }) => {
      code = await fleetStatus(fleetData(io.env, io.backend), opts, io);
    });

  registerPinsCommands(program, io, (c) => { code = c; });
  registerSnapshotCommands(program, io, (c) => { code = c; });

  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (error instanceof InvalidInputError) {
      io.err(`${error.problems.map(formatProblem).join("\n")}\n`);
      return EXIT.usage;
    }
    if (error instanceof PlanUsageError || error instanceof RolloutUsageError || error instanceof UnknownTenantError) {
      io.err(`letsbe: ${error.message}\n`);
      return EXIT.usage;
    }
    if (error instanceof Error && error.name === "ConfirmationError") {
      io.err(`letsbe: ${error.message}\n`);
      return EXIT.usage;
    }
    throw error;
  }
  return code;
}

if (require.main === module) {
  quietOnBrokenPipe();
  runCli(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (error: unknown) => {
      process.stderr.write(`letsbe: ${cliScrubber(process.env).scrub(error instanceof Error ? error.message : String(error))}\n`);
      process.exitCode = EXIT.failed;
    },
  );
}
