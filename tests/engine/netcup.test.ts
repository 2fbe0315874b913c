/**
 * A Netcup tenant on the real engine: the order flow drives LocalWorkspace and the built CLI with the
 * policy pack; the Netcup dynamic provider (serialized, run by @pulumi/pulumi's dynamic-provider host)
 * claims a pool server from the fake SCP, whose install starts a Debian 13 host at the server's address;
 * every bootstrap stage runs over SSH through the command plugin; DNS goes to the fake Cloudflare.
 */
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { parseOrder } from "../../automation/orders/schema";
import { ReleaseOverride } from "../../tenants/release";
import { sequentialSteps } from "../host/lib/steps";
import { REPO, pulumi, recordFigures } from "./lib/engine";
import { readTree, secretFragments } from "./lib/secrets";
import { ESTATE_NETWORK, Estate, ZONE_NAME, startEstate, stopEstate } from "./lib/estate";
import { expectHardenedAndServing, onHost } from "./lib/hostChecks";
import type { ObservedRun } from "./lib/settings";
import { BASE_STAGES } from "../../components/host/stages";
import { MemoryJournal } from "../../automation/rollout/journal";
import { flowUpdater, runRollout } from "../../automation/rollout/rollout";

const SLUG = "eng-netcup";
const NETCUP_TYPE = "pulumi-nodejs:dynamic/netcup:Server";
const CORE = ["openclaw", "safety-wrapper", "secrets-proxy"];
let estate: Estate;
let release: ReleaseOverride;
const { step } = sequentialSteps();

function order(tools: string[]) {
  return parseOrder({
    orderId: `order-${SLUG}`,
    tenant: {
      slug: SLUG, domain: `${SLUG}.${ZONE_NAME}`, cloudflareZoneId: estate.zoneId, region: "eu", tier: "lite", provider: "netcup",
      tools, contactEmail: "ops@example.net", createdAt: "2026-11-22",
    },
    release,
  });
}

const lastRun = () => estate.workspace.runs.at(-1)!;
const changedIn = (run: ObservedRun) => [...new Set(run.steps.filter((st) => st.op !== "same" && st.op !== "read" && !st.type.startsWith("pulumi:providers:")).map((st) => st.name))];
const imageOf = (service: string) => onHost(poolServer().ipv4, estate.privateKey, async (ssh) =>
  (await ssh.run(`docker inspect -f '{{.Config.Image}}' $(docker compose -p letsbe ps -q ${service})`)).trim());

/** The lite server claimed for the tenant (the first one until a replacement claims the other). */
const poolServer = () => [...estate.scp.servers.values()].find((s) => s.nickname === `letsbe-tenant:${SLUG}`)
  ?? [...estate.scp.servers.values()].find((s) => s.product === "RS 1000 G12")!;
const liteServers = () => [...estate.scp.servers.values()].filter((s) => s.product === "RS 1000 G12");

beforeAll(async () => {
  estate = await startEstate(`letsbe-engine-${process.pid}`);
  release = { openclaw: estate.pins["letsbe/openclaw:s1"], safetyWrapper: estate.pins["letsbe/safety-wrapper:s1"], secretsProxy: estate.pins["letsbe/secrets-proxy:s1"] };
});

afterAll(async () => {
  await stopEstate(estate);
  const t = estate?.timings ?? {};
  if (t["op:provision"] !== undefined && t["op:noop"] !== undefined) {
    recordFigures({ upMsPerTenant: Math.round(t["op:provision"] * 1000), noChangeUpMs: Math.round(t["op:noop"] * 1000) });
  }
  console.log(`engine netcup timings (s): ${JSON.stringify(estate?.timings)}`);
});

describe("a netcup tenant on the real engine", () => {
  step("provision: the pool server claimed and installed, every stage run over SSH, DNS at its address, serving", async () => {
    expect(poolServer().nickname).toBe("letsbe-pool");
    const started = Date.now();
    const outcome = await estate.flow.provision(order(["uptime_kuma"]));
    estate.timings["op:provision"] = (Date.now() - started) / 1000;
    expect(outcome.reason, outcome.reason).toBeUndefined();
    expect(outcome.ok).toBe(true);
    const pool = poolServer();
    expect(pool.nickname).toBe(`letsbe-tenant:${SLUG}`);
    expect(pool.installed?.sshKeys).toEqual([estate.publicKey]);
    expect(estate.fleet.events).toEqual([`start ${pool.name} ${pool.ipv4}`]);
    expect(outcome.outputs.ipv4).toBe(pool.ipv4);
    expect(outcome.outputs.release).toMatchObject(release);
    await expectHardenedAndServing(pool.ipv4, estate.privateKey, ESTATE_NETWORK.gateway, [...CORE, "uptime-kuma"]);
    const records = [...estate.cloudflare.records.values()];
    expect(records.filter((r) => r.type === "A").map((r) => r.content)).toEqual([pool.ipv4, pool.ipv4]);
    expect(estate.scp.violations).toEqual([]);
    expect(estate.cloudflare.violations).toEqual([]);
  });

  step("converge: a second up changes nothing, and a refresh finds no drift", async () => {
    const record = (await estate.store.get(SLUG))!;
    const started = Date.now();
    const outcome = await estate.flow.update(SLUG, record.release, "op-noop");
    estate.timings["op:noop"] = (Date.now() - started) / 1000;
    expect(outcome.reason, outcome.reason).toBeUndefined();
    expect(Object.keys(outcome.changes)).toEqual(["same"]);
    const refreshed = await estate.workspace.refresh({ slug: SLUG, config: estate.flow.stackConfig(record) });
    expect(Object.keys(refreshed.changes)).toEqual(["same"]);
  });

  step("update: a tool-set change re-runs only the compose stage", async () => {
    const record = (await estate.store.get(SLUG))!;
    await estate.store.put({ ...record, spec: { ...record.spec, tools: ["uptime_kuma", "vaultwarden"] } });
    const outcome = await estate.flow.update(SLUG, record.release, "op-tools");
    expect(outcome.reason, outcome.reason).toBeUndefined();
    const changed = changedIn(lastRun());
    expect(changed).toContain(`${SLUG}-host-compose`);
    expect(changed.every((name) => name.startsWith(`${SLUG}-host-compose`)), changed.join(", ")).toBe(true);
    await expectHardenedAndServing(poolServer().ipv4, estate.privateKey, ESTATE_NETWORK.gateway, [...CORE, "uptime-kuma", "vaultwarden"]);
  });

  step("rollout: a release bump moves the pins on the host and in the stack", async () => {
    const record = (await estate.store.get(SLUG))!;
    const target = { openclaw: estate.pins["letsbe/openclaw:s3"] };
    const report = await runRollout({
      id: "rollout-openclaw-s3", channel: "openclaw", target, bakeMs: 0, journal: new MemoryJournal(),
      fleet: [{ slug: SLUG, group: record.spec.group, createdAt: record.spec.createdAt, release: record.release }],
      updater: flowUpdater(estate.flow, "rollout-openclaw-s3"),
    });
    expect(report).toMatchObject({ status: "completed", moved: [SLUG], failed: [] });
    expect((await estate.store.get(SLUG))?.release?.openclaw).toEqual(target.openclaw);
    expect(changedIn(lastRun()).every((name) => name.startsWith(`${SLUG}-host-compose`))).toBe(true);
    expect(await imageOf("openclaw")).toBe(`${target.openclaw.repository}:${target.openclaw.tag}@${target.openclaw.digest}`);
  });

  step("rollout: a failing release is rolled back on the host and in the stack's pins", async () => {
    const record = (await estate.store.get(SLUG))!;
    const before = record.release!;
    const from = estate.workspace.runs.length;
    const report = await runRollout({
      id: "rollout-wrapper-s2", channel: "wrapper", target: { safetyWrapper: estate.pins["letsbe/safety-wrapper:s2-broken"] }, bakeMs: 0,
      journal: new MemoryJournal(),
      fleet: [{ slug: SLUG, group: record.spec.group, createdAt: record.spec.createdAt, release: before }],
      updater: flowUpdater(estate.flow, "rollout-wrapper-s2"),
    });
    expect(report).toMatchObject({ failed: [SLUG], rolledBack: [SLUG], rollbackFailed: [] });
    const [failing, rollback] = estate.workspace.runs.slice(from);
    expect(failing.ok).toBe(false);
    expect(failing.steps.filter((s) => s.op === "failed").map((s) => s.name)).toEqual([`${SLUG}-host-compose`]);
    expect(rollback.ok).toBe(true);
    expect((await estate.store.get(SLUG))?.release).toEqual(before);
    expect(await imageOf("safety-wrapper")).toBe(`${before.safetyWrapper!.repository}:${before.safetyWrapper!.tag}@${before.safetyWrapper!.digest}`);
    await expectHardenedAndServing(poolServer().ipv4, estate.privateKey, ESTATE_NETWORK.gateway, [...CORE, "uptime-kuma", "vaultwarden"]);
  });

  step("replace: `up --replace` of the server gives a freshly installed one, bootstrapped and serving; no other is left claimed or unwiped", async () => {
    const installedBefore = poolServer().installed?.at;
    const record = (await estate.store.get(SLUG))!;
    const serverUrn = lastRun().steps.find((st) => st.type === NETCUP_TYPE)!.urn;
    await estate.workspace.up({ slug: SLUG, config: estate.flow.stackConfig(record), replace: [serverUrn] });
    // Delete first: the old server is wiped and pooled, then a pool server (perhaps the same) is claimed.
    const after = poolServer();
    expect(after.nickname).toBe(`letsbe-tenant:${SLUG}`);
    expect(after.installed?.at).not.toBe(installedBefore);
    for (const free of liteServers().filter((s) => s.nickname === "letsbe-pool")) expect(free.installed?.sshKeys ?? [], free.name).toEqual([]);
    const replaced = lastRun().steps.filter((st) => st.op === "create-replacement").map((st) => st.name);
    for (const stage of BASE_STAGES) expect(replaced, stage).toContain(`${SLUG}-host-${stage}`);
    expect(replaced).toContain(`${SLUG}-host-compose`);
    await expectHardenedAndServing(after.ipv4, estate.privateKey, ESTATE_NETWORK.gateway, [...CORE, "uptime-kuma", "vaultwarden"]);
    expect([...estate.cloudflare.records.values()].filter((r) => r.type === "A").map((r) => r.content)).toEqual([after.ipv4, after.ipv4]);
    expect(liteServers().filter((s) => s.nickname === `letsbe-tenant:${SLUG}`)).toHaveLength(1);
    // The program declared protection again in the same update.
    const exported = JSON.parse(pulumi(estate.engine, ["stack", "export", "--stack", SLUG], join(REPO, "stacks", "tenant"))) as { deployment: { resources: Array<{ urn: string; protect?: boolean }> } };
    expect(exported.deployment.resources.find((r) => r.urn === serverUrn)?.protect).toBe(true);
  });

  step("secrets: neither the raw state files nor `pulumi stack export` hold a test secret in plain text", async () => {
    const exported = pulumi(estate.engine, ["stack", "export", "--stack", SLUG], join(REPO, "stacks", "tenant"));
    const state = readTree(estate.engine.backendDir);
    // The secrets are there, as ciphertext.
    expect(exported).toContain('"ciphertext"');
    for (const [key, value] of Object.entries(estate.secrets)) {
      for (const fragment of secretFragments(value)) {
        expect(exported.includes(fragment), `${key} in stack export`).toBe(false);
        expect(state.includes(fragment), `${key} in the backend's files`).toBe(false);
      }
    }
  });

  step("guardrail: an up that lifts protection in this production tenant is stopped by stateful-protected", async () => {
    const record = (await estate.store.get(SLUG))!;
    const config = { ...estate.flow.stackConfig(record), "letsbe-tenant:protect": { value: "false" } };
    await expect(estate.workspace.up({ slug: SLUG, config })).rejects.toThrow(/stateful-protected/);
    expect(poolServer().nickname).toBe(`letsbe-tenant:${SLUG}`);
  });

  step("destroy: through the order flow with the policy pack, the pool server wiped and returned, DNS gone", async () => {
    const outcome = await estate.flow.destroy(SLUG, SLUG, "op-destroy");
    expect(outcome.reason, outcome.reason).toBeUndefined();
    expect(outcome.ok).toBe(true);
    for (const server of liteServers()) {
      expect(server.nickname).toBe("letsbe-pool");
      expect(server.installed?.sshKeys ?? [], server.name).toEqual([]);
    }
    expect(estate.fleet.running).toEqual([]);
    expect(estate.cloudflare.records.size).toBe(0);
    const stacks = await (await LocalWorkspace.create({ workDir: join(REPO, "stacks", "tenant"), envVars: estate.engine.env })).listStacks();
    expect(stacks.map((s) => s.name)).not.toContain(SLUG);
    expect(estate.scp.violations).toEqual([]);
  });
});
