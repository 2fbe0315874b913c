/** Issue 14: output meant for scripts is JSON (`fleet status --json`, `fleet rollout --dry-run --json`). */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EXIT, runCli } from "../../automation/cli/index";
import { PlainProgress } from "../../automation/cli/progress";
import { SIMULATED_BACKEND } from "./simulatedBackend";

function cli() {
  const out: string[] = [];
  const err: string[] = [];
  const sink = { write: () => true } as unknown as NodeJS.WritableStream;
  const env: NodeJS.ProcessEnv = {
    LETSBE_DATA_DIR: mkdtempSync(join(tmpdir(), "letsbe-json-")), CI: "1",
    LETSBE_SECRET_PROVISIONING_PRIVATE_KEY: "key-S3CR3T", LETSBE_SECRET_REGISTRATION_TOKEN: "reg-S3CR3T",
  };
  const io = { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s), env, progress: () => new PlainProgress(sink), backend: SIMULATED_BACKEND };
  return {
    out, err,
    run: async (...argv: string[]) => {
      out.length = 0;
      err.length = 0;
      return runCli(argv, io);
    },
  };
}

describe("letsbe: JSON for scripts", () => {
  it("fleet status --json carries tenants by group and pins, and the rollout's waves", async () => {
    const c = cli();
    for (const slug of ["sandbox-eu", "acme-bakery"]) expect(await c.run("tenant", "up", slug)).toBe(EXIT.ok);
    expect(await c.run("fleet", "rollout", "--channel", "policy", "--policy-bundle", "2026.12.1", "--bake", "0", "--no-metrics")).toBe(EXIT.ok);
    expect(await c.run("fleet", "status", "--json")).toBe(EXIT.ok);
    const status = JSON.parse(c.out.join("")) as Record<string, unknown>;
    expect(status).toMatchObject({
      activeTenants: 2,
      groups: { canary: 1, sandbox: 1 },
      policy: { "2026.12.1": 2 },
      rollout: {
        id: "policy-2026.12.1", channel: "policy", status: "completed",
        waves: [
          { wave: 1, name: "sandbox", tenants: 1, moved: 1, failed: 0, skipped: 0, healthy: true },
          { wave: 2, name: "5%", tenants: 1, moved: 1, failed: 0, skipped: 0, healthy: true },
        ],
      },
    });
  });

  it("fleet rollout --dry-run --json carries the wave plan; --json without --dry-run is a usage error", async () => {
    const c = cli();
    expect(await c.run("tenant", "up", "sandbox-eu")).toBe(EXIT.ok);
    expect(await c.run("fleet", "rollout", "--channel", "policy", "--policy-bundle", "2026.12.1", "--dry-run", "--json")).toBe(EXIT.ok);
    expect(JSON.parse(c.out.join(""))).toEqual({
      id: "policy-2026.12.1", channel: "policy", target: { policyBundle: "2026.12.1" }, tenants: 1, leftOut: [],
      waves: [{ wave: 1, name: "sandbox", slugs: ["sandbox-eu"], toMove: ["sandbox-eu"] }],
    });
    expect(await c.run("fleet", "rollout", "--channel", "policy", "--policy-bundle", "2026.12.1", "--json")).toBe(EXIT.usage);
    expect(c.err.join("")).toBe("fleet rollout: --json: only with --dry-run\n");
  });

  it("fleet status --id must be a rollout id, and an unknown one exits 2 on stderr", async () => {
    const c = cli();
    expect(await c.run("fleet", "status", "--id", "../../etc/passwd")).toBe(EXIT.usage);
    expect(c.err.join("")).toMatch(/^fleet status: --id: must be 1-100 letters/);
    expect(await c.run("fleet", "status", "--id", "nope")).toBe(EXIT.usage);
    expect(c.err.join("")).toMatch(/^fleet status: --id: no rollout nope in /);
  });
});
