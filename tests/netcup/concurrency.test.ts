/**
 * Several creates racing for a pool with fewer servers: each server ends up claimed at most once,
 * every winner holds a different server, and the losers fail with the empty-pool error.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { isNetcupPoolEmpty } from "../../components/netcup/errors";
import { createServer } from "../../components/netcup/lifecycle";
import type { FakeScp } from "../fakes/scp/server";
import { FAST, fakeForEachTest, inputsFor, orphans } from "./helpers";

let fake: FakeScp;
const startFake = fakeForEachTest();
beforeEach(async () => {
  fake = await startFake({ servers: [{ product: "RS 4000 G12" }, { product: "RS 4000 G12" }, { product: "RS 4000 G12" }, { product: "RS 2000 G12" }] });
});

describe("racing creates", () => {
  it.each([
    ["7 creates for 3 servers", 7, {}],
    ["5 creates for 3 servers, with 429 bursts and slow answers in the mix", 5, { rateLimit: 4, slow: 6 }],
  ] as const)("%s", async (_name, racers, faults: { rateLimit?: number; slow?: number }) => {
    if ("rateLimit" in faults) fake.faults.rateLimit(faults.rateLimit ?? 0, 0, /^\/api\//);
    if ("slow" in faults) fake.faults.slow(faults.slow ?? 0, 30, /^\/api\/v1\/servers/);
    const owners = Array.from({ length: racers }, (_, i) => `tenant-${i + 1}`);
    // The production settle time: a claim slower than it is lost by design, and this machine is busy.
    const results = await Promise.allSettled(owners.map((owner) => createServer(inputsFor(fake, { owner, tuning: { ...FAST, claimSettleMs: 2_000 } }))));
    const winners = new Map<string, string>();
    results.forEach((result, i) => {
      if (result.status === "fulfilled") winners.set(owners[i], result.value.id);
      else expect([owners[i], isNetcupPoolEmpty(result.reason)]).toEqual([owners[i], true]);
    });
    expect(winners.size).toBe(3);
    expect(new Set(winners.values()).size).toBe(3);
    for (const [owner, id] of winners) expect(fake.servers.get(Number(id))?.nickname).toBe(`letsbe-tenant:${owner}`);
    // Every server installed once, for its one owner; the other product untouched.
    const pool = [...fake.servers.values()];
    expect(pool.filter((s) => s.product === "RS 4000 G12").map((s) => s.installCount)).toEqual([1, 1, 1]);
    expect(pool.find((s) => s.product === "RS 2000 G12")?.nickname).toBe("letsbe-pool");
    expect(orphans(fake, winners)).toEqual([]);
  });
});
