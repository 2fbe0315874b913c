import { beforeEach, describe, expect, it } from "vitest";
import { ScpClient, backoffMs, retryAfterMs } from "../../components/netcup/client";
import { scpSchemas } from "../../components/netcup/schemas";
import type { FakeScp } from "../fakes/scp/server";
import { loadRecordings } from "../fakes/scp/spec";
import { FAST, TEST_KEY, fakeForEachTest, leaks, secretsOf } from "./helpers";

let fake: FakeScp;
const startFake = fakeForEachTest();
const client = (overrides: Partial<ConstructorParameters<typeof ScpClient>[0]> = {}) =>
  new ScpClient({ apiUrl: fake.apiUrl, tokenUrl: fake.tokenUrl, refreshToken: fake.refreshToken, ...FAST, ...overrides });
const calls = (method: string, path: RegExp) => fake.log.filter((c) => c.method === method && path.test(c.path));

beforeEach(async () => {
  fake = await startFake({ servers: [{ product: "RS 1000 G12" }] });
});

describe("ScpClient", () => {
  it("honours Retry-After on a burst of 429", async () => {
    fake.faults.rateLimit(2, 1, /^\/api\/v1\/servers$/);
    const started = Date.now();
    expect(await client().listServers()).toHaveLength(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    expect(calls("GET", /^\/api\/v1\/servers$/).map((c) => c.status)).toEqual([429, 429, 200]);
  });

  it("retries 5xx for calls safe to repeat", async () => {
    fake.faults.serverErrors(3, 502, /^\/api\/v1\/servers\/\d+$/);
    expect((await client().getServer(211000))?.name).toBe("v0000000000002000000");
    expect(calls("GET", /^\/api\/v1\/servers\/\d+$/).map((c) => c.status)).toEqual([502, 502, 502, 200]);
  });

  it("never repeats an image install after a 5xx (it may have been accepted), but does after a 429 (a refusal)", async () => {
    const c = client();
    const flavour = (await c.imageFlavours(211000))[0];
    fake.faults.serverErrors(1, 503, /\/image$/);
    const error = await c.installImage(211000, { imageFlavourId: flavour.id, hostname: "a.example.com", sshKeyIds: [] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "ScpApiError" });
    expect(error).toMatchObject({ status: 503, method: "POST", path: "/api/v1/servers/211000/image" });
    expect(calls("POST", /\/image$/)).toHaveLength(1);
    fake.faults.rateLimit(1, 0, /\/image$/);
    expect((await c.installImage(211000, { imageFlavourId: flavour.id, hostname: "a.example.com", sshKeyIds: [] })).state).toBe("FINISHED");
    expect(calls("POST", /\/image$/).map((c) => c.status)).toEqual([503, 429, 202]);
  });

  it("an answer lost to a timeout: a read is repeated, an image install is not (it was accepted)", async () => {
    const c = client({ requestTimeoutMs: 150 });
    fake.faults.slow(1, 400, /^\/api\/v1\/servers\/\d+$/);
    expect(await c.getServer(211000)).toBeDefined();
    const flavour = (await c.imageFlavours(211000))[0];
    fake.faults.slow(1, 400, /\/image$/);
    const error = await c.installImage(211000, { imageFlavourId: flavour.id, hostname: "a.example.com", sshKeyIds: [] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "ScpNetworkError" });
    expect(error).toMatchObject({ mayHaveBeenAccepted: true });
    await new Promise((resolve) => setTimeout(resolve, 450));
    // The fake logs a call when it answers: the timed-out read was asked twice, the install once,
    // and the fake did start that install, so repeating it would have started a second one.
    expect(calls("GET", /^\/api\/v1\/servers\/\d+$/)).toHaveLength(2);
    expect(calls("POST", /\/image$/)).toHaveLength(1);
    expect(fake.servers.get(211000)?.installCount).toBe(1);
  });

  it("renews the access token once when it expires mid-operation", async () => {
    const c = client();
    await c.listServers();
    fake.faults.expireTokensAfter(0);
    expect(await c.getServer(211000)).toBeDefined();
    expect(fake.counts().token).toBe(2);
    expect(fake.log.map((l) => l.status)).toContain(401);
  });

  it("reads the user id from the access token for the SSH key calls", async () => {
    const c = client();
    const key = await c.createSshKey("letsbe-test", TEST_KEY);
    expect((await c.sshKeys()).map((k) => k.id)).toEqual([key.id]);
    expect(calls("POST", /^\/api\/v1\/users\/555001\/ssh-keys$/)).toHaveLength(1);
  });

  it("fails on a refused refresh token without showing it", async () => {
    const error = await client({ refreshToken: "rt-wrong-and-secret" }).listServers().catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "ScpAuthError" });
    expect((error as Error).message).toContain("invalid_grant");
    expect((error as Error).message).not.toContain("rt-wrong-and-secret");
  });

  it("carries status, code, message and field errors of an API error", async () => {
    const error = await client().installImage(211000, { imageFlavourId: 99999, hostname: "a.example.com", sshKeyIds: [] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "ScpApiError", status: 422, code: "validation.error", fieldErrors: [{ field: "imageFlavourId" }] });
  });

  it("reports a task ending in ERROR and a task running too long, without the task's secret result", async () => {
    const c = client();
    const flavour = (await c.imageFlavours(211000))[0];
    fake.faults.failNextInstalls(1);
    const failed = await c.installImage(211000, { imageFlavourId: flavour.id, hostname: "a.example.com", sshKeyIds: [] }).catch((e: unknown) => e);
    expect(failed).toMatchObject({ name: "ScpTaskError" });
    expect(failed).toMatchObject({ taskName: "ServerImageSetupTask", state: "ERROR" });
    fake.taskMs = 10_000;
    const slow = await client({ taskTimeoutMs: 50 }).installImage(211000, { imageFlavourId: flavour.id, hostname: "a.example.com", sshKeyIds: [] }).catch((e: unknown) => e);
    expect(slow).toMatchObject({ name: "ScpTaskTimeoutError" });
    expect(leaks(`${String(failed)} ${String(slow)} ${JSON.stringify(failed)} ${JSON.stringify(slow)}`, secretsOf(fake))).toEqual([]);
  });
});

describe("client schemas", () => {
  it("read every recorded answer of the calls the client makes, nulls included", () => {
    const schemas = scpSchemas();
    const byFile = Object.fromEntries(loadRecordings().map((r) => [r.file, r.responseBody]));
    expect(schemas.serverList.parse(byFile["GET_servers.json"])).toHaveLength(8);
    expect(schemas.server.parse(byFile["GET_servers_111007.json"])).toMatchObject({ site: { city: "Nuremberg" }, serverLiveInfo: { uefi: true } });
    expect(schemas.imageFlavours.parse(byFile["GET_servers_111007_imageflavours.json"]).length).toBeGreaterThan(10);
    const task = schemas.task.parse(byFile["POST_servers_111007_image.json"]);
    expect(task).toMatchObject({ state: "PENDING", name: "ServerImageSetupTask" });
    expect(JSON.stringify(task)).not.toContain("REDACTED-PASSWORD");
    expect(schemas.sshKeys.parse(byFile["GET_users_555001_ssh-keys.json"])).toEqual([]);
  });

  it("retry helpers: Retry-After in seconds or as a date; full-jitter backoff within its cap", () => {
    expect(retryAfterMs("3", 0)).toBe(3000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(retryAfterMs("soon", 0)).toBeUndefined();
    for (let i = 0; i < 50; i++) expect(backoffMs(10, 100, 1000)).toBeLessThanOrEqual(1000);
  });
});
