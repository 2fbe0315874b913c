/**
 * End to end on one machine: tenant orders through the order flow, the rollout and destroy,
 * carried out by the stack executor (the real program, the serialized Netcup provider against
 * the fake SCP, every declared CopyToRemote/Command over SSH) on real Debian 13 host containers.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseOrder } from "../../automation/orders/schema";
import { MemoryJournal } from "../../automation/rollout/journal";
import { flowUpdater, runRollout } from "../../automation/rollout/rollout";
import { ReleaseOverride } from "../../tenants/release";
import { BASE_STAGES } from "../../components/host/stages";
import { COMMAND_TYPE, COPY_TYPE, DNS_TYPE, NETCUP_TYPE, StackExecutor, Step } from "./lib/executor";
import { Harness, REGION, TIER, startHarness, stopHarness, timed } from "./harness";
import { canLogin, SshSession } from "../host/lib/ssh";
import { orphans } from "../netcup/helpers";
import { sequentialSteps } from "../host/lib/steps";

const PREFIX = `letsbe-e2e-${process.pid}`;
const NETCUP = "e2e-netcup";
const HETZNER = "e2e-hetzner";
const ZONE = "0123456789abcdef0123456789abcdef";

let h: Harness;
const { step } = sequentialSteps();
const stageTimings: Record<string, Record<string, number>> = {};


function order(slug: string, provider: "netcup" | "hetzner", tools: string[], release: ReleaseOverride) {
  return parseOrder({
    orderId: `order-${slug}`,
    tenant: { slug, domain: `${slug}.example.net`, cloudflareZoneId: ZONE, region: REGION, tier: TIER, provider, tools, contactEmail: "ops@example.net", createdAt: "2026-11-22" },
    release,
  });
}

/** Seconds per stage of operations: the server, each bootstrap stage (copy + run), compose. */
function stageSeconds(steps: readonly Step[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of steps.filter((x) => x.executed && x.action !== "delete")) {
    const name = s.key.split("::")[1];
    const stage = s.key.startsWith(NETCUP_TYPE) ? "server" : /-compose(-|$)/.test(name) ? "compose" : BASE_STAGES.find((b) => name.endsWith(`-host-${b}`) || name.endsWith(`-host-${b}-script`)) ?? name;
    out[stage] = Math.round(((out[stage] ?? 0) + s.seconds) * 10) / 10;
  }
  return out;
}

async function session(executor: StackExecutor, privateKey: string): Promise<{ ssh: SshSession; port: number; address: string }> {
  const server = [...executor.state.values()].find((r) => r.type === NETCUP_TYPE || r.type === "hcloud:index/server:Server");
  const address = String(server?.state.ipv4 ?? server?.state.ipv4Address ?? "");
  const endpoint = h.fleet.endpointFor(address);
  return { ssh: await SshSession.connect({ host: endpoint.host, port: endpoint.port, username: "root", privateKey }), port: endpoint.port, address };
}

/** What every provisioned host must show, whichever provider made the server. */
async function expectHardenedAndServing(executor: StackExecutor, services: readonly string[]): Promise<void> {
  const { ssh, port, address } = await session(executor, h.privateKey);
  try {
    const units = ["ssh", "nginx", "docker", "fail2ban", "ufw", "certbot.timer", "apt-daily-upgrade.timer"];
    expect((await ssh.run(`systemctl is-active ${units.join(" ")}`)).trim().split("\n")).toEqual(units.map(() => "active"));
    const ufw = await ssh.run("ufw status verbose");
    expect(ufw).toContain("Status: active");
    expect(ufw).toMatch(/Default: deny \(incoming\)/);
    expect(await ssh.run("ufw show added")).toContain(`ufw allow from ${h.gateway} to any port 22 proto tcp`);
    expect(await canLogin({ host: "127.0.0.1", port, username: "probe", password: "probe-password-1" })).toBe(false);
    const ps = (await ssh.run("docker compose -p letsbe ps --format '{{.Service}} {{.Health}}' | sort")).trim().split("\n");
    expect(ps).toEqual([...services].sort().map((s) => `${s} healthy`));
    for (const image of (await ssh.run("docker inspect -f '{{.Config.Image}}' $(docker compose -p letsbe ps -q)")).trim().split("\n")) {
      expect(image).toMatch(/@sha256:[0-9a-f]{64}$/);
    }
  } finally {
    ssh.close();
  }
  // DNS is recorded, not executed: every address record must point at the server that was made.
  const server = [...executor.state.values()].find((r) => r.type === NETCUP_TYPE || r.type === "hcloud:index/server:Server");
  const records = [...executor.state.values()].filter((r) => r.type === DNS_TYPE);
  expect(executor.consistencyProblems()).toEqual([]);
  expect(records.filter((r) => r.inputs.type === "A").map((r) => r.inputs.content)).toEqual([address, address]);
  expect(records.filter((r) => r.inputs.type === "AAAA").map((r) => r.inputs.content))
    .toEqual([0, 1].map(() => String(server?.state.ipv6 ?? server?.state.ipv6Address)));
}

async function hostRun(executor: StackExecutor, command: string): Promise<string> {
  const { ssh } = await session(executor, h.privateKey);
  try {
    return await ssh.run(command);
  } finally {
    ssh.close();
  }
}

/** Steps of every operation on `slug` from history index `from` on. */
const stepsSince = (slug: string, from: number) => h.workspace.history.slice(from).filter((e) => e.slug === slug).flatMap((e) => e.steps);

/** No secret value in anything the flow, the rollout or the store hands back. */
function expectNoSecrets(...things: unknown[]): void {
  const text = JSON.stringify(things);
  for (const value of Object.values(h.secrets)) expect(text.includes(value), "a secret leaked").toBe(false);
}

const executed = (steps: readonly Step[]) => steps.filter((s) => s.executed).map((s) => s.key.split("::")[1]);
const CORE = ["openclaw", "safety-wrapper", "secrets-proxy"];

describe("the executor's consistency check", () => {
  it("names a record that does not point at the server", () => {
    const executor = new StackExecutor({ endpointFor: () => ({ host: "127.0.0.1", port: 1 }) });
    const put = (type: string, name: string, inputs: Record<string, unknown>, state: Record<string, unknown> = inputs) =>
      executor.state.set(`${type}::${name}`, { key: `${type}::${name}`, type, name, id: name, inputs, state, dependencies: [], protect: false });
    put(NETCUP_TYPE, "srv", {}, { ipv4: "198.18.0.2", ipv6: "2001:db8::1" });
    put(DNS_TYPE, "apex-a", { type: "A", content: "198.18.0.2" });
    put(DNS_TYPE, "apex-aaaa", { type: "AAAA", content: "2001:db8::1" });
    expect(executor.consistencyProblems()).toEqual([]);
    put(DNS_TYPE, "wildcard-a", { type: "A", content: "198.18.0.9" });
    expect(executor.consistencyProblems()).toEqual(["wildcard-a: A 198.18.0.9 is not the server's 198.18.0.2"]);
  });
});

describe("from a tenant order to a running, hardened host", () => {
  let release: ReleaseOverride;

  beforeAll(async () => {
    h = await startHarness(PREFIX);
    release = { openclaw: h.pins["letsbe/openclaw:s1"], safetyWrapper: h.pins["letsbe/safety-wrapper:s1"], secretsProxy: h.pins["letsbe/secrets-proxy:s1"] };
  });

  afterAll(async () => {
    await stopHarness(h);
    console.log(`e2e infra timings (s): ${JSON.stringify({ ...h?.timings, containers: h?.fleet.startSeconds })}`);
    for (const [label, stages] of Object.entries(stageTimings)) console.log(`e2e stage timings (s) ${label}: ${JSON.stringify(stages)}`);
  });

  describe("netcup", () => {
    const executor = () => h.workspace.executor(NETCUP);

    step("provision: an empty pool entry becomes a bootstrapped host serving the tools, DNS on its address", async () => {
      const pool = [...h.fake.servers.values()].find((s) => s.product === "RS 1000 G12")!;
      expect(pool.nickname).toBe("letsbe-pool");
      expect(h.fleet.running).toEqual([]);
      const outcome = await timed(h.timings, "op:netcup-provision", () => h.flow.provision(order(NETCUP, "netcup", ["uptime_kuma"], release)));
      expect(outcome.reason, outcome.reason).toBeUndefined();
      expect(outcome.ok).toBe(true);
      stageTimings["netcup provision"] = stageSeconds(executor().steps);
      // The serialized provider claimed and installed the pool server with the hub's key; the hook started the host.
      expect(pool.nickname).toBe(`letsbe-tenant:${NETCUP}`);
      expect(pool.installed?.sshKeys).toEqual([h.publicKey]);
      expect(h.fleet.events).toEqual([`start ${pool.name} ${pool.ipv4}`]);
      expect(outcome.outputs.ipv4).toBe(pool.ipv4);
      expect(outcome.outputs.release).toMatchObject(release);
      // Every base stage ran once, in order, each after its script was copied; then compose.
      const ran = executed(executor().steps);
      const stageOrder = BASE_STAGES.map((s) => ran.indexOf(`${NETCUP}-host-${s}`));
      expect(stageOrder.every((i, n) => i >= 0 && (n === 0 || i > stageOrder[n - 1]))).toBe(true);
      for (const s of BASE_STAGES) expect(ran.indexOf(`${NETCUP}-host-${s}-script`)).toBeLessThan(ran.indexOf(`${NETCUP}-host-${s}`));
      expect(ran.at(-1)).toBe(`${NETCUP}-host-compose`);
      await expectHardenedAndServing(executor(), [...CORE, "uptime-kuma"]);
      expectNoSecrets(outcome, await h.store.list());
    });

    step("converge: an up with nothing changed carries out nothing", async () => {
      const record = (await h.store.get(NETCUP))!;
      const outcome = await timed(h.timings, "op:netcup-noop", () => h.flow.update(NETCUP, record.release, "op-noop"));
      expect(outcome.reason, outcome.reason).toBeUndefined();
      expect(executed(executor().steps)).toEqual([]);
      expect(new Set(executor().steps.map((s) => s.action))).toEqual(new Set(["same"]));
      expect(outcome.outputs.release).toMatchObject(release);
    });

    step("update: a tool-set change re-runs only the compose stage", async () => {
      const record = (await h.store.get(NETCUP))!;
      await h.store.put({ ...record, spec: { ...record.spec, tools: ["uptime_kuma", "vaultwarden"] } });
      const outcome = await timed(h.timings, "op:netcup-tools", () => h.flow.update(NETCUP, record.release, "op-tools"));
      expect(outcome.reason, outcome.reason).toBeUndefined();
      stageTimings["netcup tool change"] = stageSeconds(executor().steps);
      const ran = executed(executor().steps);
      expect(ran.length).toBeGreaterThan(0);
      expect(ran.every((name) => name.startsWith(`${NETCUP}-host-compose`)), ran.join(", ")).toBe(true);
      expect(ran).toContain(`${NETCUP}-host-compose`);
      const commands = executor().steps.filter((s) => s.key.startsWith(COMMAND_TYPE));
      expect(commands.filter((s) => s.action !== "same").map((s) => s.key)).toEqual([`${COMMAND_TYPE}::${NETCUP}-host-compose`]);
      await expectHardenedAndServing(executor(), [...CORE, "uptime-kuma", "vaultwarden"]);
    });

    step("rollout: a release bump through the rollout path moves the pins on the host", async () => {
      const record = (await h.store.get(NETCUP))!;
      const target = { openclaw: h.pins["letsbe/openclaw:s3"] };
      const report = await timed(h.timings, "op:netcup-rollout", () => runRollout({
        id: "rollout-openclaw-s3", channel: "openclaw", target, bakeMs: 0, journal: new MemoryJournal(),
        fleet: [{ slug: NETCUP, group: record.spec.group, createdAt: record.spec.createdAt, release: record.release }],
        updater: flowUpdater(h.flow, "rollout-openclaw-s3"),
      }));
      expect(report).toMatchObject({ status: "completed", moved: [NETCUP], failed: [] });
      stageTimings["netcup release bump"] = stageSeconds(executor().steps);
      expect((await h.store.get(NETCUP))?.release?.openclaw).toEqual(target.openclaw);
      expect(executed(executor().steps).every((n) => n.startsWith(`${NETCUP}-host-compose`))).toBe(true);
      const image = (await hostRun(executor(), "docker inspect -f '{{.Config.Image}}' $(docker compose -p letsbe ps -q openclaw)")).trim();
      expect(image).toBe(`${target.openclaw.repository}:${target.openclaw.tag}@${target.openclaw.digest}`);
    });

    step("rollout: a failing release is rolled back on the host and in the stack's pins", async () => {
      const record = (await h.store.get(NETCUP))!;
      const before = record.release!;
      const from = h.workspace.history.length;
      const journal = new MemoryJournal();
      const report = await timed(h.timings, "op:netcup-failing-rollout", () => runRollout({
        id: "rollout-wrapper-s2", channel: "wrapper", target: { safetyWrapper: h.pins["letsbe/safety-wrapper:s2-broken"] }, bakeMs: 0,
        journal,
        fleet: [{ slug: NETCUP, group: record.spec.group, createdAt: record.spec.createdAt, release: before }],
        updater: flowUpdater(h.flow, "rollout-wrapper-s2"),
      }));
      expect(report).toMatchObject({ failed: [NETCUP], rolledBack: [NETCUP], rollbackFailed: [] });
      stageTimings["netcup failing release + rollback"] = stageSeconds(stepsSince(NETCUP, from));
      // The failing up stopped at the compose command (apply.sh's health gate, which rolled the host back);
      // the rollback up re-copied the previous files and left the command, whose inputs are the stored ones.
      const [failing, rollback] = h.workspace.history.slice(from);
      expect(failing.ok).toBe(false);
      expect(failing.steps.filter((s) => s.action === "failed").map((s) => s.key)).toEqual([`${COMMAND_TYPE}::${NETCUP}-host-compose`]);
      expect(rollback.ok).toBe(true);
      expect(rollback.steps.find((s) => s.key === `${COMMAND_TYPE}::${NETCUP}-host-compose`)?.action).toBe("same");
      expect(executed(rollback.steps).every((n) => n.startsWith(`${NETCUP}-host-compose-`))).toBe(true);
      expect(journal.entries.find((e) => e.t === "tenant")).toMatchObject({ status: "failed", reason: expect.stringMatching(/Process exited with status [1-9]\d*: running "LB_STACK_DIR=/) });
      expectNoSecrets(report, journal.entries, await h.store.list());
      expect((await h.store.get(NETCUP))?.release).toEqual(before);
      const wrapper = (await hostRun(executor(), "docker inspect -f '{{.Config.Image}}' $(docker compose -p letsbe ps -q safety-wrapper)")).trim();
      expect(wrapper).toBe(`${before.safetyWrapper!.repository}:${before.safetyWrapper!.tag}@${before.safetyWrapper!.digest}`);
      expect(JSON.parse(await hostRun(executor(), "cat /opt/letsbe/stack/current/manifest.json")).release).toMatchObject(before);
      await expectHardenedAndServing(executor(), [...CORE, "uptime-kuma", "vaultwarden"]);
    });

    step("destroy: resources deleted in reverse order, the pool server wiped and returned, nothing claimed", async () => {
      const pool = [...h.fake.servers.values()].find((s) => s.product === "RS 1000 G12")!;
      const dependencies = new Map([...executor().state.values()].map((r) => [r.key, r.dependencies]));
      const outcome = await timed(h.timings, "op:netcup-destroy", () => h.flow.destroy(NETCUP, NETCUP, "op-destroy"));
      expect(outcome.reason, outcome.reason).toBeUndefined();
      const deleted = executor().steps.filter((s) => s.action === "delete").map((s) => s.key);
      expect(deleted.length).toBe(dependencies.size);
      // Nothing is deleted while something that depends on it still exists.
      for (const [key, deps] of dependencies) for (const dep of deps) {
        if (dependencies.has(dep)) expect(deleted.indexOf(dep), `${dep} before its dependent ${key}`).toBeGreaterThan(deleted.indexOf(key));
      }
      expect(deleted.filter((k) => k.startsWith(NETCUP_TYPE))).toHaveLength(1);
      expect(deleted.indexOf(deleted.find((k) => k.startsWith(NETCUP_TYPE))!)).toBeGreaterThan(deleted.findLastIndex((k) => k.startsWith(COPY_TYPE) || k.startsWith(COMMAND_TYPE) || k.startsWith(DNS_TYPE)));
      expect(executor().state.size).toBe(0);
      expect(pool.nickname).toBe("letsbe-pool");
      expect(pool.installed?.sshKeys).toEqual([]);
      expect(h.fake.rdns.has(pool.ipv4)).toBe(false);
      expect(orphans(h.fake, new Map())).toEqual([]);
      expect(h.fleet.running).toEqual([]);
      expect(h.fleet.events.at(-1)).toBe(`stop ${pool.name} ${pool.ipv4}`);
      expect((await h.store.get(NETCUP))?.status).toBe("destroyed");
      expect(h.fake.violations).toEqual([]);
    });
  });

  describe("hetzner", () => {
    const executor = () => h.workspace.executor(HETZNER);

    step("provision: the server recorded, the host supplied by the harness, the same stages and checks", async () => {
      const outcome = await timed(h.timings, "op:hetzner-provision", () => h.flow.provision(order(HETZNER, "hetzner", ["uptime_kuma"], release)));
      expect(outcome.reason, outcome.reason).toBeUndefined();
      stageTimings["hetzner provision"] = stageSeconds(executor().steps);
      const server = [...executor().state.values()].find((r) => r.type === "hcloud:index/server:Server")!;
      expect(server.inputs).toMatchObject({ name: HETZNER, image: "debian-13", location: "nbg1" });
      expect(executor().steps.find((s) => s.key === server.key)?.executed).toBe(false);
      expect(outcome.outputs.ipv4).toBe(server.state.ipv4Address);
      const ran = executed(executor().steps);
      for (const s of BASE_STAGES) expect(ran).toContain(`${HETZNER}-host-${s}`);
      expect(ran.at(-1)).toBe(`${HETZNER}-host-compose`);
      await expectHardenedAndServing(executor(), [...CORE, "uptime-kuma"]);
      // Nothing of the Netcup pool was touched by a Hetzner tenant.
      expect([...h.fake.servers.values()].every((s) => s.nickname === "letsbe-pool")).toBe(true);
    });

    step("destroy: the recorded resources deleted in reverse order, the supplied host taken away", async () => {
      const order = executor().deletionOrder();
      const outcome = await timed(h.timings, "op:hetzner-destroy", () => h.flow.destroy(HETZNER, HETZNER, "op-destroy-hetzner"));
      expect(outcome.reason, outcome.reason).toBeUndefined();
      expect(executor().steps.map((s) => s.key)).toEqual(order);
      expect(order.indexOf("hcloud:index/server:Server::" + HETZNER + "-server")).toBeGreaterThan(order.indexOf(`${COMMAND_TYPE}::${HETZNER}-host-system`));
      expect(order.indexOf("hcloud:index/primaryIp:PrimaryIp::" + HETZNER + "-ipv4")).toBeGreaterThan(order.indexOf("hcloud:index/server:Server::" + HETZNER + "-server"));
      expect(h.fleet.running).toEqual([]);
    });
  });
});
