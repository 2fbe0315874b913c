/**
 * Every fault ends in success or in a clean error, and afterwards the fake shows nothing orphaned:
 * no server claimed without a stack owning it, no install left running on a claimed server. No
 * error or log line carries the refresh token or a root password.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { isNetcupPoolEmpty } from "../../components/netcup/errors";
import { createServer, deleteServer, type NetcupServerOutputs } from "../../components/netcup/lifecycle";
import { INTRUDER_NICKNAME } from "../fakes/scp/faults";
import type { FakeScp } from "../fakes/scp/server";
import { fakeForEachTest, inputsFor, leaks, orphans, secretsOf } from "./helpers";

let fake: FakeScp;
// Registered before the afterEach below, so that one runs first, with the fake still up.
const startFake = fakeForEachTest();
/** Tenants holding a server after a create returned (what a stack would have in its state). */
let owned: Map<string, string>;
const logged: string[] = [];

beforeEach(async () => {
  fake = await startFake({ servers: [{ product: "RS 4000 G12" }, { product: "RS 4000 G12" }, { product: "RS 1000 G12" }, { product: "RS 4000 G12", site: "Manassas" }] });
  owned = new Map();
  logged.length = 0;
  for (const stream of ["log", "info", "warn", "error"] as const) {
    vi.spyOn(console, stream).mockImplementation((...args: unknown[]) => { logged.push(args.map(String).join(" ")); });
  }
});

afterEach(async () => {
  vi.restoreAllMocks();
  expect(orphans(fake, owned)).toEqual([]);
  expect(leaks(logged.join("\n"), secretsOf(fake))).toEqual([]);
});

async function create(owner = "nordlicht-studio", record = true): Promise<{ id: string; outs: NetcupServerOutputs }> {
  const result = await createServer(inputsFor(fake, { owner }));
  if (record) owned.set(owner, result.id);
  return result;
}

/** The error a failing call throws, after checking it leaks no secret. */
async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(Error);
  const text = `${String(error)} ${JSON.stringify(error)} ${(error as Error).stack ?? ""}`;
  expect(leaks(text, secretsOf(fake))).toEqual([]);
  return error as Error;
}

describe("faults during create", () => {
  it("a burst of 429 with Retry-After on every endpoint: succeeds", async () => {
    fake.faults.rateLimit(5, 0, /^\/api\//).rateLimit(2, 0, /^\/token$/);
    await create();
    expect(fake.log.filter((c) => c.status === 429)).toHaveLength(7);
  });

  it("5xx answers to reads and to the claim: retried, succeeds", async () => {
    fake.faults.serverErrors(2, 500, /^\/api\/v1\/servers/, "GET").serverErrors(1, 502, /^\/api\/v1\/servers\/\d+$/, "PATCH");
    await create();
  });

  it("slow answers: succeeds", async () => {
    fake.faults.slow(4, 150);
    await create();
  });

  it("the token expires mid-operation: renewed, succeeds", async () => {
    fake.faults.expireTokensAfter(4);
    await create();
    expect(fake.counts().token).toBe(2);
  });

  /** The one server claimed for the tenant after a failed create; the retry must adopt it. */
  const heldForTenant = () => [...fake.servers.values()].filter((s) => s.nickname === "letsbe-tenant:nordlicht-studio");

  it("a 5xx to the image install is not repeated: clean error naming the step, the server stays claimed, the retry adopts it", async () => {
    fake.faults.serverErrors(1, 503, /\/image$/, "POST");
    const error = await failure(create("nordlicht-studio", false));
    expect(error.message).toMatch(/step "install image" on server v\d+: .*503.*stays claimed for the tenant/);
    expect(fake.log.filter((c) => c.method === "POST" && c.path.endsWith("/image"))).toHaveLength(1);
    const held = heldForTenant();
    expect(held).toHaveLength(1);
    expect((await create()).id).toBe(String(held[0].id));
  });

  it("the install task ends in ERROR: clean error, the server stays claimed (never pooled half-installed), the retry adopts it", async () => {
    fake.faults.failNextInstalls(1);
    const error = await failure(create("nordlicht-studio", false));
    expect(error.name).toBe("NetcupStepError");
    expect(error.message).toMatch(/step "install image".*ServerImageSetupTask.*ERROR.*stays claimed for the tenant/);
    const held = heldForTenant();
    expect(held).toHaveLength(1);
    expect((await create()).id).toBe(String(held[0].id));
  });

  it("rDNS refused after the install: clean error naming the step, the installed server stays claimed, the retry adopts it", async () => {
    fake.faults.serverErrors(6, 500, /^\/api\/v1\/rdns\/ipv4$/);
    const error = await failure(create("nordlicht-studio", false));
    expect(error.message).toContain('step "set IPv4 rDNS"');
    const held = heldForTenant();
    expect(held).toHaveLength(1);
    expect((await create()).id).toBe(String(held[0].id));
  });

  it("a failure before any install (SSH key registration refused): the untouched server goes back to the pool", async () => {
    fake.faults.serverErrors(6, 500, /\/ssh-keys$/);
    const error = await failure(create("nordlicht-studio", false));
    expect(error.message).toMatch(/step "register SSH key".*returned to the pool/);
    expect([...fake.servers.values()].every((s) => s.nickname === "letsbe-pool")).toBe(true);
  });

  it("another claimer takes the server between list and claim: the next free one is claimed", async () => {
    fake.faults.stealBetweenListAndClaim(1);
    const { id } = await create();
    const stolen = [...fake.servers.values()].filter((s) => s.nickname === INTRUDER_NICKNAME);
    expect(stolen).toHaveLength(1);
    expect(String(stolen[0].id)).not.toBe(id);
  });

  it("another claimer overwrites the claim before the read-back: we step aside and take the next", async () => {
    fake.faults.stealBeforeReadBack(1);
    const { id } = await create();
    const stolen = [...fake.servers.values()].filter((s) => s.nickname === INTRUDER_NICKNAME);
    expect(stolen).toHaveLength(1);
    expect(String(stolen[0].id)).not.toBe(id);
  });

  it("every free server of the product taken by others: the empty-pool error", async () => {
    fake.faults.stealBetweenListAndClaim(1).stealBeforeReadBack(1);
    const error = await failure(create());
    expect(isNetcupPoolEmpty(error.message)).toBe(true);
  });
});

describe("the pool", () => {
  it("empty for a product and site: a distinct error naming both, which the order flow recognises", async () => {
    const error = await failure(createServer(inputsFor(fake, { product: "RS 8000 G12" })));
    expect(error.name).toBe("NetcupPoolEmptyError");
    expect(error.message).toContain('"RS 8000 G12"');
    expect(error.message).toContain("Nuremberg");
    expect(isNetcupPoolEmpty(error)).toBe(true);
    expect(isNetcupPoolEmpty(new Error(`create failed: ${error.message}`))).toBe(true);
    expect(isNetcupPoolEmpty(new Error("SCP GET /api/v1/servers answered 503"))).toBe(false);
    expect(fake.log.filter((c) => c.method === "PATCH")).toEqual([]);
  });

  it("serves only the region's site: a us tenant gets the Manassas server", async () => {
    const { id } = await createServer(inputsFor(fake, { owner: "sandbox-us", region: "us", site: "Manassas" }));
    owned.set("sandbox-us", id);
    expect(fake.servers.get(Number(id))?.site).toBe("Manassas");
  });

  it("adopts a named pool server, and refuses one claimed by another tenant", async () => {
    const [first, second] = [...fake.servers.values()];
    const { id } = await createServer(inputsFor(fake, { serverName: second.name }));
    owned.set("nordlicht-studio", id);
    expect(id).toBe(String(second.id));
    first.nickname = "letsbe-tenant:someone-else";
    const error = await failure(createServer(inputsFor(fake, { owner: "other-tenant", serverName: first.name })));
    expect(error.message).toContain('"letsbe-tenant:someone-else"');
    expect(first.nickname).toBe("letsbe-tenant:someone-else");
    owned.set("someone-else", String(first.id));
  });
});

describe("faults during delete", () => {
  it("the wipe task ends in ERROR: clean error, the server stays with the tenant; a retried delete completes", async () => {
    const { id, outs } = await create();
    fake.faults.failNextInstalls(1);
    const error = await failure(deleteServer(id, outs));
    expect(error.message).toContain('step "wipe disk"');
    expect(fake.servers.get(Number(id))?.nickname).toBe("letsbe-tenant:nordlicht-studio");
    fake.faults.serverErrors(2, 503).rateLimit(2, 0).expireTokensAfter(3);
    await deleteServer(id, outs);
    owned.delete("nordlicht-studio");
    expect(fake.servers.get(Number(id))?.nickname).toBe("letsbe-pool");
  });

  it("a server that no longer exists, or no longer carries the claim, counts as deleted", async () => {
    const { id, outs } = await create();
    fake.servers.get(Number(id))!.nickname = "letsbe-tenant:new-owner";
    await deleteServer(id, outs);
    expect(fake.servers.get(Number(id))?.nickname).toBe("letsbe-tenant:new-owner");
    fake.servers.delete(Number(id));
    await deleteServer(id, outs);
    owned.clear();
  });
});
