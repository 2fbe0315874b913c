/**
 * The Gitea workflows against the code they run: each job sets what the automation CLI reads (every
 * variable it requires, nothing that neither the code nor the job's own script reads); deployments
 * refuse a Gitea that would cancel them mid-way; pull requests hand unreviewed code no credential.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { CodeEnv, WORKFLOW_DIR, cliOperationEnv, envFindings, loadWorkflows, parseWorkflow, runsCliOperation, secretsReferenced, upstream } from "./workflows";

const REPO = join(__dirname, "..", "..");
let code: CodeEnv;

beforeAll(async () => {
  code = await cliOperationEnv(join(REPO, "dist"));
});

/** The tenant job as it was: regional tokens under names nothing reads, no LETSBE_SECRET_*. */
const BEFORE = `
name: deploy
on: { push: { branches: [main] } }
jobs:
  tenants:
    runs-on: ubuntu-latest
    env:
      PULUMI_ACCESS_TOKEN: \${{ secrets.PULUMI_ACCESS_TOKEN }}
      HCLOUD_TOKEN_EU: \${{ secrets.HCLOUD_TOKEN_EU }}
      HCLOUD_TOKEN_US: \${{ secrets.HCLOUD_TOKEN_US }}
      CLOUDFLARE_API_TOKEN: \${{ secrets.CLOUDFLARE_API_TOKEN }}
      NETCUP_REFRESH_TOKEN: \${{ secrets.NETCUP_REFRESH_TOKEN }}
      BEFORE: \${{ github.event.before }}
    steps:
      - run: |
          changed="$(git diff --name-only "\${BEFORE}" "\${GITHUB_SHA}" -- 'tenants/*.yaml')"
          for f in \${changed}; do npm run --silent letsbe -- tenant up "$(basename "$f" .yaml)"; done
`;

describe("what the CLI reads, observed", () => {
  it("is the code's own list: its secrets, workspace and backend variables, found by reading, not by a list here", () => {
    // Spot checks that could only fail if the observation were broken: one name of each reader.
    expect(code.read.has("LETSBE_WORKSPACE")).toBe(true);
    expect(code.read.has("LETSBE_SECRET_HCLOUD_TOKEN")).toBe(true);
    expect(code.read.has("PULUMI_BACKEND_URL")).toBe(true);
    expect(code.read.has("HCLOUD_TOKEN_EU")).toBe(false);
    expect(code.required.size).toBeGreaterThan(0);
    for (const name of code.required) expect(code.read.has(name)).toBe(true);
  });
});

describe("the check itself", () => {
  it("fails the tenant job as it was: required secrets missing, regional tokens that nothing reads", () => {
    const findings = envFindings(parseWorkflow(BEFORE, "before"), code);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.missing).toEqual(expect.arrayContaining(["LETSBE_SECRET_PROVISIONING_PRIVATE_KEY"]));
    expect(findings[0]!.unread).toEqual(["HCLOUD_TOKEN_EU", "HCLOUD_TOKEN_US", "NETCUP_REFRESH_TOKEN"]);
  });
});

describe("the committed workflows", () => {
  const workflows = loadWorkflows();

  it("are the three this suite knows, each parsed", () => {
    expect(Object.keys(workflows)).toEqual(["drift.yaml", "main.yaml", "pull-request.yaml"]);
  });

  it.each(["drift.yaml", "main.yaml", "pull-request.yaml"])("%s: every job sets what the code requires and nothing that nobody reads", (file) => {
    expect(envFindings(workflows[file]!, code)).toEqual([]);
  });

  it("main runs tenant operations through the CLI (so the comparison above judged a real consumer)", () => {
    const steps = Object.values(workflows["main.yaml"]!.jobs).flatMap((j) => j.steps.filter(runsCliOperation));
    expect(steps.length).toBeGreaterThan(0);
  });

  it("main: every job that changes a stack waits for the Gitea version gate, and runs queue instead of cancelling", () => {
    const main = workflows["main.yaml"]!;
    const deploying = Object.entries(main.jobs)
      .filter(([, job]) => job.steps.some((s) => /\bpulumi\s+up\b|\btenant\s+up\b/.test(s.run ?? "")))
      .map(([id]) => id);
    expect(deploying).toEqual(["up-prod-eu", "up-prod-us", "tenants"]);
    for (const id of deploying) expect([...upstream(main, id)]).toContain("gitea");
    expect(main.concurrency).toEqual({ group: "deploy-main", "cancel-in-progress": false });
    const gate = main.jobs.gitea!.steps.map((s) => s.run ?? "").join("\n");
    expect(gate).toContain("/api/v1/version");
    expect(gate).toContain("1.26.0");
  });

  it("pull requests: no credential but the automatic token, and no engine run of unreviewed code", () => {
    const text = readFileSync(join(WORKFLOW_DIR, "pull-request.yaml"), "utf8");
    expect(secretsReferenced(text)).toEqual(["GITHUB_TOKEN"]);
    const pr = workflows["pull-request.yaml"]!;
    const runs = Object.values(pr.jobs).flatMap((j) => j.steps.map((s) => s.run ?? ""));
    expect(runs.some((r) => /\bpulumi\s+(preview|up)\b|\btenant\s+(preview|up)\b/.test(r))).toBe(false);
    expect(runs.some((r) => r.includes('--stack "tenant:${slug}"'))).toBe(true);
  });
});
