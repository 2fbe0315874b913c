/**
 * `letsbe fleet snapshots` and `letsbe tenant revert` through the CLI entry point, against both
 * fakes at once: the status file the Hub's monitoring reads (success, then a failure named), the
 * exit codes, and the usage errors (exit 2, nothing called).
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT, runCli } from "../../automation/cli/index";
import { FakeHetzner } from "../fakes/hetzner/server";
import type { FakeScp } from "../fakes/scp/server";
import { call, settled } from "../hetzner/helpers";
import { startFake } from "../netcup/helpers";

let scp: FakeScp;
let hetzner: FakeHetzner;
let dir: string;
let hetznerId = 0;

function cli(extra: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const env = {
    CI: "1", NETCUP_API_URL: scp.apiUrl, NETCUP_TOKEN_URL: scp.tokenUrl, HCLOUD_ENDPOINT: hetzner.endpoint, LETSBE_SNAPSHOT_POLL_MS: "5",
    LETSBE_SECRET_NETCUP_REFRESH_TOKEN: scp.refreshToken, LETSBE_SECRET_HCLOUD_TOKEN: hetzner.token, ...extra,
  } as NodeJS.ProcessEnv;
  for (const [k, v] of Object.entries(extra)) if (v === "") delete env[k];
  const io = { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s), env };
  return { out, err, run: (...argv: string[]) => runCli(argv, io) };
}

const statusFile = () => join(dir, "hub-backup", "snapshot-status.json");
const readStatus = () => JSON.parse(readFileSync(statusFile(), "utf8")) as { status: string; failed: string[]; tenants: Record<string, { status: string; snapshot?: string; error?: string; kept: number }> };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "letsbe-snapshots-"));
  scp = await startFake();
  scp.addServers([{ product: "RS 1000 G12", nickname: "letsbe-tenant:nord" }, { product: "RS 1000 G12", nickname: "letsbe-tenant:sued", site: "Vienna" }]);
  hetzner = await FakeHetzner.start({ actionMs: 5 });
  const created = await call(hetzner, "POST", "/servers", { name: "west-server", server_type: "cpx21", image: "debian-13", location: "fsn1", labels: { tenant: "west", "managed-by": "letsbe" } });
  await settled(hetzner, created.body.action.id as number);
  hetznerId = created.body.server.id as number;
});

afterAll(async () => {
  expect(scp.violations).toEqual([]);
  expect(hetzner.violations).toEqual([]);
  await scp.stop();
  await hetzner.stop();
});

describe("letsbe fleet snapshots / tenant revert", () => {
  it("a dry run lists what it would take on both providers, writes no status and takes nothing", async () => {
    const c = cli();
    expect(await c.run("fleet", "snapshots", "--dry-run", "--gap", "0", "--status-file", statusFile())).toBe(EXIT.ok);
    const text = c.out.join("");
    expect(text).toMatch(/nord\s+netcup\s+netcup:Nuremberg\s+would take letsbe-daily-/);
    expect(text).toMatch(/west\s+hetzner\s+hetzner:fsn1-dc14\s+would take letsbe-daily-/);
    expect(text).toContain("snapshots: 3 tenant(s), 0 failed (dry run: nothing changed)");
    expect(() => readFileSync(statusFile())).toThrow(/ENOENT/);
    expect(scp.byName(scp.servers.get(211000)?.name ?? "").snapshots).toEqual([]);
    expect(hetzner.images.size).toBe(0);
  });

  it("takes every tenant's snapshot and writes the status the Hub's monitoring reads; the secrets appear nowhere", async () => {
    const c = cli();
    expect(await c.run("fleet", "snapshots", "--gap", "0", "--status-file", statusFile())).toBe(EXIT.ok);
    const status = readStatus();
    expect(status.status).toBe("success");
    expect(Object.keys(status.tenants).sort()).toEqual(["nord", "sued", "west"]);
    for (const t of Object.values(status.tenants)) expect(t).toMatchObject({ status: "success", kept: 1 });
    const everything = c.out.join("") + c.err.join("") + readFileSync(statusFile(), "utf8");
    expect(everything).not.toContain(scp.refreshToken);
    expect(everything).not.toContain(hetzner.token);
  });

  it("a failed snapshot fails the run (exit 1) and is named in the status file", async () => {
    scp.faults.failNextSnapshots(1);
    // A second run on the same day skips the fresh ones: give it a day's worth by removing them.
    for (const s of scp.servers.values()) s.snapshots = [];
    hetzner.images.clear();
    const c = cli();
    expect(await c.run("fleet", "snapshots", "--gap", "0", "--parallel", "1", "--status-file", statusFile())).toBe(EXIT.failed);
    const status = readStatus();
    expect(status.status).toBe("failed");
    expect(status.failed).toEqual(["nord"]);
    expect(status.tenants.nord.error).toMatch(/ServerSnapshotCreateTask/);
    expect(status.tenants.west.status).toBe("success");
    expect(c.out.join("")).toMatch(/nord\s+netcup\s+netcup:Nuremberg\s+FAILED: snapshot letsbe-daily-\S+ failed/);
  });

  it("lists a tenant's snapshots, the one to revert to among them", async () => {
    const c = cli();
    expect(await c.run("tenant", "snapshots", "west")).toBe(EXIT.ok);
    const name = readStatus().tenants.west.snapshot ?? "";
    expect(c.out.join("")).toMatch(new RegExp(`^west: server ${hetznerId} \\(hetzner, hetzner:fsn1-dc14\\), 1 snapshot\\(s\\)\n  ${name}  \\S+\n$`));
  });

  it("a provider that cannot be listed fails the run (exit 1) and is named in the status, while the other provider's tenants are snapshotted", async () => {
    for (const s of scp.servers.values()) s.snapshots = [];
    const c = cli({ LETSBE_SECRET_HCLOUD_TOKEN: "not-the-token" });
    expect(await c.run("fleet", "snapshots", "--gap", "0", "--status-file", join(dir, "other-status.json"))).toBe(EXIT.failed);
    const status = JSON.parse(readFileSync(join(dir, "other-status.json"), "utf8")) as { status: string; provider_errors: Array<{ provider: string; error: string }>; tenants: Record<string, { status: string }> };
    expect(status.status).toBe("failed");
    expect(status.provider_errors).toEqual([{ provider: "hetzner", error: "listing servers failed: Hetzner: GET /servers: 401 unauthorized: unable to authenticate" }]);
    expect(Object.keys(status.tenants).sort()).toEqual(["nord", "sued"]);
    expect(c.err.join("")).toContain("fleet snapshots: hetzner: listing servers failed");
    expect(c.err.join("")).not.toContain("not-the-token");
  });

  it("reverts one tenant after the slug is confirmed", async () => {
    const name = readStatus().tenants.west.snapshot ?? "";
    hetzner.diskOf.set(hetznerId, "west-changed");
    const c = cli();
    expect(await c.run("tenant", "revert", "west", "--snapshot", name, "--confirm", "west")).toBe(EXIT.ok);
    expect(c.out.join("")).toContain(`west: server ${hetznerId} (hetzner) reverted to ${name}`);
    expect(hetzner.diskOf.get(hetznerId)).toBe("image:debian-13");
  });

  it.each([
    [["fleet", "snapshots", "--keep", "0"], "fleet snapshots: --keep: must be a whole number from 1 to 20"],
    [["fleet", "snapshots", "--gap", "1m"], "fleet snapshots: --gap: must be a whole number from 0 to 3600"],
    [["fleet", "snapshots", "--parallel", "65"], "fleet snapshots: --parallel: must be a whole number from 1 to 64"],
    [["tenant", "revert", "west", "--snapshot", "letsbe-daily-x", "--confirm", "east"], "tenant revert: --confirm: must repeat the slug \"west\""],
    [["tenant", "revert", "west", "--snapshot", "manual-1", "--confirm", "west"], "tenant revert: --snapshot: must name one of the job's snapshots"],
    [["tenant", "revert", "Bad_Slug", "--snapshot", "letsbe-daily-x", "--confirm", "Bad_Slug"], "tenant revert: <slug>: \"Bad_Slug\" must match"],
    [["tenant", "revert", "west", "--snapshot", "letsbe-daily-20000101t000000z", "--confirm", "west"], "tenant west has no snapshot letsbe-daily-20000101t000000z"],
    [["tenant", "revert", "ghost", "--snapshot", "letsbe-daily-x", "--confirm", "ghost"], "tenant ghost: no server of it at netcup or hetzner"],
  ])("%j exits 2: %s", async (argv, message) => {
    const c = cli();
    const before = hetzner.log.filter((l) => l.method !== "GET").length;
    expect(await c.run(...argv)).toBe(EXIT.usage);
    expect(c.err.join("")).toContain(message);
    expect(hetzner.log.filter((l) => l.method !== "GET").length).toBe(before);
  });

  it("exits 2 naming the variables when no provider token is set", async () => {
    const c = cli({ LETSBE_SECRET_NETCUP_REFRESH_TOKEN: "", LETSBE_SECRET_HCLOUD_TOKEN: "" });
    expect(await c.run("fleet", "snapshots")).toBe(EXIT.usage);
    expect(c.err.join("")).toContain("LETSBE_SECRET_NETCUP_REFRESH_TOKEN");
    expect(c.err.join("")).toContain("LETSBE_SECRET_HCLOUD_TOKEN");
  });

  it("reads a token from its _FILE variable", async () => {
    const file = join(dir, "hcloud-token");
    writeFileSync(file, `${hetzner.token}\n`);
    const c = cli({ LETSBE_SECRET_NETCUP_REFRESH_TOKEN: "", LETSBE_SECRET_HCLOUD_TOKEN: "", LETSBE_SECRET_HCLOUD_TOKEN_FILE: file });
    expect(await c.run("fleet", "snapshots", "--dry-run")).toBe(EXIT.ok);
    expect(c.out.join("")).toContain("snapshots: 1 tenant(s), 0 failed");
  });
});
