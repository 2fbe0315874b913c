/** Issue 14: every flag, variable and file the operator CLI is given is checked at the edge (exit 2, nothing used up). */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { EXIT, runCli } from "../../automation/cli/index";
import { PlainProgress } from "../../automation/cli/progress";
import { FileJournal } from "../../automation/rollout/journal";
import { RolloutUsageError, runRollout } from "../../automation/rollout/rollout";
import { SIMULATED_BACKEND } from "./simulatedBackend";

const root = resolve(__dirname, "../..");
const DIGEST = `sha256:${"ab".repeat(32)}`;
const OPENCLAW = `code.letsbe.solutions/letsbe/openclaw:2026.3.1@${DIGEST}`;
const SECRETS = {
  LETSBE_SECRET_PROVISIONING_PRIVATE_KEY: "key-S3CR3T", LETSBE_SECRET_REGISTRATION_TOKEN: "reg-S3CR3T",
};

function cli(env: Record<string, string> = SECRETS) {
  const dataDir = mkdtempSync(join(tmpdir(), "letsbe-validate-"));
  const out: string[] = [];
  const err: string[] = [];
  const sink = { write: (s: string) => { out.push(s); return true; } } as unknown as NodeJS.WritableStream;
  const io = {
    out: (s: string) => void out.push(s), err: (s: string) => void err.push(s),
    env: { LETSBE_DATA_DIR: dataDir, CI: "1", ...env } as NodeJS.ProcessEnv,
    progress: () => new PlainProgress(sink),
    // The environment's own workspace when the test names one (LETSBE_WORKSPACE), else the simulated one.
    backend: env.LETSBE_WORKSPACE === undefined ? SIMULATED_BACKEND : undefined,
  };
  return { dataDir, out, err, io, run: (...argv: string[]) => runCli(argv, io) };
}

describe("letsbe: flags are validated before anything runs", () => {
  it.each([["abc"], ["0"], ["-3"], ["2.5"]])("plan --workers %s exits 2 naming the flag and the rule", async (value) => {
    const c = cli();
    expect(await c.run("plan", "--stack", "prod-eu", `--workers=${value}`)).toBe(EXIT.usage);
    expect(c.err.join("")).toContain("plan: --workers: must be a whole number from 1 to 256");
    expect(c.out.join("")).not.toContain("Planned");
  });

  it("plan --tenants on a missing folder exits 2 naming the flag, not a raw ENOENT", async () => {
    const c = cli();
    expect(await c.run("plan", "--stack", "prod-eu", "--tenants", "/nonexistent")).toBe(EXIT.usage);
    expect(c.err.join("")).toBe("plan: --tenants: no such folder: /nonexistent\n");
  });

  it.each([
    [["--concurrency=0"], "fleet rollout: --concurrency: must be a whole number from 1 to 1000"],
    [["--concurrency", "abc"], "fleet rollout: --concurrency: must be a whole number from 1 to 1000"],
    [["--max-failed", "abc"], "fleet rollout: --max-failed: must be a whole number from 0 to 100000"],
    [["--bake=-5"], "fleet rollout: --bake: must be a number of minutes from 0 to 1440"],
    [["--metrics-url", "notaurl"], "fleet rollout: --metrics-url: must be an http:// or https:// URL"],
    [["--id", "../../etc/x"], "fleet rollout: --id: must be 1-100 letters"],
  ])("fleet rollout %j exits 2, and uses up no rollout id", async (flags, message) => {
    const c = cli();
    expect(await c.run("tenant", "up", "sandbox-eu")).toBe(EXIT.ok);
    expect(await c.run("fleet", "rollout", "--channel", "openclaw", "--image", OPENCLAW, "--bake", "0", ...flags)).toBe(EXIT.usage);
    expect(c.err.join("")).toContain(message);
    expect(existsSync(join(c.dataDir, "rollouts"))).toBe(false);
    // The same id is still free for a corrected command.
    expect(await c.run("fleet", "rollout", "--channel", "openclaw", "--image", OPENCLAW, "--bake", "0", "--no-metrics")).toBe(EXIT.ok);
    expect(c.out.join("")).toContain("rollout openclaw-2026.3.1: completed; 1 moved, 0 failed");
  });

  it("a wrapper rollout given an openclaw image exits 2 naming --image", async () => {
    const c = cli();
    expect(await c.run("fleet", "rollout", "--channel", "wrapper", "--image", OPENCLAW, "--dry-run")).toBe(EXIT.usage);
    expect(c.err.join("")).toContain("fleet rollout: --image: the wrapper channel takes a safety-wrapper image, not openclaw");
  });

  it("the rollout itself refuses a concurrency that would move nothing, before writing its journal", async () => {
    const dir = mkdtempSync(join(tmpdir(), "letsbe-journal-"));
    const journal = new FileJournal(join(dir, "r.jsonl"));
    const run = runRollout({
      id: "r", channel: "policy", target: { policyBundle: "2026.12.1" }, journal,
      fleet: [{ slug: "acme", group: "general", createdAt: "2026-01-01" }],
      updater: { update: async () => ({ ok: true, outputs: {} }) }, concurrency: 0,
    });
    await expect(run).rejects.toBeInstanceOf(RolloutUsageError);
    expect(existsSync(join(dir, "r.jsonl"))).toBe(false);
  });
});

describe("letsbe: files and variables are named in errors", () => {
  it("a _FILE secret variable naming a missing file exits 2 naming the variable", async () => {
    const c = cli({ ...SECRETS, LETSBE_SECRET_PROVISIONING_PRIVATE_KEY: "", LETSBE_SECRET_PROVISIONING_PRIVATE_KEY_FILE: "/nonexistent/key" });
    expect(await c.run("tenant", "up", "acme-bakery")).toBe(EXIT.usage);
    expect(c.err.join("")).toBe("environment: LETSBE_SECRET_PROVISIONING_PRIVATE_KEY_FILE: no such file: /nonexistent/key\n");
  });

  it("the local workspace without a Pulumi CLI on the PATH exits 2 naming LETSBE_WORKSPACE", async () => {
    const c = cli({ ...SECRETS, LETSBE_WORKSPACE: "local", PATH: mkdtempSync(join(tmpdir(), "letsbe-nopath-")) });
    expect(await c.run("tenant", "up", "acme-bakery")).toBe(EXIT.usage);
    expect(c.err.join("")).toMatch(/^environment: LETSBE_WORKSPACE: local \(the default\) needs the Pulumi CLI \(v3\.248\.0\) on the PATH/);
  });

  it("a spec file that is not YAML exits 2 naming the file", async () => {
    const c = cli();
    const file = join(c.dataDir, "acme-bakery.yaml");
    writeFileSync(file, "slug: acme-bakery\ntools: [nextcloud\n");
    expect(await c.run("tenant", "up", "acme-bakery", "--spec", file)).toBe(EXIT.usage);
    expect(c.err.join("")).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: not valid YAML: `));
  });

  it("a missing field reads \"required\", not the rule its value would break", async () => {
    const c = cli();
    const file = join(c.dataDir, "acme-bakery.yaml");
    writeFileSync(file, readFileSync(join(root, "tenants/acme-bakery.yaml"), "utf8").replace(/^contactEmail:.*$/m, ""));
    expect(await c.run("tenant", "up", "acme-bakery", "--spec", file)).toBe(EXIT.usage);
    expect(c.err.join("")).toBe(`${file}: contactEmail: required\n`);
  });
});

describe("letsbe: read-only verbs need no secrets", () => {
  it("fleet status and fleet rollout --dry-run run without any LETSBE_SECRET_*", async () => {
    const c = cli({});
    expect(await c.run("fleet", "status")).toBe(EXIT.ok);
    expect(c.out.join("")).toContain("0 active tenant(s)");
    expect(await c.run("fleet", "rollout", "--channel", "openclaw", "--image", OPENCLAW, "--dry-run", "--metrics-url", "https://hub.example/api")).toBe(EXIT.ok);
    expect(c.out.join("")).toContain("(dry run: nothing changes)");
    expect(c.err).toEqual([]);
  });

  it("an operation still asks for its secrets", async () => {
    const c = cli({});
    expect(await c.run("tenant", "up", "acme-bakery")).toBe(EXIT.usage);
    expect(c.err.join("")).toMatch(/LETSBE_SECRET_PROVISIONING_PRIVATE_KEY: required/);
  });

  it(".letsbe/ (the default data folder) is git-ignored", () => {
    expect(readFileSync(join(root, ".gitignore"), "utf8").split("\n")).toContain(".letsbe/");
  });
});

describe("letsbe: a damaged tenant record", () => {
  it("is named by its file and field (exit 2), not a raw SyntaxError", async () => {
    const c = cli({});
    const dir = join(c.dataDir, "tenants");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "acme-bakery.json"), "{ torn");
    expect(await c.run("fleet", "status")).toBe(EXIT.usage);
    expect(c.err.join("")).toMatch(new RegExp(`^${join(dir, "acme-bakery.json").replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: not valid JSON: `));
    writeFileSync(join(dir, "acme-bakery.json"), JSON.stringify({ slug: "acme-bakery", orderId: "o", spec: {}, status: "gone", updatedAt: "x" }));
    expect(await c.run("fleet", "status")).toBe(EXIT.usage);
    expect(c.err.join("")).toContain(`${join(dir, "acme-bakery.json")}: status: `);
  });
});
