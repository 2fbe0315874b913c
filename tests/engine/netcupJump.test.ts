/**
 * A WireGuard spoke's provisioning key rotation under the real CLI: tests/engine/programs/netcupjump
 * (the compiled NetcupServer dynamic provider) against the fake SCP, whose pool server is a real
 * Debian 13 host container that admits root's SSH from the jump host's address only, as a switched
 * spoke does from its hub. Over the public address the rotation is refused; through a jump host
 * with another host key than the pinned one it stops there and changes nothing; through the right
 * one it rotates (new key in, old key out, other lines kept, no reinstall). A change of the route
 * alone is no change: nothing planned, neither host touched.
 */
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "ssh2";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { FakeScp } from "../fakes/scp/server";
import { sequentialSteps } from "../host/lib/steps";
import { hostInfra } from "../host/lib/infra";
import { REPO, engineEnv, type EngineEnv } from "./lib/engine";
import { ESTATE_NETWORK } from "./lib/estate";
import { secretFragments } from "./lib/secrets";
import { ed25519Pair } from "../fixtures/ed25519";

const PREFIX = `letsbe-netcupjump-${process.pid}`;
const STACK = "eng-spoke";
// The block's last /24, clear of the pool and Hetzner addresses the estate hands out.
const subnetBase = ESTATE_NETWORK.gateway.split(".").slice(0, 2).join(".");
const lastThird = Number(ESTATE_NETWORK.gateway.split(".")[2]) + 3;
const JUMP = `${subnetBase}.${lastThird}.210`;
/** The spoke: its pool server's public address and its tunnel address are one here; only the source differs. */
const INNER = `${subnetBase}.${lastThird}.211`;
const { step } = sequentialSteps();

const pair = ed25519Pair;
const keys = { first: pair("provisioning-2026@letsbe"), second: pair("provisioning-2027@letsbe"), third: pair("provisioning-2028@letsbe") };
const OPERATOR = pair("operator@letsbe").public;
const identity = (key: string) => key.trim().split(/\s+/).slice(0, 2).join(" ");

let engine: EngineEnv;
let work: string;
let keyDir: string;
let scp: FakeScp;
let networkMade = false;
const started: string[] = [];
const hostKeyOf: Record<string, string> = {};
const nameOf = (address: string) => `${PREFIX}-${address === JUMP ? "jump" : "inner"}`;

/** Async throughout: the fake SCP answers the provider from this process. */
function run(file: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { cwd: options.cwd, env: options.env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, timeout: 600_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(" ")} failed:\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}
const docker = (...args: string[]) => run("docker", args);
const onHost = (address: string, script: string, input?: string) => run("docker", ["exec", "-i", nameOf(address), "sh", "-c", script], { input });
const pulumi = (...args: string[]) => run("pulumi", [...args, "--stack", STACK, "--non-interactive"], { cwd: work, env: { ...process.env, ...engine.env, LETSBE_REPO: REPO } });

async function up(): Promise<string> {
  return pulumi("up", "--yes", "--skip-preview");
}
async function failedUp(): Promise<string> {
  try {
    await up();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("the up succeeded where it must fail");
}

const authorizedKeys = async (address: string) => (await onHost(address, "cat /root/.ssh/authorized_keys")).split("\n").filter((l) => l.trim()).map(identity);
/** sshd's successful logins so far (each host's journal). */
const accepted = async (address: string) => Number((await onHost(address, "journalctl --no-pager -q | grep -c 'Accepted publickey' || true")).trim());

async function useKey(name: keyof typeof keys): Promise<void> {
  await pulumi("config", "set", "--plaintext", "netcupjump:keyFile", join(keyDir, name));
}
async function useRoute(route: { jump: { host: string; port: number; user: string; hostKey: string }; tunnelAddress: string } | undefined): Promise<void> {
  if (route) await pulumi("config", "set", "--plaintext", "netcupjump:route", JSON.stringify(route));
  else await pulumi("config", "rm", "netcupjump:route");
}
const route = (hostKey: string) => ({ jump: { host: JUMP, port: 22, user: "root", hostKey }, tunnelAddress: INNER });

/** True when `innerKey` logs in to the inner host over a channel of the jump host (jump login: `jumpKey`). */
function logsInThroughJump(jumpKey: string, innerKey: string): Promise<boolean> {
  return new Promise((resolve) => {
    const jump = new Client();
    jump.once("error", () => resolve(false));
    jump.once("ready", () => {
      jump.forwardOut("127.0.0.1", 0, INNER, 22, (error, channel) => {
        if (error) { jump.end(); return resolve(false); }
        const inner = new Client();
        inner.once("error", () => { jump.end(); resolve(false); });
        inner.once("ready", () => { inner.end(); jump.end(); resolve(true); });
        inner.connect({ sock: channel, username: "root", privateKey: innerKey, readyTimeout: 20_000 });
      });
    });
    jump.connect({ host: JUMP, port: 22, username: "root", privateKey: jumpKey, readyTimeout: 20_000 });
  });
}

/** True when `key` logs in to the inner host directly from here (the public path). */
function logsInDirectly(key: string): Promise<boolean> {
  return new Promise((resolve) => {
    const client = new Client();
    client.once("error", () => resolve(false));
    client.once("ready", () => { client.end(); resolve(true); });
    client.connect({ host: INNER, port: 22, username: "root", privateKey: key, readyTimeout: 20_000 });
  });
}

function expectNoKeyIn(text: string): void {
  for (const [name, pairOf] of Object.entries(keys)) {
    for (const fragment of secretFragments(pairOf.private)) expect(text.includes(fragment), `${name} private key in the output`).toBe(false);
  }
}

beforeAll(async () => {
  hostInfra("image");
  hostInfra("network", ESTATE_NETWORK.name, ESTATE_NETWORK.subnet, ESTATE_NETWORK.gateway);
  networkMade = true;
  keyDir = mkdtempSync(join(tmpdir(), "letsbe-netcupjump-keys-"));
  for (const [name, keyPair] of Object.entries(keys)) {
    writeFileSync(join(keyDir, name), keyPair.private, { mode: 0o600 });
    writeFileSync(join(keyDir, `${name}.pub`), `${keyPair.public}\n`);
  }
  for (const address of [JUMP, INNER]) {
    hostInfra("run-at", nameOf(address), ESTATE_NETWORK.name, address, join(keyDir, "first.pub"));
    started.push(nameOf(address));
    hostKeyOf[address] = identity(await docker("exec", nameOf(address), "cat", "/etc/ssh/ssh_host_ecdsa_key.pub"));
  }
  // Test plumbing: the spoke takes root's SSH from the hub's (jump host's) address only.
  await onHost(INNER, `printf 'AllowUsers root@${JUMP}\\n' >/etc/ssh/sshd_config.d/50-spoke-test.conf && systemctl reload ssh`);
  // The pool server's install writes root's authorized_keys on the inner host, as an image install does.
  scp = await FakeScp.start({
    taskMs: 10,
    servers: [{ product: "RS 4000 G12", ipv4: INNER }],
    onImageInstall: async ({ sshKeys }) => { await onHost(INNER, "umask 077; mkdir -p /root/.ssh; cat >/root/.ssh/authorized_keys", sshKeys.map((k) => `${k}\n`).join("")); },
  });
  engine = engineEnv();
  work = mkdtempSync(join(tmpdir(), "letsbe-engine-netcupjump-"));
  cpSync(join(REPO, "tests", "engine", "programs", "netcupjump"), work, { recursive: true });
  symlinkSync(join(REPO, "node_modules"), join(work, "node_modules"));
  await pulumi("stack", "init");
  await pulumi("config", "set", "--plaintext", "netcupjump:apiUrl", scp.apiUrl);
  await pulumi("config", "set", "--plaintext", "netcupjump:tokenUrl", scp.tokenUrl);
  await pulumi("config", "set", "--secret", "netcupjump:refreshToken", scp.refreshToken);
}, 600_000);

afterAll(async () => {
  for (const name of started) hostInfra("stop", name);
  if (networkMade) hostInfra("network-rm", ESTATE_NETWORK.name);
  await scp?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
  if (keyDir) rmSync(keyDir, { recursive: true, force: true });
  if (engine) rmSync(engine.backendDir, { recursive: true, force: true });
});

const server = () => [...scp.servers.values()][0];

describe("a WireGuard spoke's key rotation through its hub, on the real engine", () => {
  step("create: the pool server is claimed and installed with the first key; an operator adds a line of its own", async () => {
    await useKey("first");
    await up();
    expect(server().nickname).toBe(`letsbe-tenant:${STACK}`);
    expect(server().installCount).toBe(1);
    await onHost(INNER, "cat >>/root/.ssh/authorized_keys", `${OPERATOR}\n`);
    expect(await authorizedKeys(INNER)).toEqual([identity(keys.first.public), identity(OPERATOR)]);
    // The spoke admits root through the hub alone: the public path is closed even to the key it trusts.
    expect(await logsInThroughJump(keys.first.private, keys.first.private)).toBe(true);
    expect(await logsInDirectly(keys.first.private)).toBe(false);
  });

  step("without the route, the rotation logs in on the public address and is refused there; nothing changes", async () => {
    await useKey("second");
    const output = await failedUp();
    expect(output).toContain(`server ${server().name} (${INNER}:22)`);
    expect(output).toContain("refused with the previous and the new provisioning key");
    expectNoKeyIn(output);
    expect(await authorizedKeys(INNER)).toEqual([identity(keys.first.public), identity(OPERATOR)]);
  });

  step("through a jump host presenting another host key than the pinned one: refused there, naming it; neither host is logged in to", async () => {
    const [jumpLogins, innerLogins] = [await accepted(JUMP), await accepted(INNER)];
    await useRoute(route(hostKeyOf[INNER]));
    const output = await failedUp();
    expect(output).toContain(`jump host root@${JUMP}:22 presented a host key other than the pinned ecdsa-sha2-nistp256 key (jump.hostKey); refused to connect through it to server ${server().name}`);
    expectNoKeyIn(output);
    expect(await authorizedKeys(INNER)).toEqual([identity(keys.first.public), identity(OPERATOR)]);
    expect([await accepted(JUMP), await accepted(INNER)]).toEqual([jumpLogins, innerLogins]);
  });

  step("through the pinned jump host: the new key replaces the old one, other lines kept, no reinstall", async () => {
    await useRoute(route(hostKeyOf[JUMP]));
    const output = await up();
    expectNoKeyIn(output);
    expect(await authorizedKeys(INNER)).toEqual([identity(OPERATOR), identity(keys.second.public)]);
    // The jump host still trusts the first key (the hub's own rotation is its own stack's).
    expect(await logsInThroughJump(keys.first.private, keys.second.private)).toBe(true);
    expect(await logsInThroughJump(keys.first.private, keys.first.private)).toBe(false);
    expect(server().installCount).toBe(1);
    expect(server().nickname).toBe(`letsbe-tenant:${STACK}`);
  });

  step("a hub that already trusts only the new key: the jump login falls back to it and the rotation completes", async () => {
    await onHost(JUMP, "cat >/root/.ssh/authorized_keys", `${keys.third.public}\n`);
    await useKey("third");
    await up();
    expect(await authorizedKeys(INNER)).toEqual([identity(OPERATOR), identity(keys.third.public)]);
    expect(await logsInThroughJump(keys.third.private, keys.third.private)).toBe(true);
    expect(await logsInThroughJump(keys.third.private, keys.second.private)).toBe(false);
    expect(server().installCount).toBe(1);
  });

  step("a change of the route alone is no change: nothing planned, no login anywhere", async () => {
    const [jumpLogins, innerLogins] = [await accepted(JUMP), await accepted(INNER)];
    await useRoute(undefined);
    const preview = JSON.parse(await pulumi("preview", "--json")) as { steps: Array<{ op: string; urn: string; diffReasons?: string[] }> };
    // preview --json lists no step for a resource left as it is.
    expect(preview.steps.filter((s) => s.urn.includes("netcup:Server") && s.op !== "same")).toEqual([]);
    const output = await up();
    expect(output).not.toMatch(/updated/);
    expect([await accepted(JUMP), await accepted(INNER)]).toEqual([jumpLogins, innerLogins]);
    expect(await authorizedKeys(INNER)).toEqual([identity(OPERATOR), identity(keys.third.public)]);
    expect(server().installCount).toBe(1);
    expect(scp.violations).toEqual([]);
  });
});
