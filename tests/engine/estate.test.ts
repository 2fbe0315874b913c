/**
 * `npm run estate` as a newcomer uses it: bad input refused before anything starts, `up` with the
 * example estate tenants, `status --json`, the built CLI through `estate -- pulumi`, and `down`
 * leaving no container, network, process or file behind.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { sequentialSteps } from "../host/lib/steps";
import { REPO } from "./lib/engine";
import { ESTATE_NETWORK } from "./lib/estate";
import { ESTATE_DIR, ESTATE_PREFIX, STATE_FILE } from "./estate/model";

const CLI = join(REPO, "dist", "tests", "engine", "estate", "cli.js");
const { step } = sequentialSteps();

interface Run { code: number; stdout: string; stderr: string }
function estate(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: REPO, maxBuffer: 64 * 1024 * 1024, timeout: 3_600_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
  });
}
const docker = (...args: string[]) => new Promise<string>((resolve, reject) =>
  execFile("docker", args, { encoding: "utf8" }, (error, stdout) => (error ? reject(error) : resolve(stdout))));
const daemonPid = (): number | undefined => (existsSync(STATE_FILE) ? (JSON.parse(readFileSync(STATE_FILE, "utf8")) as { pid: number }).pid : undefined);
const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };
let startedPid: number | undefined;

afterAll(async () => {
  // A failed step still leaves nothing running: down, and the daemon stopped by its id.
  if (startedPid !== undefined && alive(startedPid)) {
    await estate("down");
    if (alive(startedPid)) process.kill(startedPid, "SIGTERM");
  }
});

describe("bad input is refused before anything starts", () => {
  it("an unknown command is a usage error", async () => {
    const run = await estate("frobnicate");
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown command 'frobnicate'/);
  });

  it("a missing tenants folder names the flag", async () => {
    const run = await estate("up", "--tenants", "/nonexistent/estate-tenants");
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("estate up: --tenants: no such folder: /nonexistent/estate-tenants");
    expect(existsSync(STATE_FILE)).toBe(false);
  });

  it("a tenant needing a tool the estate has no stand-in for names the file and field", async () => {
    const dir = mkdtempSync(join(tmpdir(), "letsbe-estate-specs-"));
    writeFileSync(join(dir, "cloudy.yaml"), [
      "slug: cloudy", "domain: cloudy.eu.estate.example.net", "region: eu", "tier: build", "provider: hetzner",
      "tools: [nextcloud]", "contactEmail: ops@example.net", "createdAt: 2026-12-01", "",
    ].join("\n"));
    const run = await estate("up", "--tenants", dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${join(dir, "cloudy.yaml")}: tools:`);
    expect(run.stderr).toContain("nextcloud");
    expect(existsSync(STATE_FILE)).toBe(false);
  });

  it("status of an estate that is not up exits 3", async () => {
    const run = await estate("status", "--json");
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("the estate is not up");
  });
});

describe("up, status, the CLI, down", () => {
  step("up brings up the eu hub and the example tenants with the real CLI", async () => {
    const run = await estate("up");
    startedPid = daemonPid();
    expect(run.stdout, run.stdout + run.stderr).toMatch(/^result: ok$/m);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("hub prod-eu: up");
    expect(run.stdout).toContain("tenant estate-lite: up");
    expect(run.stdout).toContain("tenant estate-cloud: up");
  });

  step("status --json lists each stack with its resources and last result, and each host", async () => {
    const run = await estate("status", "--json");
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as { stacks: Array<{ name: string; resources: number; lastResult: string | null }>; hosts: Array<{ name: string; address: string }> };
    const byName = Object.fromEntries(report.stacks.map((s) => [s.name, s]));
    expect(Object.keys(byName).sort()).toEqual(["organization/letsbe-hub/prod-eu", "organization/letsbe-tenant/estate-cloud", "organization/letsbe-tenant/estate-lite"]);
    for (const stack of report.stacks) expect(stack.resources, stack.name).toBeGreaterThan(10);
    for (const stack of report.stacks) expect(stack.lastResult, stack.name).toBe("succeeded");
    expect(report.hosts).toHaveLength(3);
    for (const host of report.hosts) expect(host.address.startsWith("198.18.")).toBe(true);
  });

  step("`estate -- pulumi` runs the built CLI against the estate's backend", async () => {
    const ls = await estate("pulumi", "stack", "ls", "--all", "--json");
    expect(ls.code, ls.stderr).toBe(0);
    expect((JSON.parse(ls.stdout) as Array<{ name: string }>).map((s) => s.name)).toContain("organization/letsbe-tenant/estate-lite");
    const outputs = await estate("pulumi", "stack", "output", "--json", "-s", "prod-eu");
    expect(outputs.code, outputs.stderr).toBe(0);
    const history = await estate("pulumi", "stack", "history", "--json", "-s", "organization/letsbe-tenant/estate-lite");
    expect(history.code, history.stderr).toBe(0);
    expect((JSON.parse(history.stdout) as Array<{ result: string }>)[0].result).toBe("succeeded");
    expect((JSON.parse(outputs.stdout) as { hubServerProvider: string }).hubServerProvider).toBe("netcup");
    const failing = await estate("pulumi", "stack", "select", "no-such-stack");
    expect(failing.code).not.toBe(0);
  });

  step("down destroys every stack and leaves no container, network, process or file", async () => {
    const run = await estate("down");
    expect(run.stdout, run.stdout + run.stderr).toMatch(/^result: ok$/m);
    expect(run.code).toBe(0);
    expect(startedPid !== undefined && alive(startedPid)).toBe(false);
    expect((await docker("ps", "-a", "--filter", `name=${ESTATE_PREFIX}`, "--format", "{{.Names}}")).trim()).toBe("");
    expect((await docker("network", "ls", "--filter", `name=${ESTATE_NETWORK.name}`, "--format", "{{.Name}}")).trim()).toBe("");
    expect(existsSync(ESTATE_DIR)).toBe(false);
  });
});
