/**
 * Snapshots through the job's Hetzner client against the fake Hetzner API (every exchange
 * validated against Hetzner's description): taken, rotated to three, nothing removed after a
 * failed snapshot, staggered per datacenter, and one tenant rebuilt from its snapshot with its
 * rebuild protection lifted and put back.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { HetznerClient } from "../../automation/snapshots/hetznerClient";
import { hetznerSnapshots } from "../../automation/snapshots/hetzner";
import { revertTenant } from "../../automation/snapshots/revert";
import { runSnapshots } from "../../automation/snapshots/run";
import type { FakeHetzner } from "../fakes/hetzner/server";
import { FakeHetzner as Fake } from "../fakes/hetzner/server";
import { call, settled } from "../hetzner/helpers";

const DAY = 24 * 3600_000;
const START = Date.parse("2026-12-01T03:30:00Z");
let today = 0;
const clock = () => new Date(START + today * DAY);

let fake: FakeHetzner;
const ids: Record<string, number> = {};

const provider = () => hetznerSnapshots(new HetznerClient({ endpoint: fake.endpoint, token: fake.token, pollMs: 5 }));
const run = (day: number, extra: Parameters<typeof runSnapshots>[1] = {}) => {
  today = day;
  return runSnapshots([provider()], { gapMs: 0, now: clock, ...extra });
};
const imagesOf = (slug: string) => [...fake.images.values()].filter((i) => i.createdFrom.id === ids[slug]).map((i) => i.description);

async function server(slug: string, location: string, labels: Record<string, string> = { tenant: slug, "managed-by": "letsbe" }): Promise<void> {
  const created = await call(fake, "POST", "/servers", { name: `${slug}-server`, server_type: "cpx21", image: "debian-13", location, labels });
  expect(created.status).toBe(201);
  await settled(fake, created.body.action.id as number);
  ids[slug] = created.body.server.id as number;
  const protect = await call(fake, "POST", `/servers/${ids[slug]}/actions/change_protection`, { delete: true, rebuild: true });
  await settled(fake, protect.body.action.id as number);
}

beforeEach(async () => {
  today = 0;
  fake = await Fake.start({ actionMs: 10, clock });
  await server("alpha", "fsn1");
  await server("bravo", "fsn1");
  await server("charlie", "nbg1");
  await server("stranger", "fsn1", { owner: "someone-else" });
});

afterEach(async () => {
  expect(fake.violations).toEqual([]);
  await fake.stop();
});

describe("hetzner snapshots", () => {
  it("takes a labelled snapshot image of every LetsBe tenant server and of no other server", async () => {
    const report = await run(0);
    expect(report.results.map((r) => [r.slug, r.status, r.group])).toEqual([
      ["alpha", "success", "hetzner:fsn1-dc14"], ["bravo", "success", "hetzner:fsn1-dc14"], ["charlie", "success", "hetzner:nbg1-dc3"],
    ]);
    expect(imagesOf("alpha")).toEqual(["letsbe-daily-20261201t033000z"]);
    expect([...fake.images.values()].find((i) => i.createdFrom.id === ids.alpha)?.labels).toEqual({ "letsbe-snapshot": "daily", tenant: "alpha", server: String(ids.alpha) });
    expect(imagesOf("stranger")).toEqual([]);
  });

  it("keeps three, removing the oldest after each new one; a snapshot made by hand is never touched", async () => {
    const manual = await call(fake, "POST", `/servers/${ids.alpha}/actions/create_image`, { type: "snapshot", description: "before the migration" });
    await settled(fake, manual.body.action.id as number);
    for (let day = 0; day < 5; day++) await run(day);
    expect(imagesOf("alpha")).toEqual(["before the migration", "letsbe-daily-20261203t033000z", "letsbe-daily-20261204t033000z", "letsbe-daily-20261205t033000z"]);
    const deletes = fake.log.filter((c) => c.operation === "delete_image");
    expect(deletes).toHaveLength(6);
  });

  it("removes nothing when a snapshot fails and reports it", async () => {
    for (let day = 0; day < 3; day++) await run(day);
    fake.imageFailures = 1;
    const report = await run(3, { parallel: 1 });
    const failed = report.results.filter((r) => r.status === "failed");
    expect(failed.map((r) => r.slug)).toEqual(["alpha"]);
    expect(failed[0].error).toMatch(/create_image of server \d+: action \d+ failed: action_failed snapshot creation failed/);
    expect(imagesOf("alpha")).toEqual(["letsbe-daily-20261201t033000z", "letsbe-daily-20261202t033000z", "letsbe-daily-20261203t033000z"]);
    expect(imagesOf("bravo")).toHaveLength(3);
    expect(imagesOf("bravo")).toContain("letsbe-daily-20261204t033000z");
  });

  it("staggers by datacenter: the two fsn1 tenants one after the other", async () => {
    fake.actionMs = 50;
    await runSnapshots([provider()], { gapMs: 20, parallel: 4 });
    // The fake's own record of each create_image action: when it started and when it was seen finished.
    const windows = (location: string) => [...fake.actions.values()]
      .filter((a) => a.command === "create_image" && fake.servers.get(a.resources[0].id)?.location.name === location)
      .map((a) => ({ start: Date.parse(a.started), end: Date.parse(a.finished ?? "") }))
      .sort((x, y) => x.start - y.start);
    const [first, second] = windows("fsn1");
    expect(windows("fsn1")).toHaveLength(2);
    expect(second.start).toBeGreaterThanOrEqual(first.end + 20);
    const [nbg] = windows("nbg1");
    expect(nbg.start).toBeLessThan(second.start);
  });

  it("reverts one tenant by a rebuild from its snapshot, and its rebuild protection is on again after", async () => {
    fake.diskOf.set(ids.alpha, "alpha-good");
    await run(0);
    fake.diskOf.set(ids.alpha, "alpha-broken");
    fake.diskOf.set(ids.bravo, "bravo-today");
    const { snapshot } = await revertTenant([provider()], "alpha", "letsbe-daily-20261201t033000z");
    expect(snapshot.name).toBe("letsbe-daily-20261201t033000z");
    expect(fake.diskOf.get(ids.alpha)).toBe("alpha-good");
    expect(fake.diskOf.get(ids.bravo)).toBe("bravo-today");
    expect(fake.servers.get(ids.alpha)?.protection).toEqual({ delete: true, rebuild: true });
    expect(fake.log.filter((c) => c.operation === "change_server_protection").length).toBe(4 + 2);
  });
});
