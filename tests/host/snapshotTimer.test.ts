/**
 * The snapshot job installed and run on a real Debian 13 hub host (issue 16 part 2): a host
 * bootstrapped by every base stage gets the hub-snapshots stage exactly as createStage runs it
 * (files copied, the command run, the tokens on stdin); the timer is listed with its schedule;
 * `systemctl start` of the service runs the bundled job with Debian's nodejs against the SCP and
 * Hetzner fakes, whose snapshots appear, and snapshot-status.json reports them; a provider that
 * fails is named in the status file and fails the unit. The tokens stay in root-only files: in
 * no unit file, unit property, process list or journal line.
 *
 * The fakes listen on this machine's loopback; the host reaches them through a TCP relay on its
 * network's gateway (the address the host tier's hosts reach this machine on). The container's /run
 * is made a shared mount, as a VM's is, or LoadCredential= leaves the credentials folder empty.
 */
import { createHash } from "node:crypto";
import { createServer, connect, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { bundleSnapshotJob } from "../../automation/snapshots/bundle";
import { renderSecretsFile, type Stage } from "../../components/host/stages";
import { SNAPSHOT_JOB_PATH, SNAPSHOT_SECRETS_DIR, SNAPSHOT_STATUS_FILE, SNAPSHOT_UNIT, SnapshotUnitArgs, hubSnapshotsStage } from "../../components/hub/snapshots";
import { FakeHetzner } from "../fakes/hetzner/server";
import type { FakeScp } from "../fakes/scp/server";
import { call, settled } from "../hetzner/helpers";
import { startFake } from "../netcup/helpers";
import { docker } from "./lib/infra";
import { sequentialSteps } from "./lib/steps";
import { TenantHost, ensureEngine, startTenantHost, stopEngineIfStarted, stopTenantHost } from "./lib/tenantHost";

const NAME = `letsbe-host-snapshots-${process.pid}`;
const { step } = sequentialSteps();
let hub: TenantHost;
let scp: FakeScp;
let hetzner: FakeHetzner;
let args: SnapshotUnitArgs;
let job = "";
let stage: Stage;
const relays: Server[] = [];

interface Status {
  status: string; failed: string[]; provider_errors: Array<{ provider: string; error: string }>; retention: { keep: number };
  tenants: Record<string, { provider: string; group: string; status: string; snapshot?: string; kept: number }>;
}

/** Forwards gateway:<port> to a fake's loopback port; resolves to the URL the host uses. */
async function relayed(url: string, gateway: string): Promise<string> {
  const target = new URL(url);
  const server = createServer((socket) => {
    const upstream = connect(Number(target.port), "127.0.0.1");
    socket.pipe(upstream).pipe(socket);
    socket.on("error", () => upstream.destroy());
    upstream.on("error", () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, gateway, resolve));
  relays.push(server);
  const port = (server.address() as { port: number }).port;
  return `http://${gateway}:${port}`;
}

/** What createStage's CopyToRemote + Command do: every file copied, the command run with the secrets on stdin. */
async function runStage(): Promise<string> {
  for (const file of stage.files) await hub.session.upload(file.remotePath, file.content);
  const stdin = renderSecretsFile({ NETCUP_REFRESH_TOKEN: scp.refreshToken, HCLOUD_TOKEN: hetzner.token }, stage.secrets);
  const result = await hub.session.exec(stage.command, stdin);
  if (result.code !== 0) throw new Error(`stage ${stage.name} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
  return result.stdout + result.stderr;
}

const status = async () => JSON.parse(await hub.run(`cat ${SNAPSHOT_STATUS_FILE}`)) as Status;
const tokens = () => [scp.refreshToken, hetzner.token];

/** Starts the service, reads the process list while it runs, waits for its end; returns the lines seen and the unit's result. */
async function startService(): Promise<{ processes: string[]; result: string; exitStatus: string; seconds: number }> {
  const show = (p: string) => hub.run(`systemctl show ${SNAPSHOT_UNIT}.service -p ${p} --value`).then((v) => v.trim());
  const startedBefore = await show("ExecMainStartTimestampMonotonic");
  const begin = Date.now();
  await hub.run(`systemctl start --no-block ${SNAPSHOT_UNIT}.service`);
  const processes = new Set<string>();
  for (;;) {
    const state = await show("ActiveState");
    for (const line of (await hub.run("ps -eww -o args=")).split("\n")) if (line.includes("node")) processes.add(line);
    // Done once this start's run has begun and ended (a queued start may still read the last state).
    if (state !== "activating" && state !== "active" && await show("ExecMainStartTimestampMonotonic") !== startedBefore) break;
    if (Date.now() - begin > 120_000) throw new Error("the snapshot service still runs after 120 s");
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { processes: [...processes], result: await show("Result"), exitStatus: await show("ExecMainStatus"), seconds: (Date.now() - begin) / 1000 };
}

/** The unit's result as expected, or a failure carrying the job's journal. */
async function expectResult(run: { result: string; exitStatus: string }, result: string, exitStatus: string): Promise<void> {
  if (run.result === result && run.exitStatus === exitStatus) return;
  const journal = await hub.run(`journalctl -u ${SNAPSHOT_UNIT}.service --no-pager -o cat | tail -40`);
  throw new Error(`${SNAPSHOT_UNIT}.service: result ${run.result}, exit ${run.exitStatus} (want ${result}, ${exitStatus})\n${journal}`);
}

describe("the snapshot timer on a real hub host", () => {
  beforeAll(async () => {
    ensureEngine();
    hub = await startTenantHost(NAME);
    // Test host only: docker's --tmpfs /run is a private mount, and systemd's per-unit credentials
    // mount under /run/credentials shows only on a shared /run (systemd issue 38103; a VM's is).
    await hub.run("mount --make-shared /run");
    const gateway = docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.Gateway}}{{end}}", NAME).trim();
    scp = await startFake({ taskMs: 200 });
    scp.addServers([
      { product: "RS 1000 G12", nickname: "letsbe-tenant:nord" },
      { product: "RS 1000 G12", nickname: "letsbe-tenant:sued", site: "Vienna" },
      { product: "RS 1000 G12", nickname: "letsbe-pool" },
    ]);
    hetzner = await FakeHetzner.start({ actionMs: 1500 });
    const created = await call(hetzner, "POST", "/servers", { name: "west-server", server_type: "cpx21", image: "debian-13", location: "fsn1", labels: { tenant: "west", "managed-by": "letsbe" } });
    await settled(hetzner, created.body.action.id as number);
    const scpBase = await relayed(scp.apiUrl, gateway);
    job = await bundleSnapshotJob();
    args = {
      providers: ["netcup", "hetzner"],
      gapSeconds: 0,
      netcupApiUrl: `${scpBase}${new URL(scp.apiUrl).pathname}`,
      netcupTokenUrl: `${scpBase}${new URL(scp.tokenUrl).pathname}`,
      hcloudEndpoint: `${await relayed(hetzner.endpoint, gateway)}${new URL(hetzner.endpoint).pathname}`,
    };
    stage = hubSnapshotsStage(args, job);
  });

  afterAll(async () => {
    expect(scp?.violations ?? []).toEqual([]);
    expect(hetzner?.violations ?? []).toEqual([]);
    stopTenantHost(hub, NAME);
    for (const relay of relays) relay.close();
    await scp?.stop();
    await hetzner?.stop();
    stopEngineIfStarted();
  });

  step("the stage installs Node.js, the job, the tokens and the units, and a second run changes nothing", async () => {
    const first = await runStage();
    expect(first).toMatch(/letsbe-stage hub-snapshots changes=([1-9]\d*)/);
    expect(first).toContain("installed nodejs");
    expect(await hub.run("node --version")).toMatch(/^v2\d\./);
    expect(await hub.run(`sha256sum < ${SNAPSHOT_JOB_PATH}`)).toBe(`${createHash("sha256").update(job).digest("hex")}  -\n`);
    const second = await runStage();
    expect(second).toContain("letsbe-stage hub-snapshots changes=0");
  });

  step("systemctl list-timers shows the timer with its schedule, 04:00 UTC", async () => {
    const listed = await hub.run(`systemctl list-timers --all --no-pager ${SNAPSHOT_UNIT}.timer`);
    console.log(`snapshots: ${listed.trim()}`);
    expect(listed).toMatch(new RegExp(`\\d{4}-\\d\\d-\\d\\d 04:00:00 UTC .*${SNAPSHOT_UNIT}\\.timer\\s+${SNAPSHOT_UNIT}\\.service`));
    expect(await hub.run(`systemctl is-enabled ${SNAPSHOT_UNIT}.timer`)).toBe("enabled\n");
    expect(await hub.run(`systemctl show ${SNAPSHOT_UNIT}.timer -p TimersCalendar --value`)).toContain("OnCalendar=*-*-* 04:00:00 UTC");
  });

  step("the tokens are root-only files, in no unit file or unit property", async () => {
    expect(await hub.run(`stat -c '%a %U:%G %n' ${SNAPSHOT_SECRETS_DIR} ${SNAPSHOT_SECRETS_DIR}/*`)).toBe(
      `700 root:root ${SNAPSHOT_SECRETS_DIR}\n600 root:root ${SNAPSHOT_SECRETS_DIR}/hcloud-token\n600 root:root ${SNAPSHOT_SECRETS_DIR}/netcup-refresh-token\n`);
    expect(await hub.run(`cat ${SNAPSHOT_SECRETS_DIR}/netcup-refresh-token`)).toBe(scp.refreshToken);
    const units = await hub.run(`cat /etc/systemd/system/${SNAPSHOT_UNIT}.service /etc/systemd/system/${SNAPSHOT_UNIT}.timer; systemctl show ${SNAPSHOT_UNIT}.service`);
    expect(units).toContain(`LoadCredential=hcloud-token:${SNAPSHOT_SECRETS_DIR}/hcloud-token`);
    for (const token of tokens()) expect(units).not.toContain(token);
  });

  step("systemctl start runs the job against both fakes: their snapshots appear and snapshot-status.json reports them", async () => {
    const run = await startService();
    console.log(`snapshots: the service ran ${run.seconds.toFixed(1)} s, result ${run.result}, exit ${run.exitStatus}`);
    await expectResult(run, "success", "0");
    const report = await status();
    expect(report.status).toBe("success");
    expect(report.retention).toEqual({ keep: 3 });
    expect(Object.keys(report.tenants).sort()).toEqual(["nord", "sued", "west"]);
    for (const slug of ["nord", "sued"]) {
      const server = [...scp.servers.values()].find((s) => s.nickname === `letsbe-tenant:${slug}`);
      expect(server?.snapshots.map((s) => s.name)).toEqual([report.tenants[slug].snapshot]);
    }
    expect([...scp.servers.values()].find((s) => s.nickname === "letsbe-pool")?.snapshots).toEqual([]);
    expect([...hetzner.images.values()].map((i) => i.description)).toEqual([report.tenants.west.snapshot]);
    expect(report.tenants.sued).toMatchObject({ provider: "netcup", group: "netcup:Vienna", status: "success", kept: 1 });
    expect(report.tenants.west).toMatchObject({ provider: "hetzner", group: "hetzner:fsn1-dc14", status: "success", kept: 1 });
    // The job was seen running, and no process line carried a token.
    expect(run.processes.some((line) => line.includes(`${SNAPSHOT_JOB_PATH} fleet snapshots`))).toBe(true);
    for (const token of tokens()) expect(run.processes.join("\n")).not.toContain(token);
    const journal = await hub.run(`journalctl -u ${SNAPSHOT_UNIT}.service --no-pager -o cat`);
    expect(journal).toContain("snapshots: 3 tenant(s), 0 failed");
    for (const token of tokens()) expect(journal).not.toContain(token);
  });

  step("a provider that fails is named in snapshot-status.json and fails the unit; the other provider's tenants are still snapshotted", async () => {
    // Today's snapshots would make this run a skip: start the day over at the fakes.
    for (const server of scp.servers.values()) server.snapshots = [];
    hetzner.images.clear();
    hetzner.faults.push({ operation: "list_servers", status: 503, code: "unavailable", times: 1 });
    const run = await startService();
    await expectResult(run, "exit-code", "1");
    const report = await status();
    expect(report.status).toBe("failed");
    expect(report.provider_errors).toEqual([{ provider: "hetzner", error: "listing servers failed: Hetzner: GET /servers: 503 unavailable: planned unavailable" }]);
    expect(Object.keys(report.tenants).sort()).toEqual(["nord", "sued"]);
    expect(Object.values(report.tenants).map((t) => t.status)).toEqual(["success", "success"]);
    expect(hetzner.images.size).toBe(0);
    const journal = await hub.run(`journalctl -u ${SNAPSHOT_UNIT}.service --no-pager -o cat`);
    expect(journal).toContain("fleet snapshots: hetzner: listing servers failed");
    for (const token of tokens()) expect(journal).not.toContain(token);
  });

  step("a changed job is installed again by the stage", async () => {
    const next = hubSnapshotsStage(args, `${job}// next release\n`);
    expect(next.trigger).not.toBe(stage.trigger);
    stage = next;
    const out = await runStage();
    expect(out).toContain(`changed: ${SNAPSHOT_JOB_PATH}`);
    expect(out).toContain("letsbe-stage hub-snapshots changes=1");
    expect(await hub.run(`tail -c 16 ${SNAPSHOT_JOB_PATH}`)).toBe("// next release\n");
  });
});
