/**
 * A fleet rollout of the estate's tenants on the real engine (issue 12 part 5): two Netcup tenants
 * and a Hetzner one come up through the order flow, then an OpenClaw release is rolled out to all
 * three with `fleet rollout`'s own code path (runRollout over flowUpdater, LocalWorkspace driving the
 * built CLI with the policy pack). The figures it prints are the README's measured rollout.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { parseOrder } from "../../automation/orders/schema";
import { FileJournal } from "../../automation/rollout/journal";
import { flowUpdater, runRollout } from "../../automation/rollout/rollout";
import { ReleaseOverride } from "../../tenants/release";
import { sequentialSteps } from "../host/lib/steps";
import { Estate, ZONE_NAME, startEstate, stopEstate } from "./lib/estate";
import { onHost } from "./lib/hostChecks";

/** Oldest first: the newest (the Hetzner one) is the 5 % wave, the two Netcup ones share the 100 % wave. */
const TENANTS = [
  { slug: "eng-ro-one", provider: "netcup", createdAt: "2026-11-20" },
  { slug: "eng-ro-two", provider: "netcup", createdAt: "2026-11-21" },
  { slug: "eng-ro-three", provider: "hetzner", createdAt: "2026-11-22" },
] as const;
const ROLLOUT_ID = "openclaw-s3";
let estate: Estate;
let release: ReleaseOverride;
const figures: Record<string, unknown> = {};
/** Each tenant's host address, as its provision reported it. */
const addresses = new Map<string, string>();
const { step } = sequentialSteps();

beforeAll(async () => {
  estate = await startEstate(`letsbe-engine-ro-${process.pid}`);
  release = { openclaw: estate.pins["letsbe/openclaw:s1"], safetyWrapper: estate.pins["letsbe/safety-wrapper:s1"], secretsProxy: estate.pins["letsbe/secrets-proxy:s1"] };
});

afterAll(async () => {
  await stopEstate(estate);
  // Printed, not written to .cache/engine/figures.json: that file holds the Netcup scenario's figures.
  console.log(`engine rollout figures: ${JSON.stringify({ recordedAt: new Date().toISOString(), ...figures })}`);
});

const openclawOn = (address: string) => onHost(address, estate.privateKey, async (ssh) =>
  (await ssh.run("docker inspect -f '{{.Config.Image}}' $(docker compose -p letsbe ps -q openclaw)")).trim());

describe("a rollout of the estate's tenants on the real engine", () => {
  step("the estate's three tenants come up through the order flow", async () => {
    const started = Date.now();
    const outcomes = await Promise.all(TENANTS.map((t) => estate.flow.provision(parseOrder({
      orderId: `order-${t.slug}`,
      tenant: {
        slug: t.slug, domain: `${t.slug}.${ZONE_NAME}`, cloudflareZoneId: estate.zoneId, region: "eu", tier: "lite", provider: t.provider,
        tools: ["uptime_kuma"], contactEmail: "ops@example.net", createdAt: t.createdAt,
      },
      release,
    }))));
    figures.provisionAllS = Math.round((Date.now() - started) / 1000);
    for (const outcome of outcomes) {
      expect(outcome.reason, `${outcome.slug}: ${outcome.reason}`).toBeUndefined();
      addresses.set(outcome.slug, String(outcome.outputs.ipv4));
    }
  });

  step("an OpenClaw release rolls out wave by wave, the 100 % wave's two tenants at once", async () => {
    const records = await Promise.all(TENANTS.map(async (t) => (await estate.store.get(t.slug))!));
    const target = { openclaw: estate.pins["letsbe/openclaw:s3"] };
    const journal = new FileJournal(join(estate.dir, `${ROLLOUT_ID}.jsonl`));
    const started = Date.now();
    const report = await runRollout({
      id: ROLLOUT_ID, channel: "openclaw", target, bakeMs: 0, concurrency: 20, journal,
      fleet: records.map((r) => ({ slug: r.slug, group: r.spec.group, createdAt: r.spec.createdAt, release: r.release })),
      updater: flowUpdater(estate.flow, ROLLOUT_ID, 20),
    });
    const wallMs = Date.now() - started;
    expect(report).toMatchObject({ status: "completed", failed: [], gone: [], metrics: "none" });
    expect(report.moved).toEqual(TENANTS.map((t) => t.slug).sort());
    expect(report.waves.map((w) => [w.name, [...w.slugs]])).toEqual([["5%", ["eng-ro-three"]], ["100%", ["eng-ro-two", "eng-ro-one"]]]);

    // Each host runs the new image, and only the channel's pin moved in the tenant's record.
    for (const record of records) {
      const after = await estate.store.get(record.slug);
      expect(after?.release).toEqual({ ...record.release, openclaw: target.openclaw });
      expect(await openclawOn(addresses.get(record.slug)!)).toBe(`${target.openclaw.repository}:${target.openclaw.tag}@${target.openclaw.digest}`);
    }

    // The journal's times: each from the tenant's slot to its end; the 100 % wave's two overlap.
    const tenants = journal.read().flatMap((e) => (e.t === "tenant" && e.ms !== undefined ? [{ slug: e.slug, ms: e.ms, end: e.at, start: e.at - e.ms }] : []));
    const [one, two] = ["eng-ro-one", "eng-ro-two"].map((slug) => tenants.find((t) => t.slug === slug)!);
    expect(one.start).toBeLessThan(two.end);
    expect(two.start).toBeLessThan(one.end);
    Object.assign(figures, {
      rolloutTenants: TENANTS.length, rolloutWallMs: wallMs,
      tenantMs: Object.fromEntries(tenants.map((t) => [t.slug, t.ms])),
    });
  });
});
