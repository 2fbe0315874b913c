/**
 * The pieces of the snapshot job that need no provider: the stagger plan, the rotation choice,
 * the hub's timer and service (checked by systemd-analyze verify, as systemd itself reads them)
 * and the status document the Hub's monitoring reads.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { staggerPlan, toRemove } from "../../automation/snapshots/run";
import { statusDocument } from "../../automation/snapshots/status";
import { renderSnapshotService, renderSnapshotTimer } from "../../components/hub/snapshots";
import { snapshotName } from "../../automation/snapshots/types";

const target = (slug: string, group: string) => ({ slug, provider: "netcup" as const, serverId: slug.length, group });

describe("snapshot job pieces", () => {
  it("plans one queue per site or datacenter, tenants in slug order", () => {
    const plan = staggerPlan([target("zulu", "netcup:Nuremberg"), target("alpha", "hetzner:fsn1-dc14"), target("bravo", "netcup:Nuremberg"), target("kilo", "netcup:Vienna")]);
    expect(plan.map((g) => [g.group, g.targets.map((t) => t.slug)])).toEqual([
      ["hetzner:fsn1-dc14", ["alpha"]], ["netcup:Nuremberg", ["bravo", "zulu"]], ["netcup:Vienna", ["kilo"]],
    ]);
  });

  it("removes the oldest beyond the number kept, by creation time, and nothing when there are few enough", () => {
    const snap = (name: string, createdAt: string) => ({ id: name, name, createdAt });
    const list = [snap("c", "2026-12-03T04:00:00Z"), snap("a", "2026-12-01T04:00:00Z"), snap("d", "2026-12-04T04:00:00Z"), snap("b", "2026-12-02T04:00:00Z")];
    expect(toRemove(list, 3).map((s) => s.name)).toEqual(["a"]);
    expect(toRemove(list, 2).map((s) => s.name)).toEqual(["a", "b"]);
    expect(toRemove(list.slice(0, 2), 3)).toEqual([]);
  });

  it("names a snapshot by the UTC time it was taken", () => {
    expect(snapshotName(new Date("2026-12-01T04:05:06.789Z"))).toBe("letsbe-daily-20261201t040506z");
  });

  it("the hub's service and timer pass systemd-analyze verify and keep the tokens out of the command line", async () => {
    const dir = mkdtempSync(join(tmpdir(), "letsbe-units-"));
    const service = renderSnapshotService({ providers: ["hetzner", "netcup"], keep: 5, node: process.execPath, hcloudEndpoint: "http://192.0.2.1:8080/v1" });
    writeFileSync(join(dir, "letsbe-snapshots.service"), service);
    writeFileSync(join(dir, "letsbe-snapshots.timer"), renderSnapshotTimer({}));
    const { stderr } = await promisify(execFile)("systemd-analyze", ["verify", "--man=no", join(dir, "letsbe-snapshots.timer"), join(dir, "letsbe-snapshots.service")]).catch((error: { code?: string | number; stderr?: string }) => {
      if (error.code === "ENOENT") throw new Error("systemd-analyze is not installed (Debian's systemd package): the units cannot be checked");
      return { stderr: error.stderr ?? "" };
    });
    expect(stderr.split("\n").filter((l) => l.includes("letsbe-snapshots"))).toEqual([]);
    const execStart = service.split("\n").find((l) => l.startsWith("ExecStart=")) ?? "";
    expect(execStart).toBe(`ExecStart=${process.execPath} /opt/letsbe/snapshots/letsbe-snapshots.js fleet snapshots --status-file /var/lib/letsbe/hub-backup/snapshot-status.json --keep 5`);
    expect(service).toContain("LoadCredential=hcloud-token:/etc/letsbe/snapshots/hcloud-token\n");
    expect(service).toContain("Environment=LETSBE_SECRET_HCLOUD_TOKEN_FILE=%d/hcloud-token\n");
    expect(service).toContain("LoadCredential=netcup-refresh-token:/etc/letsbe/snapshots/netcup-refresh-token\n");
    expect(service).toContain("Environment=HCLOUD_ENDPOINT=http://192.0.2.1:8080/v1\n");
    expect(service).not.toContain("NETCUP_API_URL");
    expect(renderSnapshotTimer({})).toContain("OnCalendar=*-*-* 04:00:00 UTC");
  });

  it("the status document names each failed tenant and fails as a whole when one failed or a provider could not be listed", () => {
    const base = { provider: "netcup" as const, serverId: 1, group: "netcup:Nuremberg", removed: [], kept: 3, startedAt: "2026-12-01T04:00:00.000Z", finishedAt: "2026-12-01T04:02:00.000Z" };
    const report = {
      startedAt: "2026-12-01T04:00:00.000Z", finishedAt: "2026-12-01T04:10:30.000Z", providerErrors: [],
      results: [{ ...base, slug: "alpha", status: "success" as const, snapshot: "letsbe-daily-x" }, { ...base, slug: "bravo", status: "failed" as const, error: "boom" }],
    };
    expect(statusDocument(report, 3)).toMatchObject({ last_run: "2026-12-01T04:00:00.000Z", duration_seconds: 630, status: "failed", failed: ["bravo"], tenants: { bravo: { status: "failed", error: "boom" } } });
    expect(statusDocument({ ...report, results: [report.results[0]] }, 3)).toMatchObject({ status: "success", failed: [] });
    expect(statusDocument({ ...report, results: [report.results[0]], providerErrors: [{ provider: "hetzner", error: "listing servers failed: 401" }] }, 3)).toMatchObject({ status: "failed" });
  });
});
