/**
 * The hcloud stand-in under the real CLI: tests/engine/programs/hcloud (primary IPs, a firewall and
 * a server on them, as components/hetzner/server.ts) goes up against the fake Hetzner API, stays
 * unchanged on a second up and a refresh, and is destroyed; every request is checked against the
 * Hetzner description.
 */
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeHetzner, type ServerEvent } from "../fakes/hetzner/server";
import { REPO, engineEnv, type EngineEnv } from "./lib/engine";

const STACK = "engine-hcloud";
const TOKEN = "engine-hcloud-token-5d2e8a";
const IPV4 = ["172.31.40.11", "172.31.40.12"];

let fake: FakeHetzner;
let engine: EngineEnv;
let work: string;
const created: ServerEvent[] = [];
const deleted: ServerEvent[] = [];
/** The CLI run without blocking: the fake answers from this process, so a synchronous run would deadlock. */
function pulumi(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("pulumi", [...args], { cwd: work, env: { ...process.env, ...engine.env }, maxBuffer: 64 * 1024 * 1024, timeout: 300_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`pulumi ${args[0]} failed (${error.code ?? "signal"}):\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}
const run = (...args: string[]) => pulumi([...args, "--stack", STACK, "--non-interactive"]);

beforeAll(async () => {
  fake = await FakeHetzner.start({ token: TOKEN, actionMs: 20, ipv4: IPV4, onServerCreate: (e) => { created.push(e); }, onServerDelete: (e) => { deleted.push(e); } });
  engine = engineEnv();
  // The program runs from a copy outside the tree (stack files stay out of the checkout); @pulumi/* come from the repository.
  work = mkdtempSync(join(tmpdir(), "letsbe-engine-hcloud-"));
  cpSync(join(REPO, "tests", "engine", "programs", "hcloud"), work, { recursive: true });
  symlinkSync(join(REPO, "node_modules"), join(work, "node_modules"));
  await pulumi(["stack", "init", STACK, "--non-interactive"]);
  await run("config", "set", "hcloud:endpoint", fake.endpoint);
  await run("config", "set", "--secret", "hcloud:token", TOKEN);
}, 120_000);

afterAll(async () => {
  await fake?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
  if (engine) rmSync(engine.backendDir, { recursive: true, force: true });
});

describe("hcloud stand-in under the engine", () => {
  it("up creates the primary IPs, the firewall and the server on them", async () => {
    const out = await run("up", "--yes");
    expect(out).not.toContain(TOKEN);
    const outputs = JSON.parse(await run("stack", "output", "--json")) as Record<string, string>;
    const server = [...fake.servers.values()];
    expect(server).toHaveLength(1);
    expect(outputs).toMatchObject({ serverId: String(server[0].id), ipv4Address: IPV4[0], primaryIpv4: IPV4[0], status: "running" });
    expect(outputs.ipv6Address).toBe(`${outputs.primaryIpv6Network.replace("/64", "")}1`);
    expect(created.map((e) => [e.name, e.ipv4, e.userData])).toEqual([["engine-hcloud", IPV4[0], "#cloud-config\ndisable_root: false\n"]]);
    expect([...fake.firewalls.values()].map((f) => f.appliedTo)).toEqual([[{ type: "server", server: server[0].id }]]);
    expect(fake.violations).toEqual([]);
  });

  it("a second up changes nothing", async () => {
    const before = fake.log.length;
    await run("up", "--yes", "--expect-no-changes");
    expect(fake.log.slice(before).filter((c) => c.method !== "GET")).toEqual([]);
    expect(fake.violations).toEqual([]);
  });

  it("refresh finds no drift", async () => {
    await run("refresh", "--yes", "--expect-no-changes");
    expect(fake.violations).toEqual([]);
  });

  it("refresh reports labels changed outside Pulumi, and the next up puts them back", async () => {
    const server = [...fake.servers.values()][0];
    server.labels = { tenant: "changed-by-hand" };
    await expect(run("refresh", "--yes", "--expect-no-changes")).rejects.toThrow(/changes/i);
    await run("up", "--yes");
    expect(server.labels).toEqual({ tenant: "engine-hcloud" });
    await run("up", "--yes", "--expect-no-changes");
    expect(fake.violations).toEqual([]);
  });

  it("state holds the token only encrypted", async () => {
    expect(await run("stack", "export")).not.toContain(TOKEN);
  });

  it("destroy removes server, firewall and primary IPs", async () => {
    await run("destroy", "--yes");
    expect(deleted.map((e) => e.name)).toEqual(["engine-hcloud"]);
    expect([fake.servers.size, fake.firewalls.size, fake.primaryIps.size]).toEqual([0, 0, 0]);
    expect(fake.violations).toEqual([]);
  });
});
