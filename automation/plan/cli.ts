#!/usr/bin/env node
/** `npm run plan -- --stack prod-eu [--tenants DIR] [--json FILE] [--org ORG] [--workers N]` */
import { writeFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { InvalidInputError, formatProblem } from "../../tenants/schema";
import { parseFlags, planFlagsSchema, requireFolder } from "../cli/flags";
import { quietOnBrokenPipe } from "../cli/output";
import { PlanUsageError, plan } from "./plan";
import { namedYamlError, slugFileProblems, scopeErrors } from "../cli/planInputs";
import { formatSummary } from "./summary";
import { PlanReport } from "./types";

export function reportJson(report: PlanReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

export function exitCodeFor(report: PlanReport): number {
  const mandatory = report.stacks.some((s) => s.violations.some((v) => v.level === "mandatory"));
  return report.errors.length > 0 || mandatory ? 1 : 0;
}

export interface PlanCommandArgs {
  readonly stack: string;
  readonly tenants?: string;
  readonly json?: string;
  readonly org: string;
  /** As typed; validated here. */
  readonly workers?: string;
}

export interface PlanCommandIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/**
 * The plan verb of both CLIs: flags checked first, then the plan; the summary on stdout and
 * its errors on stderr. Throws InvalidInputError or PlanUsageError for bad usage (exit 2).
 */
export async function runPlanCommand(command: string, args: PlanCommandArgs, io: PlanCommandIo): Promise<number> {
  const { workers } = parseFlags(command, planFlagsSchema, { workers: args.workers });
  requireFolder(command, "--tenants", args.tenants);
  let report: PlanReport;
  try {
    report = await plan({ stack: args.stack, tenantsDir: args.tenants, org: args.org, workers });
  } catch (error) {
    throw namedYamlError(error, args.stack) ?? error;
  }
  const errors = [...scopeErrors(report.errors, args.stack, args.tenants), ...slugFileProblems(args.stack, args.tenants)];
  report = { ...report, errors: errors.sort((a, b) => a.source.localeCompare(b.source) || a.path.localeCompare(b.path)) };
  if (args.json) {
    try {
      writeFileSync(args.json, reportJson(report));
    } catch (error) {
      throw new InvalidInputError([{ source: command, path: "--json", message: `cannot write ${args.json} (${(error as NodeJS.ErrnoException).code ?? "error"})` }]);
    }
  }
  const summary = formatSummary(report).split("\n");
  const stacksOnly = formatSummary({ ...report, errors: [] }).split("\n").slice(0, -1);
  io.out(`${[...stacksOnly, summary[summary.length - 1]].map((line) => wrapCounts(line)).join("\n")}\n`);
  if (report.errors.length > 0) io.err(`${report.errors.map((e) => `✗ ${formatProblem(e)}`).join("\n")}\n`);
  return exitCodeFor(report);
}

const COUNTS = "  counts: ";

/** A stack's `counts:` line names every resource type (300+ characters): wrapped at `width`, whole entries per line. */
export function wrapCounts(line: string, width = 100): string {
  if (!line.startsWith(COUNTS) || line.length <= width) return line;
  const indent = " ".repeat(COUNTS.length);
  const lines: string[] = [];
  let current = COUNTS;
  for (const entry of line.slice(COUNTS.length).split(", ")) {
    const next = current === COUNTS || current === indent ? `${current}${entry}` : `${current}, ${entry}`;
    if (next.length > width && current !== COUNTS && current !== indent) {
      lines.push(`${current},`);
      current = `${indent}${entry}`;
    } else {
      current = next;
    }
  }
  lines.push(current);
  return lines.join("\n");
}

async function main(argv: string[]): Promise<number> {
  const program = new Command()
    .name("plan")
    .description("Plan hub and tenant stacks offline under Pulumi's mock runtime (no CLI, no credentials)")
    .requiredOption("--stack <stack>", "hub stack (prod-eu, prod-us, staging) or tenant:<slug>")
    .option("--tenants <dir>", "folder of tenant specs (default: tenants/)")
    .option("--json <file>", "write the report as JSON")
    .option("--org <org>", "Pulumi organization owning the stacks", "letsbe")
    .option("--workers <n>", "worker processes for tenant stacks (1-256)")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  try {
    program.parse(argv);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  const io = { out: (s: string) => void process.stdout.write(s), err: (s: string) => void process.stderr.write(s) };
  try {
    return await runPlanCommand("plan", program.opts<PlanCommandArgs>(), io);
  } catch (error) {
    if (error instanceof InvalidInputError) {
      io.err(`${error.problems.map(formatProblem).join("\n")}\n`);
      return 2;
    }
    if (error instanceof PlanUsageError) {
      io.err(`plan: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

if (require.main === module) {
  // The SDK captures a stack trace for every promise it makes, for leak diagnostics the
  // plan never prints; without them planning takes about half the time.
  Error.stackTraceLimit = 0;
  quietOnBrokenPipe();
  main(process.argv).then(
    (code) => { process.exitCode = code; },
    (error: unknown) => {
      process.stderr.write(`plan: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
