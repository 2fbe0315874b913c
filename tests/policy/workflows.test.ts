/**
 * The CI workflows: parsed as YAML, validated against the workflow schema, then checked for the
 * jobs and steps the estate relies on, the references between them, and shellcheck on every script.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Ajv from "ajv";
import { parseDocument } from "yaml";
import { describe, expect, it } from "vitest";
import { ROOT } from "./analyzerClient";
import { workflowSchema } from "./workflowSchema";

interface Step { id?: string; name?: string; uses?: string; run?: string; if?: string; with?: Record<string, unknown>; env?: Record<string, string> }
interface Job {
  "runs-on": string; needs?: string | string[]; environment?: string | { name: string }; outputs?: Record<string, string>;
  env?: Record<string, string>; strategy?: { matrix?: Record<string, unknown> }; steps: Step[];
}
interface Workflow { name?: string; on: Record<string, unknown>; jobs: Record<string, Job> }

const DIR = join(ROOT, ".gitea", "workflows");
const files = readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f)).sort();

function load(file: string): Workflow {
  const doc = parseDocument(readFileSync(join(DIR, file), "utf8"));
  if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join("; ")}`);
  return doc.toJS() as Workflow;
}

const needsOf = (job: Job): string[] => (job.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs]);
const scripts = (job: Job): string => job.steps.map((s) => s.run ?? "").join("\n");
const stepRunning = (job: Job, pattern: RegExp): Step | undefined => job.steps.find((s) => s.run !== undefined && pattern.test(s.run));

describe("workflows", () => {
  it("are the three the estate runs", () => {
    expect(files).toEqual(["drift.yaml", "main.yaml", "pull-request.yaml"]);
  });

  const validate = new Ajv({ allErrors: true }).compile(workflowSchema);
  it.each(files)("%s parses and conforms to the workflow schema", (file) => {
    const ok = validate(load(file));
    expect(validate.errors ?? [], file).toEqual([]);
    expect(ok).toBe(true);
  });

  it("the schema rejects a misspelt key and a step that both runs and uses", () => {
    const bad = { on: { push: null }, jobs: { a: { "runs-on": "ubuntu-latest", "timeout-minute": 5, steps: [{ run: "x", uses: "a/b@v1" }] } } };
    expect(validate(bad)).toBe(false);
    expect(validate.errors?.map((e) => e.instancePath)).toEqual(expect.arrayContaining(["/jobs/a", "/jobs/a/steps/0"]));
  });

  it.each(files)("%s: needs, steps.<id> and needs.<job>.outputs references resolve; actions are pinned", (file) => {
    const wf = load(file);
    for (const [name, job] of Object.entries(wf.jobs)) {
      for (const need of needsOf(job)) expect(Object.keys(wf.jobs), `${name} needs ${need}`).toContain(need);
      const ids = new Set(job.steps.map((s) => s.id).filter(Boolean));
      const text = JSON.stringify(job);
      for (const [, id] of text.matchAll(/steps\.([A-Za-z0-9_-]+)\.outputs/g)) expect(ids, `${name} refers to step ${id}`).toContain(id);
      for (const [, other, output] of text.matchAll(/needs\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)/g)) {
        expect(needsOf(job), `${name} reads ${other} without needing it`).toContain(other);
        expect(Object.keys(wf.jobs[other!]?.outputs ?? {}), `${other} has no output ${output}`).toContain(output);
      }
      for (const step of job.steps) if (step.uses) expect(step.uses).toMatch(/^[\w.-]+\/[\w.-]+@v\d+$/);
    }
  });

  it("pull requests: type-check, lint, tests; the offline plan of both hubs posted to the PR, and of each affected tenant", () => {
    const wf = load("pull-request.yaml");
    expect(Object.keys(wf.on)).toEqual(["pull_request"]);
    const check = scripts(wf.jobs.check!);
    expect(check).toContain("npx tsc -p tsconfig.json --noEmit");
    expect(check).toContain("npm run lint");
    expect(check).toMatch(/npm run build && npx vitest run/);

    const plan = wf.jobs.plan!;
    expect(plan.strategy?.matrix?.stack).toEqual(["prod-eu", "prod-us"]);
    expect(stepRunning(plan, /npm run --silent plan -- --stack "\$\{\{ matrix\.stack \}\}" --json/)).toBeDefined();
    const post = plan.steps.find((s) => s.env?.API !== undefined);
    expect(post?.run).toContain('curl -fsS -X POST -H "Authorization: token ${TOKEN}"');
    expect(post?.env?.API).toContain("/issues/${{ github.event.pull_request.number }}/comments");
    expect(stepRunning(plan, /exit 1/)?.if).toBe("steps.plan.outputs.exit-code != '0'");

    // Unreviewed code gets no credential: the affected tenants get the offline plan only.
    const tenants = wf.jobs.tenants!;
    expect(needsOf(tenants)).toEqual(["affected"]);
    expect(tenants.env?.TENANTS).toBe("${{ needs.affected.outputs.tenants }}");
    expect(scripts(tenants)).toContain('npm run --silent plan -- --stack "tenant:${slug}"');
    expect(JSON.stringify(wf)).not.toMatch(/secrets\.(?!GITHUB_TOKEN\b)/);
  });

  it("main: prod-eu, then prod-us, each behind the production environment; then changed tenants through the automation CLI", () => {
    const wf = load("main.yaml");
    expect(wf.on).toEqual({ push: { branches: ["main"] } });
    const eu = wf.jobs["up-prod-eu"]!;
    const us = wf.jobs["up-prod-us"]!;
    const tenants = wf.jobs.tenants!;
    expect(needsOf(eu)).toEqual(["gitea", "check", "approval"]);
    const gate = scripts(wf.jobs.approval!);
    expect(gate).toContain('"${API}/commits/${GITHUB_SHA}/pull"');
    expect(gate).toContain('select(.state == "APPROVED" and .stale != true and .dismissed != true)');
    expect(gate).toMatch(/"\$\{login\}" != "\$\{author\}"/);
    expect(needsOf(us)).toEqual(["up-prod-eu"]);
    expect(needsOf(tenants)).toEqual(["gitea", "approval", "up-prod-us"]);
    for (const job of [wf.jobs.approval!, eu, us, tenants]) expect(job.environment).toBe("production");
    expect(scripts(eu)).toContain("pulumi up --stack letsbe/prod-eu --policy-pack policy --yes");
    expect(scripts(us)).toContain("pulumi up --stack letsbe/prod-us --policy-pack policy --yes");
    expect(scripts(tenants)).toContain('npm run --silent letsbe -- tenant up "${slug}"');
    expect(scripts(wf.jobs.check!)).toContain("npm run --silent plan -- --stack prod-eu");
  });

  it("nightly: a drift report per stack of both projects with pulumi refresh --preview-only", () => {
    const wf = load("drift.yaml");
    expect(Object.keys(wf.on).sort()).toEqual(["schedule", "workflow_dispatch"]);
    const drift = wf.jobs.drift!;
    expect(drift.strategy?.matrix?.include).toEqual([{ project: "letsbe-hub", dir: "." }, { project: "letsbe-tenant", dir: "stacks/tenant" }]);
    expect(scripts(drift)).toContain('pulumi refresh --preview-only --expect-no-changes --non-interactive --stack "${stack}"');
  });

  it("every script passes shellcheck (expressions stand in as words)", () => {
    const dir = mkdtempSync(join(tmpdir(), "workflow-scripts-"));
    const paths: string[] = [];
    for (const file of files) {
      Object.entries(load(file).jobs).forEach(([job, spec]) => spec.steps.forEach((step, i) => {
        if (!step.run) return;
        const path = join(dir, `${file}-${job}-${i}.sh`);
        writeFileSync(path, `#!/usr/bin/env bash\nset -eo pipefail\n${step.run.replace(/\$\{\{[^}]*\}\}/g, "EXPR")}\n`);
        paths.push(path);
      }));
    }
    expect(paths.length).toBeGreaterThan(10);
    const result = spawnSync("shellcheck", ["--format=gcc", ...paths], { encoding: "utf8" });
    expect(result.error).toBeUndefined();
    expect(result.stdout.replaceAll(dir, "")).toBe("");
  });
});
