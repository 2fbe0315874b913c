#!/usr/bin/env node
/** `npm run plan -- --stack prod-eu [--tenants DIR] [--json FILE]` */
import { writeFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { PlanUsageError, plan } from "./plan";
import { formatSummary } from "./summary";
import { PlanReport } from "./types";

export function reportJson(report: PlanReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

export function exitCodeFor(report: PlanReport): number {
  const mandatory = report.stacks.some((s) => s.violations.some((v) => v.level === "mandatory"));
  return report.errors.length > 0 || mandatory ? 1 : 0;
}

async function main(argv: string[]): Promise<number> {
  const program = new Command()
    .name("plan")
    .description("Plan hub and tenant stacks offline under Pulumi's mock runtime (no CLI, no credentials)")
    .requiredOption("--stack <stack>", "hub stack (prod-eu, prod-us) or tenant:<slug>")
    .option("--tenants <dir>", "folder of tenant specs (default: tenants/)")
    .option("--json <file>", "write the report as JSON")
    .option("--org <org>", "Pulumi organization owning the stacks", "letsbe")
    .option("--workers <n>", "worker threads for tenant stacks", (v) => Number.parseInt(v, 10))
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  try {
    program.parse(argv);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  const opts = program.opts<{ stack: string; tenants?: string; json?: string; org: string; workers?: number }>();
  let report: PlanReport;
  try {
    report = await plan({ stack: opts.stack, tenantsDir: opts.tenants, org: opts.org, workers: opts.workers });
  } catch (error) {
    if (error instanceof PlanUsageError) {
      process.stderr.write(`plan: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  process.stdout.write(`${formatSummary(report)}\n`);
  if (opts.json) writeFileSync(opts.json, reportJson(report));
  return exitCodeFor(report);
}

if (require.main === module) {
  // The SDK captures a stack trace for every promise it makes, for leak diagnostics the
  // plan never prints; without them planning takes about half the time.
  Error.stackTraceLimit = 0;
  main(process.argv).then(
    (code) => { process.exitCode = code; },
    (error: unknown) => {
      process.stderr.write(`plan: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
