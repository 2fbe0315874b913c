/**
 * The command stand-in's `connection.hostKey` and `connection.proxy` under the real CLI, on two Debian 13
 * host containers: a Command pinned to the key RECORD_HOST_KEY_COMMAND recorded runs; one pinned to
 * another host's key is refused with the provider's error and leaves nothing on the host; through a
 * jump host a Command runs on the inner host, which admits SSH from the jump host only.
 */
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RECORD_HOST_KEY_COMMAND } from "../../components/host/stages";
import { hostInfra } from "../host/lib/infra";
import { REPO, engineEnv, type EngineEnv } from "./lib/engine";
import { ESTATE_NETWORK } from "./lib/estate";
import { parseHostKey } from "./standins/ssh";
import { ed25519Pair } from "../fixtures/ed25519";

const PREFIX = `letsbe-hostkey-${process.pid}`;
// The block's last /24, clear of the pool and Hetzner addresses the estate hands out.
const subnetBase = ESTATE_NETWORK.gateway.split(".").slice(0, 2).join(".");
const lastThird = Number(ESTATE_NETWORK.gateway.split(".")[2]) + 3;
const JUMP = `${subnetBase}.${lastThird}.200`;
const INNER = `${subnetBase}.${lastThird}.201`;
const INNER_ONLY_FROM_JUMP = `AllowUsers root@${JUMP}\n`;

let engine: EngineEnv;
let work: string;
let keyFile: string;
let networkMade = false;
const started: string[] = [];
const hostKeyOf: Record<string, string> = {};

function docker(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("docker", args, { encoding: "utf8", timeout: 120_000 }, (error, stdout, stderr) => (error ? reject(new Error(`docker ${args.join(" ")}: ${stderr}`)) : resolve(stdout)));
  });
}

const nameOf = (address: string) => `${PREFIX}-${address === JUMP ? "jump" : "inner"}`;
const markerOn = async (address: string, marker: string) => (await docker("exec", nameOf(address), "sh", "-c", `test -e /root/${marker} && echo yes || echo no`)).trim() === "yes";

/** The CLI without blocking the test process; rejects with the CLI's output on a non-zero exit. */
function pulumi(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("pulumi", [...args, "--non-interactive"], { cwd: work, env: { ...process.env, ...engine.env }, maxBuffer: 64 * 1024 * 1024, timeout: 600_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`pulumi ${args.join(" ")} failed:\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

interface Probe {
  readonly host: string;
  readonly marker: string;
  readonly hostKey?: string;
  readonly recordCommand?: string;
  readonly dialErrorLimit?: number;
  readonly proxy?: { readonly host: string; readonly hostKey?: string };
}

/** A stack of its own per scenario, then `up`; resolves with its outputs, rejects with the CLI's output. */
async function up(stack: string, probe: Probe): Promise<Record<string, string>> {
  await pulumi(["stack", "init", stack]);
  // The stack file as an operator writes it (YAML takes the JSON object as it is).
  writeFileSync(join(work, `Pulumi.${stack}.yaml`), `config:\n  hostkey:keyFile: ${JSON.stringify(keyFile)}\n  hostkey:probe: ${JSON.stringify(probe)}\n`);
  await pulumi(["up", "--yes", "--skip-preview", "--stack", stack]);
  return JSON.parse(await pulumi(["stack", "output", "--json", "--show-secrets", "--stack", stack])) as Record<string, string>;
}

async function failedUp(stack: string, probe: Probe): Promise<string> {
  try {
    await up(stack, probe);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`up of ${stack} succeeded where it must fail`);
}

beforeAll(async () => {
  hostInfra("image");
  hostInfra("network", ESTATE_NETWORK.name, ESTATE_NETWORK.subnet, ESTATE_NETWORK.gateway);
  networkMade = true;
  const dir = mkdtempSync(join(tmpdir(), "letsbe-hostkey-"));
  const keys = ed25519Pair("letsbe-hostkey-test");
  keyFile = join(dir, "id");
  writeFileSync(keyFile, keys.private, { mode: 0o600 });
  writeFileSync(`${keyFile}.pub`, `${keys.public}\n`);
  for (const address of [JUMP, INNER]) {
    hostInfra("run-at", nameOf(address), ESTATE_NETWORK.name, address, `${keyFile}.pub`);
    started.push(nameOf(address));
    hostKeyOf[address] = (await docker("exec", nameOf(address), "cat", "/etc/ssh/ssh_host_ecdsa_key.pub")).trim();
  }
  // Test plumbing: the inner host takes root's SSH from the jump host's address only.
  await docker("exec", nameOf(INNER), "sh", "-c", `printf '${INNER_ONLY_FROM_JUMP}' >/etc/ssh/sshd_config.d/50-hostkey-test.conf && systemctl reload ssh`);
  engine = engineEnv();
  work = mkdtempSync(join(tmpdir(), "letsbe-engine-hostkey-"));
  cpSync(join(REPO, "tests", "engine", "programs", "hostkey"), work, { recursive: true });
  symlinkSync(join(REPO, "node_modules"), join(work, "node_modules"));
}, 600_000);

afterAll(() => {
  for (const name of started) hostInfra("stop", name);
  if (networkMade) hostInfra("network-rm", ESTATE_NETWORK.name);
  if (work) rmSync(work, { recursive: true, force: true });
  if (keyFile) rmSync(join(keyFile, ".."), { recursive: true, force: true });
  if (engine) rmSync(engine.backendDir, { recursive: true, force: true });
});

/** `type base64` of an OpenSSH public key line (what a pin compares). */
const typeAndKey = (line: string) => line.split(/\s+/).slice(0, 2).join(" ");

describe("host key pinning through the command stand-in", () => {
  it("parses the pin as authorized_keys does: comments, options and blank lines around the key", () => {
    const line = hostKeyOf[JUMP];
    const [type, b64] = line.split(/\s+/);
    expect(parseHostKey(`\n# a comment\nno-pty,from="10.0.0.1" ${type} ${b64} a-comment\n`).blob.toString("base64")).toBe(b64);
    expect(parseHostKey(`${type} ${b64}`).type).toBe("ecdsa-sha2-nistp256");
    expect(() => parseHostKey("")).toThrow("failed to parse host key: ssh: no key found");
    expect(() => parseHostKey(`${type} not-base64!`)).toThrow("failed to parse host key: ssh: no key found");
  });

  it("a Command pinned to the key RECORD_HOST_KEY_COMMAND printed runs on the host", async () => {
    const outputs = await up("right-pin", { host: JUMP, marker: "right-pin", recordCommand: RECORD_HOST_KEY_COMMAND });
    expect(outputs.recorded).toBe(typeAndKey(hostKeyOf[JUMP]));
    expect(outputs.sshConnection.split(" ")[0]).toBe(ESTATE_NETWORK.gateway);
    expect(await markerOn(JUMP, "right-pin")).toBe(true);
  });

  it("a Command pinned to another host's key is refused with the provider's error, and nothing runs", async () => {
    const since = Date.now();
    const output = await failedUp("wrong-pin", { host: JUMP, marker: "wrong-pin", hostKey: typeAndKey(hostKeyOf[INNER]) });
    const seconds = (Date.now() - since) / 1000;
    // Default dialErrorLimit 10: eleven dials, then the last error.
    expect(output).toContain("after 10 failed attempts: ssh: handshake failed: ssh: host key mismatch");
    expect(await markerOn(JUMP, "wrong-pin")).toBe(false);
    console.log(`wrong pin refused after ${seconds.toFixed(1)} s`);
  });

  it("a pin that is no key fails at once, naming the parse", async () => {
    const output = await failedUp("bad-pin", { host: JUMP, marker: "bad-pin", hostKey: "not a key" });
    expect(output).toContain("failed to parse host key: ssh: no key found");
    expect(output).not.toContain("failed attempts");
    expect(await markerOn(JUMP, "bad-pin")).toBe(false);
  });

  it("the inner host refuses a direct connection (what makes the next test prove the hop)", async () => {
    const output = await failedUp("inner-direct", { host: INNER, marker: "inner-direct", hostKey: typeAndKey(hostKeyOf[INNER]), dialErrorLimit: 0 });
    expect(output).toContain("after 0 failed attempts: All configured authentication methods failed");
    expect(await markerOn(INNER, "inner-direct")).toBe(false);
  });

  it("through the jump host, both pinned, the Command runs on the inner host", async () => {
    const outputs = await up("via-jump", { host: INNER, marker: "via-jump", hostKey: typeAndKey(hostKeyOf[INNER]), proxy: { host: JUMP, hostKey: typeAndKey(hostKeyOf[JUMP]) } });
    expect(outputs.sshConnection.split(" ")[0]).toBe(JUMP);
    expect(outputs.sshConnection.split(" ")[2]).toBe(INNER);
    expect(await markerOn(INNER, "via-jump")).toBe(true);
    expect(await markerOn(JUMP, "via-jump")).toBe(false);
  });

  it("a wrong pin for the jump host stops at the jump host, prefixed proxy:", async () => {
    const output = await failedUp("jump-wrong-pin", { host: INNER, marker: "jump-wrong-pin", hostKey: typeAndKey(hostKeyOf[INNER]), dialErrorLimit: 1, proxy: { host: JUMP, hostKey: typeAndKey(hostKeyOf[INNER]) } });
    expect(output).toContain("proxy: after 1 failed attempts: ssh: handshake failed: ssh: host key mismatch");
    expect(await markerOn(INNER, "jump-wrong-pin")).toBe(false);
    expect(await markerOn(JUMP, "jump-wrong-pin")).toBe(false);
  });

  it("a wrong pin for the inner host behind a right jump host is refused, and nothing runs", async () => {
    const output = await failedUp("inner-wrong-pin", { host: INNER, marker: "inner-wrong-pin", hostKey: typeAndKey(hostKeyOf[JUMP]), dialErrorLimit: 1, proxy: { host: JUMP, hostKey: typeAndKey(hostKeyOf[JUMP]) } });
    // The first handshake fails on the mismatch and closes the channel; the retry on it meets EOF.
    expect(output).toContain("proxy: after 1 failed attempts: ssh: handshake failed: EOF");
    expect(await markerOn(INNER, "inner-wrong-pin")).toBe(false);
  });
});
