/**
 * The claim is safe by construction: two claimers contending for one server never both win, and
 * a claim that may have landed late never goes on to install (which would wipe the other tenant).
 * Each case arranges the interleaving with the fake's fault rules (held, refused or lost answers)
 * instead of relying on timing: the second claimer runs to the end while the first one's PATCH
 * is held.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { isNetcupPoolEmpty } from "../../components/netcup/errors";
import { createServer } from "../../components/netcup/lifecycle";
import type { FakeScp } from "../fakes/scp/server";
import { FAST, fakeForEachTest, inputsFor, orphans } from "./helpers";

const PATCH_SERVER = /^\/api\/v1\/servers\/\d+$/;
/** Settle time of these tests; the Retry-After (2 s) and every hold below last longer (a hold lasts the whole other create, settle included). */
const SETTLE_MS = 1_000;
const tuning = { ...FAST, claimSettleMs: SETTLE_MS };

let fake: FakeScp;
const startFake = fakeForEachTest();
beforeEach(async () => {
  fake = await startFake({ servers: [{ product: "RS 4000 G12" }] });
});

/** A promise and its resolver: the cue on which a held request goes on. */
function cue(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => { resolve = r; });
  return { promise, resolve };
}

/** First claimer `first`, second `second`: the second's create runs to its end while the first's claim PATCH is held. */
async function contend(rule: (started: () => void, secondDone: Promise<void>) => void) {
  const secondDone = cue();
  const secondStarted = cue();
  rule(secondStarted.resolve, secondDone.promise);
  const first = createServer(inputsFor(fake, { owner: "first-tenant", hostname: "first-tenant.de", tuning }));
  await secondStarted.promise;
  const second = createServer(inputsFor(fake, { owner: "second-tenant", hostname: "second-tenant.de", tuning }));
  const secondResult = await second.then((v) => ({ ok: true as const, v }), (e: unknown) => ({ ok: false as const, e }));
  secondDone.resolve();
  const firstResult = await first.then((v) => ({ ok: true as const, v }), (e: unknown) => ({ ok: false as const, e }));
  return { firstResult, secondResult };
}

describe("two claimers for one server", () => {
  it("the first claim PATCH is refused with Retry-After longer than the settle time: it is not repeated over the other's claim", async () => {
    const [server] = [...fake.servers.values()];
    const { firstResult, secondResult } = await contend((started, secondDone) => {
      // 429 with Retry-After 2 s; its answer is held until the second claimer has installed.
      fake.faults.inject({ times: 1, method: "PATCH", path: PATCH_SERVER, status: 429, retryAfterSeconds: 2, hold: secondDone, onHit: started });
    });
    expect(secondResult.ok).toBe(true);
    expect(firstResult.ok).toBe(false);
    expect(isNetcupPoolEmpty(firstResult.ok ? undefined : firstResult.e)).toBe(true);
    // The second tenant's install is the only one, and the server still carries its claim.
    expect(server.installCount).toBe(1);
    expect(server.installed?.hostname).toBe("second-tenant.de");
    expect(server.nickname).toBe("letsbe-tenant:second-tenant");
    expect(orphans(fake, new Map([["second-tenant", String(server.id)]]))).toEqual([]);
  });

  it("the first claim lands after the settle time (held, then applied): treated as lost, undone, never installed", async () => {
    const [server] = [...fake.servers.values()];
    const { firstResult, secondResult } = await contend((started, secondDone) => {
      // Applied only once the second claimer has confirmed and installed: it lands over that claim.
      fake.faults.inject({ times: 1, method: "PATCH", path: PATCH_SERVER, hold: secondDone, onHit: started });
    });
    expect(secondResult.ok).toBe(true);
    expect(firstResult.ok).toBe(false);
    expect(isNetcupPoolEmpty(firstResult.ok ? undefined : firstResult.e)).toBe(true);
    expect(server.installCount).toBe(1);
    expect(server.installed?.hostname).toBe("second-tenant.de");
    // The late claim does not stay (a retry of the first tenant would adopt it), and the server is
    // not handed to the pool either (it may be the second tenant's live server).
    expect(server.nickname).not.toBe("letsbe-tenant:first-tenant");
    expect(server.nickname).not.toBe("letsbe-pool");
  });

  it("the first claim's answer is lost (5xx after it was applied): read again, and over the settle time it is lost and undone", async () => {
    const [server] = [...fake.servers.values()];
    const { firstResult, secondResult } = await contend((started, secondDone) => {
      fake.faults.inject({ times: 1, method: "PATCH", path: PATCH_SERVER, hold: secondDone, onHit: started, dropAnswer: true });
    });
    expect(secondResult.ok).toBe(true);
    expect(firstResult.ok).toBe(false);
    expect(server.installCount).toBe(1);
    expect(server.installed?.hostname).toBe("second-tenant.de");
    expect(server.nickname).not.toBe("letsbe-tenant:first-tenant");
    expect(server.nickname).not.toBe("letsbe-pool");
  });

  it("a 503 on the claim that was not applied: read again, still free, claimed (one claimer, no error)", async () => {
    fake.faults.serverErrors(1, 503, PATCH_SERVER, "PATCH");
    const { id } = await createServer(inputsFor(fake, { tuning }));
    expect(fake.servers.get(Number(id))?.nickname).toBe("letsbe-tenant:nordlicht-studio");
    expect(fake.log.filter((c) => c.method === "PATCH" && c.status === 503)).toHaveLength(1);
  });
});
