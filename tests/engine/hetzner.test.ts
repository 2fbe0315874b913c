/**
 * A Hetzner tenant on the real engine: the hcloud plugin against the fake Hetzner API (every request
 * checked against Hetzner's description), whose server create starts a Debian 13 host at the primary
 * IPv4 with the keys of its cloud-init; then the same bootstrap, a converge, a destroy through the
 * order flow (delete protection lifted at Hetzner first) that leaves nothing behind.
 */
import { afterAll, beforeAll, describe, expect } from "vitest";
import { parseOrder } from "../../automation/orders/schema";
import { ReleaseOverride } from "../../tenants/release";
import { sequentialSteps } from "../host/lib/steps";
import { ESTATE_NETWORK, Estate, ZONE_NAME, startEstate, stopEstate } from "./lib/estate";
import { expectHardenedAndServing } from "./lib/hostChecks";

const SLUG = "eng-hetzner";
const CORE = ["openclaw", "safety-wrapper", "secrets-proxy"];
let estate: Estate;
let release: ReleaseOverride;
const { step } = sequentialSteps();

beforeAll(async () => {
  estate = await startEstate(`letsbe-engine-hz-${process.pid}`);
  release = { openclaw: estate.pins["letsbe/openclaw:s1"], safetyWrapper: estate.pins["letsbe/safety-wrapper:s1"], secretsProxy: estate.pins["letsbe/secrets-proxy:s1"] };
});

afterAll(async () => {
  await stopEstate(estate);
  console.log(`engine hetzner timings (s): ${JSON.stringify(estate?.timings)}`);
});

const server = () => [...estate.hetzner.servers.values()][0];

describe("a hetzner tenant on the real engine", () => {
  step("provision: primary IPs, firewall and server at Hetzner, the host bootstrapped at its address, serving", async () => {
    const started = Date.now();
    const outcome = await estate.flow.provision(parseOrder({
      orderId: `order-${SLUG}`,
      tenant: {
        slug: SLUG, domain: `${SLUG}.${ZONE_NAME}`, cloudflareZoneId: estate.zoneId, region: "eu", tier: "lite", provider: "hetzner",
        tools: ["uptime_kuma"], contactEmail: "ops@example.net", createdAt: "2026-11-22",
      },
      release,
    }));
    estate.timings["op:provision"] = (Date.now() - started) / 1000;
    expect(outcome.reason, outcome.reason).toBeUndefined();
    expect(estate.hetzner.servers.size).toBe(1);
    expect(server()).toMatchObject({ name: SLUG, location: expect.objectContaining({ name: "nbg1" }) });
    expect(estate.hetzner.primaryIps.size).toBe(2);
    expect(estate.hetzner.firewalls.size).toBe(1);
    const ipv4 = [...estate.hetzner.primaryIps.values()].find((ip) => ip.type === "ipv4")!.ip;
    expect(outcome.outputs.ipv4).toBe(ipv4);
    await expectHardenedAndServing(ipv4, estate.privateKey, ESTATE_NETWORK.gateway, [...CORE, "uptime-kuma"]);
    expect([...estate.cloudflare.records.values()].filter((r) => r.type === "A").map((r) => r.content)).toEqual([ipv4, ipv4]);
    // Nothing of the Netcup pool was touched by a Hetzner tenant.
    expect([...estate.scp.servers.values()].every((s) => s.nickname === "letsbe-pool")).toBe(true);
    expect(estate.hetzner.violations).toEqual([]);
  });

  step("converge: a second up changes nothing, and a refresh finds no drift", async () => {
    const record = (await estate.store.get(SLUG))!;
    const outcome = await estate.flow.update(SLUG, record.release, "op-noop");
    expect(outcome.reason, outcome.reason).toBeUndefined();
    const changed = estate.workspace.runs.at(-1)!.steps.filter((st) => st.op !== "same").map((st) => `${st.op} ${st.name}`);
    expect(Object.keys(outcome.changes), changed.join(", ")).toEqual(["same"]);
    const refreshed = await estate.workspace.refresh({ slug: SLUG, config: estate.flow.stackConfig(record) });
    expect(Object.keys(refreshed.changes)).toEqual(["same"]);
  });

  step("destroy: through the order flow with the policy pack; server, addresses, firewall, DNS and host gone", async () => {
    const outcome = await estate.flow.destroy(SLUG, SLUG, "op-destroy");
    expect(outcome.reason, outcome.reason).toBeUndefined();
    expect(outcome.ok).toBe(true);
    expect(estate.hetzner.servers.size).toBe(0);
    expect(estate.hetzner.primaryIps.size).toBe(0);
    expect(estate.hetzner.firewalls.size).toBe(0);
    expect(estate.cloudflare.records.size).toBe(0);
    expect(estate.fleet.running).toEqual([]);
    expect(estate.hetzner.violations).toEqual([]);
    expect(estate.cloudflare.violations).toEqual([]);
  });
});
