/**
 * The hub's snapshot stage without a host: the bundle is one file that runs the job with no
 * node_modules beside it (against both fakes), is the same bytes from the same sources, and is
 * what the stage copies; the stage's trigger follows the job; the hub program declares the
 * stage only when `letsbe-hub:snapshots` asks for it, with the tokens on stdin alone.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleSnapshotJob, writeSnapshotBundle } from "../../automation/snapshots/bundle";
import { MockRunResult, runUnderMocks } from "../../automation/plan/mockRuntime";
import { hubRunOptions } from "../../automation/plan/stackConfig";
import { repoRoot } from "../../automation/repoRoot";
import { hubSnapshotsStage, readSnapshotJob } from "../../components/hub/snapshots";
import { hubProgram } from "../../stacks/hub/program";
import { FakeHetzner } from "../fakes/hetzner/server";
import type { FakeScp } from "../fakes/scp/server";
import { call, settled } from "../hetzner/helpers";
import { startFake } from "../netcup/helpers";

const run = promisify(execFile);
const NETCUP_TOKEN = "netcup-refresh-token-hub-test-7f3a";
const HCLOUD_TOKEN = "hcloud-token-hub-test-91c2";
let job = "";

beforeAll(async () => {
  job = await bundleSnapshotJob();
});

describe("the snapshot job bundle", () => {
  let scp: FakeScp;
  let hetzner: FakeHetzner;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "letsbe-bundle-"));
    writeFileSync(join(dir, "letsbe-snapshots.js"), job);
    scp = await startFake();
    scp.addServers([{ product: "RS 1000 G12", nickname: "letsbe-tenant:nord" }]);
    hetzner = await FakeHetzner.start({ actionMs: 5 });
    const created = await call(hetzner, "POST", "/servers", { name: "west-server", server_type: "cpx21", image: "debian-13", location: "fsn1", labels: { tenant: "west", "managed-by": "letsbe" } });
    await settled(hetzner, created.body.action.id as number);
  });

  afterAll(async () => {
    expect(scp.violations).toEqual([]);
    expect(hetzner.violations).toEqual([]);
    await scp.stop();
    await hetzner.stop();
  });

  it("is the same text from the same sources, naming no path of this checkout", async () => {
    expect(await bundleSnapshotJob()).toBe(job);
    expect(job).not.toContain(repoRoot());
    expect(job.startsWith("#!/usr/bin/env node\n")).toBe(true);
  });

  it("runs alone (no node_modules beside it): usage errors exit 2 naming the flag", async () => {
    const result = await run(process.execPath, [join(dir, "letsbe-snapshots.js"), "fleet", "snapshots", "--keep", "0"], { cwd: dir, env: { PATH: process.env.PATH } }).catch((e: { code: number; stderr: string }) => e);
    expect("code" in result ? result.code : 0).toBe(2);
    expect(result.stderr).toContain("fleet snapshots: --keep: must be a whole number from 1 to 20");
  });

  it("takes both providers' snapshots from token files and writes the status; no token in its output", async () => {
    writeFileSync(join(dir, "netcup"), scp.refreshToken, { mode: 0o600 });
    writeFileSync(join(dir, "hcloud"), `${hetzner.token}\n`, { mode: 0o600 });
    const env = {
      PATH: process.env.PATH, CI: "1", NETCUP_API_URL: scp.apiUrl, NETCUP_TOKEN_URL: scp.tokenUrl, HCLOUD_ENDPOINT: hetzner.endpoint, LETSBE_SNAPSHOT_POLL_MS: "5",
      LETSBE_SECRET_NETCUP_REFRESH_TOKEN_FILE: join(dir, "netcup"), LETSBE_SECRET_HCLOUD_TOKEN_FILE: join(dir, "hcloud"),
    };
    const status = join(dir, "status", "snapshot-status.json");
    const result = await run(process.execPath, [join(dir, "letsbe-snapshots.js"), "fleet", "snapshots", "--gap", "0", "--status-file", status], { cwd: dir, env });
    expect(result.stdout).toContain("snapshots: 2 tenant(s), 0 failed");
    const doc = JSON.parse(readFileSync(status, "utf8")) as { status: string; tenants: Record<string, { status: string; snapshot: string }> };
    expect(doc.status).toBe("success");
    expect(Object.keys(doc.tenants).sort()).toEqual(["nord", "west"]);
    expect(scp.byName(scp.servers.values().next().value?.name ?? "").snapshots.map((s) => s.name)).toEqual([doc.tenants.nord.snapshot]);
    expect([...hetzner.images.values()].map((i) => i.description)).toEqual([doc.tenants.west.snapshot]);
    expect(result.stdout + result.stderr).not.toContain(scp.refreshToken);
    expect(result.stdout + result.stderr).not.toContain(hetzner.token);
  });
});

describe("the hub's snapshot stage", () => {
  it("copies the job, the service and the timer, and names a token secret per provider, none on its command", () => {
    const stage = hubSnapshotsStage({ providers: ["hetzner", "netcup"], keep: 4 }, job);
    expect(stage.name).toBe("hub-snapshots");
    expect(stage.files.map((f) => [f.name, f.remotePath])).toEqual([
      ["script", "/var/lib/letsbe/bootstrap/hub-snapshots.sh"],
      ["job", "/var/lib/letsbe/bootstrap/hub/snapshots/job"],
      ["service", "/var/lib/letsbe/bootstrap/hub/snapshots/service"],
      ["timer", "/var/lib/letsbe/bootstrap/hub/snapshots/timer"],
    ]);
    expect(stage.files.find((f) => f.name === "job")?.content).toBe(job);
    expect(stage.secrets).toEqual(["NETCUP_REFRESH_TOKEN", "HCLOUD_TOKEN"]);
    expect(stage.command).toContain("LB_WITH_SECRETS=1");
    expect(stage.command).toContain("LB_SNAPSHOT_TOKENS='NETCUP_REFRESH_TOKEN:netcup-refresh-token HCLOUD_TOKEN:hcloud-token'");
    expect(stage.command).toContain("LB_SNAPSHOT_STALE=''");
    expect(stage.files.find((f) => f.name === "service")?.content).toContain("fleet snapshots --status-file /var/lib/letsbe/hub-backup/snapshot-status.json --keep 4\n");
  });

  it("re-installs when the job changes and only then", () => {
    const args = { providers: ["netcup"] as const };
    expect(hubSnapshotsStage(args, job).trigger).toBe(hubSnapshotsStage(args, job).trigger);
    expect(hubSnapshotsStage(args, `${job}// changed\n`).trigger).not.toBe(hubSnapshotsStage(args, job).trigger);
    expect(hubSnapshotsStage(args, job).command).toContain("LB_SNAPSHOT_STALE='hcloud-token'");
  });

  it("reads the bundle npm run build writes", async () => {
    await writeSnapshotBundle();
    expect(readSnapshotJob()).toBe(job);
  });
});

describe("the hub program with letsbe-hub:snapshots", () => {
  const options = () => hubRunOptions(repoRoot(), "prod-eu", { org: "letsbe" });
  const runWith = (extra: Record<string, unknown>) => {
    const base = options();
    return runUnderMocks(hubProgram, { ...base, config: { ...base.config, ...extra }, secretConfigKeys: [...(base.secretConfigKeys ?? []), "hcloud:token"] });
  };
  let result: MockRunResult;
  const named = (name: string) => {
    const found = result.resources.find((r) => r.name === name);
    if (!found) throw new Error(`no resource ${name}`);
    return found;
  };

  beforeAll(async () => {
    await writeSnapshotBundle();
    result = await runWith({
      "letsbe-hub:snapshots": JSON.stringify({ providers: ["netcup", "hetzner"], gapSeconds: 30 }),
      "letsbe-hub:netcupRefreshToken": NETCUP_TOKEN,
      "hcloud:token": HCLOUD_TOKEN,
    });
  });

  it("runs the snapshot stage after the backup stage, its tokens on stdin only", () => {
    const stage = named("hub-eu-snapshots");
    expect(stage.dependencies).toContain(named("hub-eu-backup").urn);
    expect(stage.secretPaths).toContain("stdin");
    const stdin = String(stage.plainInputs.stdin);
    expect(stdin).toBe(`NETCUP_REFRESH_TOKEN=${Buffer.from(NETCUP_TOKEN).toString("base64")}\nHCLOUD_TOKEN=${Buffer.from(HCLOUD_TOKEN).toString("base64")}\n`);
    // Wherever else a token is (the hub's own Netcup server reads the same one), it is a secret input.
    const inTheOpen = result.resources.flatMap((r) => Object.entries(r.plainInputs)
      .filter(([key, value]) => /hub-test/.test(JSON.stringify(value)) && !r.secretPaths.some((p) => p === key || p.startsWith(`${key}.`)))
      .map(([key]) => `${r.name}.${key}`));
    expect(inTheOpen).toEqual([]);
    expect(JSON.stringify(stage.plainInputs.create)).not.toMatch(/hub-test/);
    expect((named("hub-eu-snapshots-job").plainInputs.source as { text: string }).text).toBe(job);
    expect(String((named("hub-eu-snapshots-service").plainInputs.source as { text: string }).text)).toContain("--gap 30 --parallel 4\n");
  });

  it("declares no snapshot stage without the key", async () => {
    const base = options();
    const config = Object.fromEntries(Object.entries(base.config ?? {}).filter(([key]) => key !== "letsbe-hub:snapshots"));
    const plain = await runUnderMocks(hubProgram, { ...base, config });
    expect(plain.resources.filter((r) => r.name.includes("snapshots"))).toEqual([]);
  });

  it("refuses a config naming no provider, or one twice, naming the key", async () => {
    await expect(runWith({ "letsbe-hub:snapshots": JSON.stringify({ providers: [] }) })).rejects.toThrow(/letsbe-hub:snapshots.*providers: must name netcup, hetzner or both/);
    await expect(runWith({ "letsbe-hub:snapshots": JSON.stringify({ providers: ["hetzner", "hetzner"] }) })).rejects.toThrow(/providers: must not name a provider twice/);
    await expect(runWith({ "letsbe-hub:snapshots": JSON.stringify({ providers: ["hetzner"], hcloudEndpoint: "http://x.example/%d" }) })).rejects.toThrow(/hcloudEndpoint: must not hold %/);
  });
});
