/**
 * Snapshots through the real SCP client against the fake SCP (every exchange validated against
 * Netcup's published spec): taken, rotated to three, nothing removed after a failure or a refused
 * dry run, staggered per site, and one tenant reverted.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ScpClient } from "../../components/netcup/client";
import { netcupSnapshots } from "../../automation/snapshots/netcup";
import { revertTenant } from "../../automation/snapshots/revert";
import { runSnapshots } from "../../automation/snapshots/run";
import type { FakeScp } from "../fakes/scp/server";
import type { FakeServer } from "../fakes/scp/model";
import { FAST, startFake } from "../netcup/helpers";

const DAY = 24 * 3600_000;
const START = Date.parse("2026-12-01T03:30:00Z");

let fake: FakeScp;
let servers: FakeServer[];
/** The day the job and the fake both live in. */
let today = 0;
const clock = () => new Date(START + today * DAY);

const provider = () => netcupSnapshots(new ScpClient({ apiUrl: fake.apiUrl, tokenUrl: fake.tokenUrl, refreshToken: fake.refreshToken, ...FAST }));
const run = (day: number, extra: Parameters<typeof runSnapshots>[1] = {}) => {
  today = day;
  return runSnapshots([provider()], { gapMs: 0, now: clock, ...extra });
};
const names = (server: FakeServer) => server.snapshots.map((s) => s.name);

beforeEach(async () => {
  today = 0;
  fake = await startFake({ clock });
  servers = fake.addServers([
    { product: "RS 1000 G12", nickname: "letsbe-tenant:alpha" },
    { product: "RS 1000 G12", nickname: "letsbe-tenant:bravo" },
    { product: "RS 1000 G12", nickname: "letsbe-tenant:charlie", site: "Vienna", uefi: false },
    { product: "RS 1000 G12" },
  ]);
});

afterEach(async () => {
  expect(fake.violations).toEqual([]);
  await fake.stop();
});

describe("netcup snapshots", () => {
  it("takes one snapshot of every claimed server and none of a pool server: a disk snapshot on UEFI, an online one otherwise", async () => {
    const report = await run(0);
    expect(report.results.map((r) => [r.slug, r.status, r.group])).toEqual([
      ["alpha", "success", "netcup:Nuremberg"], ["bravo", "success", "netcup:Nuremberg"], ["charlie", "success", "netcup:Vienna"],
    ]);
    expect(names(servers[0])).toEqual(["letsbe-daily-20261201t033000z"]);
    expect(servers[0].snapshots[0]).toMatchObject({ online: false, disks: ["vda"] });
    expect(servers[2].snapshots[0]).toMatchObject({ online: true });
    expect(servers[3].snapshots).toEqual([]);
  });

  it("keeps three: each new day's snapshot removes the oldest, only after it was taken; a second run the same day takes none", async () => {
    for (let day = 0; day < 5; day++) await run(day);
    expect(names(servers[1])).toEqual(["letsbe-daily-20261203t033000z", "letsbe-daily-20261204t033000z", "letsbe-daily-20261205t033000z"]);
    const again = await run(4.5);
    expect(again.results.every((r) => r.status === "skipped")).toBe(true);
    expect(names(servers[1])).toHaveLength(3);
    // Every delete came after that day's create had finished.
    const creates = [...fake.tasks.values()].filter((t) => t.serverId === servers[1].id && t.name === "ServerSnapshotCreateTask");
    const deletes = [...fake.tasks.values()].filter((t) => t.serverId === servers[1].id && t.name === "ServerSnapshotDeleteTask");
    expect(deletes).toHaveLength(2);
    for (const d of deletes) expect(creates.some((c) => c.state === "FINISHED" && (c.finishedAt?.getTime() ?? Infinity) <= d.startedAt.getTime())).toBe(true);
  });

  it("removes nothing when the snapshot fails, and reports the failure", async () => {
    for (let day = 0; day < 3; day++) await run(day);
    fake.faults.failNextSnapshots(1);
    const report = await run(3, { parallel: 1 });
    const failed = report.results.filter((r) => r.status === "failed");
    expect(failed).toHaveLength(1);
    expect(failed[0].error).toMatch(/snapshot letsbe-daily-20261204t033000z failed: .*ServerSnapshotCreateTask.*ERROR/);
    const victim = servers.find((s) => s.id === failed[0].serverId) as FakeServer;
    expect(names(victim)).toEqual(["letsbe-daily-20261201t033000z", "letsbe-daily-20261202t033000z", "letsbe-daily-20261203t033000z"]);
  });

  it("a create whose answer is lost is a failure that removes nothing; the snapshot it made is rotated like the others the next day", async () => {
    for (let day = 0; day < 3; day++) await run(day);
    fake.faults.loseAnswers(1, /\/snapshots$/, "POST");
    const lost = await run(3, { parallel: 1 });
    expect(lost.results.find((r) => r.slug === "alpha")).toMatchObject({ status: "failed", removed: [] });
    fake.settleTasks(Date.now() + 1000);
    expect(names(servers[0])).toHaveLength(4);
    await run(4);
    expect(names(servers[0])).toEqual(["letsbe-daily-20261203t033000z", "letsbe-daily-20261204t033000z", "letsbe-daily-20261205t033000z"]);
  });

  it("a dry run the SCP refuses (storage limit) stops the snapshot before any delete", async () => {
    await fake.stop();
    fake = await startFake({ snapshotLimit: 3, clock });
    servers = fake.addServers([{ product: "RS 1000 G12", nickname: "letsbe-tenant:alpha" }]);
    for (let day = 0; day < 3; day++) await run(day);
    const report = await run(3);
    expect(report.results[0]).toMatchObject({ status: "failed", removed: [], kept: 3 });
    expect(report.results[0].error).toContain("server.snapshot.create.error.storagelimit");
    expect(names(servers[0])).toHaveLength(3);
  });

  it("staggers by site: never two snapshots of one site at once, sites side by side", async () => {
    fake.addServers([{ product: "RS 1000 G12", nickname: "letsbe-tenant:delta" }, { product: "RS 1000 G12", nickname: "letsbe-tenant:echo", site: "Vienna" }]);
    fake.taskMs = 60;
    await runSnapshots([provider()], { gapMs: 30, parallel: 4 });
    const bySite = new Map<string, Array<{ start: number; end: number }>>();
    for (const task of fake.tasks.values()) {
      if (task.name !== "ServerSnapshotCreateTask") continue;
      const site = fake.servers.get(task.serverId)?.site ?? "";
      bySite.set(site, [...(bySite.get(site) ?? []), { start: task.startedAt.getTime(), end: task.finishedAt?.getTime() ?? Infinity }]);
    }
    expect(bySite.get("Nuremberg")).toHaveLength(3);
    expect(bySite.get("Vienna")).toHaveLength(2);
    for (const windows of bySite.values()) {
      windows.sort((a, b) => a.start - b.start);
      for (let i = 1; i < windows.length; i++) expect(windows[i].start).toBeGreaterThanOrEqual(windows[i - 1].end + 30);
    }
    const [nbg, vie] = [bySite.get("Nuremberg") ?? [], bySite.get("Vienna") ?? []];
    expect(vie[0].start).toBeLessThan(nbg[nbg.length - 1].end);
  });

  it("a dry run changes nothing and says what would be taken and removed", async () => {
    for (let day = 0; day < 3; day++) await run(day);
    const report = await run(3, { dryRun: true });
    expect(report.results.find((r) => r.slug === "alpha")).toMatchObject({ status: "would-take", snapshot: "letsbe-daily-20261204t033000z", removed: ["letsbe-daily-20261201t033000z"] });
    expect(names(servers[0])).toHaveLength(3);
    expect(fake.log.some((c) => c.path.endsWith("/snapshots:dryrun"))).toBe(true);
  });

  it("reverts one tenant: its disk is what the snapshot held, its other snapshots stay", async () => {
    servers[0].installed = { flavourId: 1, imageName: "Debian 13", hostname: "alpha", sshKeys: [], at: "day-0" };
    await run(0);
    servers[0].installed = { flavourId: 1, imageName: "Debian 13", hostname: "alpha", sshKeys: [], at: "day-1-broken" };
    await run(1);
    const { snapshot } = await revertTenant([provider()], "alpha", "letsbe-daily-20261201t033000z");
    expect(snapshot.name).toBe("letsbe-daily-20261201t033000z");
    expect(servers[0].installed?.at).toBe("day-0");
    expect(servers[0].revertedTo).toBe("letsbe-daily-20261201t033000z");
    expect(names(servers[0])).toHaveLength(2);
    expect(servers[1].revertedTo).toBeUndefined();
    await expect(revertTenant([provider()], "alpha", "letsbe-daily-20991231t000000z")).rejects.toThrow(/has no snapshot letsbe-daily-20991231t000000z \(it has: letsbe-daily-20261201t033000z, letsbe-daily-20261202t033000z\)/);
  });
});
