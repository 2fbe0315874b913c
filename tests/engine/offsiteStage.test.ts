/**
 * The off-site credential and its host stage through the real CLI: tests/engine/programs/offsite
 * with a host makes the subaccount at the fake Hetzner API (its server a second Debian 13 host
 * playing the Storage Box) and runs the offsite stage over SSH with the command stand-in. The
 * host's rclone.conf holds the password the stack generated, obscured on the host; the box's host
 * key is pinned; the backup's copy lands in the subaccount's own (chrooted) home; the password is
 * in no state in plain text; a second up changes nothing.
 */
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeHetzner } from "../fakes/hetzner/server";
import { type FakeStorageBox, type FakeSubaccount } from "../fakes/hetzner/storage-ops";
import { hostInfra } from "../host/lib/infra";
import { SshSession } from "../host/lib/ssh";
import { REPO, engineEnv, type EngineEnv } from "./lib/engine";
import { ed25519Pair } from "../fixtures/ed25519";

const ID = process.pid;
const NET = `letsbe-offsite-engine-${ID}`;
// 198.18.100.0/22 is engine block 25's; tests/host/offsite.test.ts takes its first /24, this file the second.
const SUBNET = "198.18.101.0/24";
const GATEWAY = "198.18.101.1";
const TENANT = { name: `letsbe-offsite-engine-tenant-${ID}`, address: "198.18.101.10" };
const BOX = { name: `letsbe-offsite-engine-box-${ID}`, address: "198.18.101.11" };
const STACK = "acme-bakery";
const TOKEN = "engine-offsite-stage-token-61d0";

let fake: FakeHetzner;
let box: FakeStorageBox;
let engine: EngineEnv;
let work: string;
let dockerEngine = "running";
let tenantHost: SshSession;
let boxHost: SshSession;
let privateKey = "";

/** The CLI, not blocking (the fake answers from this process); `input` goes to its stdin (a secret's value). */
function pulumi(args: readonly string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile("pulumi", [...args], { cwd: work, env: { ...process.env, ...engine.env, LETSBE_REPO: REPO }, maxBuffer: 64 * 1024 * 1024, timeout: 600_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`pulumi ${args[0]} failed (${error.code ?? "signal"}):\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
    child.stdin?.end(input ?? "");
  });
}
const run = (...args: string[]) => pulumi([...args, "--stack", STACK, "--non-interactive"]);
const subaccount = (): FakeSubaccount => {
  const [only, ...rest] = [...box.subaccounts.values()];
  if (!only || rest.length > 0) throw new Error(`expected one subaccount, found ${box.subaccounts.size}`);
  return only;
};

beforeAll(async () => {
  dockerEngine = hostInfra("engine").trim();
  hostInfra("image");
  const keys = ed25519Pair("letsbe-provisioning-test");
  privateKey = keys.private;
  const dir = mkdtempSync(join(tmpdir(), "letsbe-offsite-engine-"));
  writeFileSync(join(dir, "provisioning.pub"), `${keys.public}\n`);
  hostInfra("network", NET, SUBNET, GATEWAY);
  for (const host of [TENANT, BOX]) hostInfra("run-at", host.name, NET, host.address, join(dir, "provisioning.pub"));
  tenantHost = await SshSession.connect({ host: TENANT.address, port: 22, username: "root", privateKey });
  boxHost = await SshSession.connect({ host: BOX.address, port: 22, username: "root", privateKey });

  fake = await FakeHetzner.start({ token: TOKEN, actionMs: 20 });
  box = fake.addStorageBox({ username: "u4711", subaccountServer: () => BOX.address });
  engine = engineEnv();
  work = mkdtempSync(join(tmpdir(), "letsbe-engine-offsite-stage-"));
  cpSync(join(REPO, "tests", "engine", "programs", "offsite"), work, { recursive: true });
  symlinkSync(join(REPO, "node_modules"), join(work, "node_modules"));
  await pulumi(["stack", "init", STACK, "--non-interactive"]);
  await run("config", "set", "storageBoxId", String(box.id));
  await run("config", "set", "host", TENANT.address);
  await pulumi(["config", "set", "--secret", "privateKey", "--stack", STACK, "--non-interactive"], privateKey);
  await run("config", "set", "hcloud:endpointHetzner", fake.endpoint);
  await run("config", "set", "--secret", "hcloud:token", TOKEN);
}, 300_000);

afterAll(async () => {
  for (const s of [tenantHost, boxHost]) s?.close();
  for (const host of [TENANT, BOX]) hostInfra("stop", host.name);
  hostInfra("network-rm", NET);
  if (dockerEngine === "started") hostInfra("engine-stop");
  await fake?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
  if (engine) rmSync(engine.backendDir, { recursive: true, force: true });
});

describe("the offsite stage through the engine", () => {
  it("up makes the subaccount and writes the host's remote from it: the stack's password, obscured on the host; the box's key pinned", async () => {
    await run("up", "--yes");
    const sub = subaccount();
    expect(sub.homeDirectory).toBe("tenants/acme-bakery");
    const outputs = JSON.parse(await run("stack", "output", "--json")) as Record<string, string>;
    expect(outputs.stageStdout).toMatch(/letsbe-stage offsite changes=[1-9]/);
    expect(outputs.stageStdout).not.toContain(sub.password);
    const conf = await tenantHost.run("cat /etc/letsbe/backup-rclone.conf");
    expect(conf).toContain(`host = ${BOX.address}\nport = 22\nuser = ${sub.username}\n`);
    expect(conf).not.toContain(sub.password);
    const obscured = /^pass = (\S+)$/m.exec(conf)?.[1] ?? "";
    expect(await tenantHost.run(`rclone reveal -- '${obscured}'`)).toBe(`${sub.password}\n`);
    const boxKey = (await boxHost.run("cut -d' ' -f2 /etc/ssh/ssh_host_ed25519_key.pub")).trim();
    expect(await tenantHost.run("cat /etc/letsbe/backup-known_hosts")).toContain(`${BOX.address} ssh-ed25519 ${boxKey}`);
    expect(fake.violations).toEqual([]);
  });

  it("the remote works: a copy lands in the subaccount's own home on the box", async () => {
    const sub = subaccount();
    // The box plays Hetzner's side: the subaccount as a chrooted SFTP-only user with the password Hetzner was given.
    await boxHost.run(`set -eu
useradd --no-create-home --home-dir / --shell /usr/sbin/nologin ${sub.username}
install -d -m 0755 -o root -g root /srv/box /srv/box/tenants /srv/box/${sub.homeDirectory}
install -d -m 0700 -o ${sub.username} -g ${sub.username} /srv/box/${sub.homeDirectory}/daily
chpasswd
printf 'Match User %s\\n  ChrootDirectory /srv/box/%s\\n  ForceCommand internal-sftp\\n' ${sub.username} ${sub.homeDirectory} >/etc/ssh/sshd_config.d/50-storage-box.conf
sshd -t && systemctl reload ssh`, `${sub.username}:${sub.password}\n`);
    await tenantHost.run("mkdir -p /tmp/day && echo engine-offsite > /tmp/day/marker && rclone --config /etc/letsbe/backup-rclone.conf copy /tmp/day letsbe-offsite:daily/20261201T000000Z");
    expect(await boxHost.run(`cat /srv/box/${sub.homeDirectory}/daily/20261201T000000Z/marker`)).toBe("engine-offsite\n");
  });

  it("the password is in no state in plain text, and a second up changes nothing", async () => {
    const sub = subaccount();
    expect(await run("stack", "export")).not.toContain(sub.password);
    await run("up", "--yes", "--expect-no-changes");
  });

  it("destroy removes the subaccount", async () => {
    await run("destroy", "--yes");
    expect(box.subaccounts.size).toBe(0);
    expect(fake.violations).toEqual([]);
  });
});
