/** Issue 14: the offline plan validates its flags and names the file at fault; errors on stderr; a closed pipe ends quietly. */
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { namedYamlError, scopeErrors } from "../../automation/cli/planInputs";
import { wrapCounts } from "../../automation/plan/cli";
import { PlanReport } from "../../automation/plan/types";
import { PLAN_CLI, REPO_ROOT, plan } from "./runPlan";

const root = REPO_ROOT;
const tmp = () => mkdtempSync(join(tmpdir(), "letsbe-planin-"));

beforeAll(() => {
  if (!existsSync(PLAN_CLI)) throw new Error(`${PLAN_CLI} is missing: run \`npm run build\` first (npm test does)`);
});

describe("npm run plan: input at the edge", () => {
  it.each([["abc"], ["0"], ["-3"]])("--workers %s exits 2 and plans nothing", async (value) => {
    const { code, stdout, stderr } = await plan("--stack", "prod-eu", `--workers=${value}`);
    expect(code).toBe(2);
    expect(stderr).toBe("plan: --workers: must be a whole number from 1 to 256\n");
    expect(stdout).toBe("");
  });

  it("--tenants on a missing folder exits 2 naming the flag", async () => {
    const { code, stderr } = await plan("--stack", "prod-eu", "--tenants", "/nonexistent");
    expect(code).toBe(2);
    expect(stderr).toBe("plan: --tenants: no such folder: /nonexistent\n");
  });

  it("a spec whose file name is not its slug is an error (exit 1, on stderr)", async () => {
    const dir = tmp();
    copyFileSync(join(root, "tenants/acme-bakery.yaml"), join(dir, "acme.yaml"));
    const out = join(dir, "plan.json");
    const { code, stdout, stderr } = await plan("--stack", "prod-eu", "--tenants", dir, "--json", out);
    expect(code).toBe(1);
    expect(stderr).toContain(`✗ ${join(dir, "acme.yaml")}: slug: "acme-bakery" but the file is named acme.yaml`);
    expect(stdout).not.toContain("✗");
    const report = JSON.parse(readFileSync(out, "utf8")) as PlanReport;
    expect(report.errors.map((e) => [e.source, e.path])).toEqual([[join(dir, "acme.yaml"), "slug"]]);
  });

  it("tenant:<slug> reports only that tenant's problems, not every broken spec in the folder", async () => {
    const dir = tmp();
    copyFileSync(join(root, "tenants/acme-bakery.yaml"), join(dir, "acme-bakery.yaml"));
    writeFileSync(join(dir, "broken.yaml"), "slug: broken\ntier: [\n");
    const { code, stderr } = await plan("--stack", "tenant:acme-bakery", "--tenants", dir);
    expect(stderr).not.toContain("broken.yaml");
    expect(code).toBe(0);
  });

  it("--json into a missing folder exits 2 naming --json", async () => {
    const { code, stderr } = await plan("--stack", "tenant:acme-bakery", "--json", "/nonexistent/plan.json");
    expect(code).toBe(2);
    expect(stderr).toBe("plan: --json: cannot write /nonexistent/plan.json (ENOENT)\n");
  });

  it.each([
    ["plan", [PLAN_CLI, "--stack", "prod-eu"]],
    // The CLI's own entry runs on local or remote only; the rehearsal entry is the same runCli and pipe handling.
    ["letsbe fleet status", [join(root, "dist/tests/automation/rehearse.js"), "fleet", "status"]],
  ])("%s: a reader that has gone away (| head) ends output quietly, without an EPIPE trace", async (_name, args) => {
    const env = { ...process.env, LETSBE_DATA_DIR: tmp() };
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => { stderr += chunk.toString(); });
    // The read end is closed before the first write, so every write meets EPIPE.
    child.stdout.destroy();
    const code = await new Promise<number | null>((done) => child.on("close", (c) => done(c)));
    expect(stderr).toBe("");
    expect(code).toBe(0);
  });
});

describe("plan: broken stack config names its file", () => {
  it("turns a YAMLParseError into an input error naming Pulumi.<stack>.yaml", () => {
    const dir = tmp();
    writeFileSync(join(dir, "Pulumi.prod-eu.yaml"), "config:\n  a: 1\n");
    writeFileSync(join(dir, "Pulumi.prod-us.yaml"), "config:\n  a: [1\n");
    let thrown: unknown;
    try {
      parseYaml("config:\n  a: [1\n");
    } catch (error) {
      thrown = error;
    }
    const named = namedYamlError(thrown, "prod-us", dir);
    expect(named?.problems).toHaveLength(1);
    expect(named?.problems[0]?.source).toBe("Pulumi.prod-us.yaml");
    expect(named?.problems[0]?.message).toMatch(/^not valid YAML: /);
    expect(namedYamlError(new Error("other"), "prod-us", dir)).toBeUndefined();
  });

  it("scopes spec errors to the tenant asked for", () => {
    const dir = "/specs";
    const errors = [
      { source: "/specs/other.yaml", path: "tier", message: "Invalid option" },
      { source: "/specs/acme.yaml", path: "tier", message: "Invalid option" },
      { source: "stack acme config letsbe-tenant:spec", path: "cloudflareZoneId", message: "required" },
    ];
    expect(scopeErrors(errors, "tenant:acme", dir).map((e) => e.source)).toEqual(["/specs/acme.yaml", "stack acme config letsbe-tenant:spec"]);
    expect(scopeErrors(errors, "prod-eu", dir)).toHaveLength(3);
  });
});

describe("plan: wide summaries wrap", () => {
  it("wraps a counts: line at 100 columns, whole entries per line, nothing lost", () => {
    const entries = Array.from({ length: 12 }, (_, i) => `provider:index/resourceType${i}:ResourceType${i} ×${i + 1}`);
    const wrapped = wrapCounts(`  counts: ${entries.join(", ")}`);
    const lines = wrapped.split("\n");
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(100);
    expect(lines[0]?.startsWith("  counts: provider:index/resourceType0:ResourceType0 ×1")).toBe(true);
    expect(lines.slice(1).every((l) => l.startsWith("          provider:"))).toBe(true);
    expect(wrapped.replace(/,\n\s+/g, ", ")).toBe(`  counts: ${entries.join(", ")}`);
    expect(wrapCounts("  counts: a ×1")).toBe("  counts: a ×1");
  });
});
