/**
 * The Gitea workflows as data (parsed and checked with zod), and the environment the automation CLI
 * reads, observed by running the CLI's own readers on a recording environment: no list of names is
 * written out here, so a variable added to or dropped from the code shows up in the comparison.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { z } from "zod";
import { checkOperationEnv } from "../../automation/cli/env";
import { createContext } from "../../automation/context";
import { InvalidInputError } from "../../tenants/schema";

export const WORKFLOW_DIR = join(__dirname, "..", "..", ".gitea", "workflows");

const envMap = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional();
const stepSchema = z.object({ name: z.string().optional(), id: z.string().optional(), uses: z.string().optional(), run: z.string().optional(), env: envMap, with: z.record(z.string(), z.unknown()).optional(), if: z.string().optional() });
const jobSchema = z.object({
  needs: z.union([z.string(), z.array(z.string())]).optional(),
  env: envMap,
  steps: z.array(stepSchema).default([]),
}).passthrough();
const workflowSchema = z.object({
  name: z.string(),
  on: z.unknown(),
  concurrency: z.object({ group: z.string(), "cancel-in-progress": z.boolean() }).optional(),
  env: envMap,
  jobs: z.record(z.string(), jobSchema),
});
export type Workflow = z.output<typeof workflowSchema>;
export type Job = z.output<typeof jobSchema>;

/** Parses one workflow's text; `source` names it in errors. */
export function parseWorkflow(text: string, source: string): Workflow {
  const parsed = workflowSchema.safeParse(parse(text));
  if (!parsed.success) throw new Error(`${source}: not a workflow this check understands: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return parsed.data;
}

export function loadWorkflows(dir: string = WORKFLOW_DIR): Record<string, Workflow> {
  const files = readdirSync(dir).filter((f) => f.endsWith(".yaml")).sort();
  return Object.fromEntries(files.map((f) => [f, parseWorkflow(readFileSync(join(dir, f), "utf8"), join(dir, f))]));
}

export interface CodeEnv {
  /** Every variable the CLI reads before a tenant operation. */
  readonly read: ReadonlySet<string>;
  /** The ones it refuses to start without, as its own error names them. */
  readonly required: ReadonlySet<string>;
}

/**
 * What `letsbe tenant up|preview|destroy` reads from its environment: the two readers `runCli` calls
 * before any operation (checkOperationEnv, createContext), run on an empty environment that records
 * every name asked for. The required ones are those the CLI's own error lists as missing.
 */
export async function cliOperationEnv(programRoot: string): Promise<CodeEnv> {
  const read = new Set<string>();
  const env = new Proxy({} as NodeJS.ProcessEnv, {
    get(target, key) {
      if (typeof key === "string") read.add(key);
      return Reflect.get(target, key) as unknown;
    },
    has(target, key) {
      if (typeof key === "string") read.add(key);
      return Reflect.has(target, key);
    },
  });
  const required = new Set<string>();
  const problemsOf = async (body: () => unknown) => {
    try {
      await body();
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      for (const p of error.problems) if (p.source === "environment" && /^required\b/.test(p.message)) required.add(p.path);
    }
  };
  await problemsOf(() => checkOperationEnv(env));
  await problemsOf(() => createContext(env, programRoot));
  return { read, required };
}

/** Names a job's own scripts and expressions use: `$NAME`, `${NAME}`, `env.NAME`. */
export function namesUsedByJob(workflow: Workflow, job: Job): Set<string> {
  const texts: string[] = [];
  for (const step of job.steps) {
    texts.push(step.run ?? "", step.if ?? "", JSON.stringify(step.with ?? {}), ...Object.values(step.env ?? {}).map(String));
  }
  texts.push(...Object.values(job.env ?? {}).map(String), ...Object.values(workflow.env ?? {}).map(String));
  const used = new Set<string>();
  for (const text of texts) {
    for (const m of text.matchAll(/\$\{?([A-Z_][A-Z0-9_]*)|\benv\.([A-Z_][A-Z0-9_]*)/g)) used.add((m[1] ?? m[2])!);
  }
  return used;
}

/** Variable names a step sees from the workflow, its job and itself. */
export function visibleEnv(workflow: Workflow, job: Job, step: Job["steps"][number]): Set<string> {
  return new Set([...Object.keys(workflow.env ?? {}), ...Object.keys(job.env ?? {}), ...Object.keys(step.env ?? {})]);
}

/** A step that runs a tenant operation of the automation CLI. */
export function runsCliOperation(step: Job["steps"][number]): boolean {
  return /\bletsbe\s+--\s+(tenant\s+(up|preview|destroy)|fleet\s+rollout)\b|dist\/automation\/cli\/index\.js/.test(step.run ?? "");
}

export interface EnvFinding {
  readonly job: string;
  /** Required by the code, not set for a step that runs it. */
  readonly missing: string[];
  /** Set, but read neither by the code nor by the job's own scripts. */
  readonly unread: string[];
}

/** Compares each job's environment with what the code and the job's scripts read. */
export function envFindings(workflow: Workflow, code: CodeEnv): EnvFinding[] {
  const findings: EnvFinding[] = [];
  for (const [id, job] of Object.entries(workflow.jobs)) {
    const used = namesUsedByJob(workflow, job);
    const missing = new Set<string>();
    for (const step of job.steps.filter(runsCliOperation)) {
      const visible = visibleEnv(workflow, job, step);
      for (const name of code.required) if (!visible.has(name)) missing.add(name);
    }
    const set = [...Object.keys(job.env ?? {}), ...job.steps.flatMap((s) => Object.keys(s.env ?? {}))];
    const unread = [...new Set(set)].filter((name) => !code.read.has(name) && !used.has(name));
    if (missing.size > 0 || unread.length > 0) findings.push({ job: id, missing: [...missing].sort(), unread: unread.sort() });
  }
  return findings;
}

export function needsOf(job: Job): string[] {
  return job.needs === undefined ? [] : typeof job.needs === "string" ? [job.needs] : job.needs;
}

/** Every job `id` waits for, directly or through others. */
export function upstream(workflow: Workflow, id: string, seen: Set<string> = new Set()): Set<string> {
  for (const need of needsOf(workflow.jobs[id] ?? { steps: [] } as unknown as Job)) {
    if (!seen.has(need)) {
      seen.add(need);
      upstream(workflow, need, seen);
    }
  }
  return seen;
}

/** `secrets.NAME` and `secrets[...]` uses in a workflow's text. */
export function secretsReferenced(text: string): string[] {
  return [...new Set([...text.matchAll(/\bsecrets(?:\.([A-Za-z_][A-Za-z0-9_]*)|\[([^\]]+)\])/g)].map((m) => m[1] ?? `[${m[2]}]`))].sort();
}
