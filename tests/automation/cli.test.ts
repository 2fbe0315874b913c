import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EXIT, runCli } from "../../automation/cli/index";
import { PlainProgress, isInteractive } from "../../automation/cli/progress";
import { rolloutTarget } from "../../automation/cli/fleet";
import { secretEnvName } from "../../automation/context";
import { SIMULATED_BACKEND } from "./simulatedBackend";

function io(dataDir: string) {
  const out: string[] = [];
  const err: string[] = [];
  const sink = { write: (s: string) => { out.push(s); return true; } } as unknown as NodeJS.WritableStream;
  return {
    out, err,
    io: {
      out: (s: string) => out.push(s),
      err: (s: string) => err.push(s),
      env: {
        LETSBE_DATA_DIR: dataDir, CI: "1",
        LETSBE_SECRET_PROVISIONING_PRIVATE_KEY: "key-S3CR3T", LETSBE_SECRET_REGISTRATION_TOKEN: "reg-S3CR3T",
      },
      progress: () => new PlainProgress(sink),
      backend: SIMULATED_BACKEND,
    },
  };
}

describe("letsbe CLI", () => {
  it("brings a tenant up from its spec with a line per event, and exits 0", async () => {
    const dir = mkdtempSync(join(tmpdir(), "letsbe-cli-"));
    const run = io(dir);
    expect(await runCli(["tenant", "up", "acme-bakery"], run.io)).toBe(EXIT.ok);
    const text = run.out.join("");
    expect(text).toMatch(/acme-bakery {2}AWAITING_SERVER validate {2}order accepted/);
    expect(text).toMatch(/acme-bakery {2}FULFILLED {7}outputs {3}tenant ready/);
    expect(text).toMatch(/acme-bakery: create \d+/);
    expect(text).not.toContain("S3CR3T");
    expect(existsSync(join(dir, "tenants", "acme-bakery.json"))).toBe(true);
  });

  it("exits 2 on bad usage and input, naming what was wrong", async () => {
    const dir = mkdtempSync(join(tmpdir(), "letsbe-cli-"));
    const run = io(dir);
    expect(await runCli(["tenant", "up", "no-such-tenant"], run.io)).toBe(EXIT.usage);
    expect(run.err.join("")).toMatch(/no-such-tenant\.yaml: no spec for tenant "no-such-tenant"/);
    expect(await runCli(["tenant", "destroy", "acme-bakery"], run.io)).toBe(EXIT.usage);
    expect(await runCli(["fleet", "rollout", "--channel", "kernel", "--dry-run"], run.io)).toBe(EXIT.usage);
    expect(run.err.join("")).toMatch(/--channel: must be one of policy, wrapper, openclaw/);
    expect(await runCli(["fleet", "rollout", "--channel", "openclaw", "--image", "x:latest"], run.io)).toBe(EXIT.usage);
    expect(await runCli(["frobnicate"], run.io)).toBe(EXIT.usage);
    const noSecrets = io(dir);
    delete (noSecrets.io.env as Record<string, string | undefined>).LETSBE_SECRET_PROVISIONING_PRIVATE_KEY;
    expect(await runCli(["tenant", "up", "acme-bakery"], noSecrets.io)).toBe(EXIT.usage);
    expect(noSecrets.err.join("")).toMatch(/LETSBE_SECRET_PROVISIONING_PRIVATE_KEY: required/);
  });

  it("destroys only with --confirm repeating the slug", async () => {
    const dir = mkdtempSync(join(tmpdir(), "letsbe-cli-"));
    const run = io(dir);
    expect(await runCli(["tenant", "up", "sandbox-eu"], run.io)).toBe(EXIT.ok);
    expect(await runCli(["tenant", "destroy", "sandbox-eu", "--confirm", "sandbox-us"], run.io)).toBe(EXIT.usage);
    expect(run.err.join("")).toMatch(/needs the slug repeated/);
  });

  it("prints the wave plan on --dry-run, rolls out, and reports fleet status", async () => {
    const dir = mkdtempSync(join(tmpdir(), "letsbe-cli-"));
    const run = io(dir);
    for (const slug of ["sandbox-eu", "acme-bakery", "harbor-legal"]) expect(await runCli(["tenant", "up", slug], run.io)).toBe(EXIT.ok);
    // A Netcup tenant without the Netcup token never comes up, and so stays out of rollouts.
    expect(await runCli(["tenant", "up", "nordlicht-studio"], run.io)).toBe(EXIT.failed);
    expect(run.err.join("")).toMatch(/nordlicht-studio: FAILED at program: .*netcupRefreshToken/);
    run.out.length = 0;
    expect(await runCli(["fleet", "rollout", "--channel", "policy", "--policy-bundle", "2026.12.1", "--dry-run"], run.io)).toBe(EXIT.ok);
    expect(run.out.join("")).toMatch(/not in this rollout \(never came up\): nordlicht-studio/);
    expect(run.out.join("")).toMatch(/wave 1 sandbox +1 tenant\(s\), 1 to move: sandbox-eu\n {2}wave 2 5% +1 tenant\(s\), 1 to move: acme-bakery\n {2}wave 3 100% +1 tenant\(s\), 1 to move: harbor-legal/);
    expect(existsSync(join(dir, "rollouts"))).toBe(false);
    expect(await runCli(["fleet", "rollout", "--channel", "policy", "--policy-bundle", "2026.12.1", "--bake", "0", "--no-metrics"], run.io)).toBe(EXIT.ok);
    expect(readdirSync(join(dir, "rollouts"))).toEqual(["policy-2026.12.1.jsonl"]);
    run.out.length = 0;
    expect(await runCli(["fleet", "status"], run.io)).toBe(EXIT.ok);
    const status = run.out.join("");
    expect(status).toMatch(/4 active tenant\(s\)/);
    expect(status).toMatch(/policy: +2026\.11\.1 ×1, 2026\.12\.1 ×3/);
    expect(status).toMatch(/rollout policy-2026\.12\.1 \(policy\): completed/);
  });

  it("parses rollout targets per channel", () => {
    const digest = `sha256:${"ab".repeat(32)}`;
    expect(rolloutTarget({ channel: "openclaw", image: `code.letsbe.solutions/letsbe/openclaw:2026.3.1@${digest}` }).target)
      .toEqual({ openclaw: { repository: "code.letsbe.solutions/letsbe/openclaw", tag: "2026.3.1", digest } });
    expect(rolloutTarget({ channel: "policy", policyBundle: "2026.12.1" }).target).toEqual({ policyBundle: "2026.12.1" });
    expect(() => rolloutTarget({ channel: "wrapper" })).toThrow(/--image/);
    expect(secretEnvName("letsbe-tenant:backupRcloneConfig")).toBe("LETSBE_SECRET_BACKUP_RCLONE_CONFIG");
    expect(secretEnvName("hcloud:token")).toBe("LETSBE_SECRET_HCLOUD_TOKEN");
  });
});

describe("letsbe CLI: plan and progress", () => {
  it("plan runs the offline plan and prints its summary", async () => {
    const run = io(mkdtempSync(join(tmpdir(), "letsbe-cli-")));
    const code = await runCli(["plan", "--stack", "tenant:acme-bakery"], run.io);
    const text = run.out.join("");
    expect(text).toMatch(/^letsbe-tenant\/acme-bakery\n/);
    expect(text).toMatch(/Planned 1 stack\(s\), \d+ resource\(s\)/);
    expect(code).toBe(/0 error\(s\), 0 mandatory/.test(text) ? EXIT.ok : EXIT.failed);
    expect(await runCli(["plan", "--stack", "prod-mars"], run.io)).toBe(EXIT.usage);
  });

  it("shows a bar only on an interactive terminal outside CI", () => {
    const tty = { isTTY: true } as NodeJS.WriteStream;
    expect(isInteractive(tty, {})).toBe(true);
    expect(isInteractive(tty, { CI: "true" })).toBe(false);
    expect(isInteractive({ isTTY: false } as NodeJS.WriteStream, {})).toBe(false);
  });
});
