/**
 * The serialized provider round trip: the `__provider` input the mock runtime captured for a
 * NetcupServer, loaded the way Pulumi's dynamic-provider host loads it, drives create, read, diff,
 * update and delete against the fake SCP API. Runs on the compiled code under dist/ (what Pulumi
 * serializes); vitest's own module transform is not what a deployment would ship.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { isNetcupPoolEmpty } from "../../components/netcup/errors";
import type { FakeScp } from "../fakes/scp/server";
import { OTHER_KEY, TEST_KEY, leaks, loadSerializedProvider, orphans, secretsOf, startFake, type LoadedProvider, type NetcupServerOutputs } from "./helpers";

describe("serialized NetcupServer provider", () => {
  let fake: FakeScp;
  let loaded: LoadedProvider;
  const output: string[] = [];

  beforeAll(async () => {
    fake = await startFake({ servers: [{ product: "RS 4000 G12", site: "Manassas" }, { product: "RS 2000 G12" }, { product: "RS 4000 G12" }] });
    loaded = await loadSerializedProvider(fake);
    for (const stream of ["log", "info", "warn", "error"] as const) {
      vi.spyOn(console, stream).mockImplementation((...args: unknown[]) => { output.push(args.map(String).join(" ")); });
    }
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await fake?.stop();
  });

  it("is registered as pulumi-nodejs:dynamic/netcup:Server with the refresh token secret", () => {
    expect(loaded.registration.type).toBe("pulumi-nodejs:dynamic/netcup:Server");
    expect(loaded.registration.secretPaths).toContain("refreshToken");
    expect(loaded.registration.inputs.refreshToken).toBe("[secret]");
    expect(JSON.stringify(loaded.registration.inputs)).not.toContain(fake.refreshToken);
    expect(loaded.inputs.providerVersion).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("serializes without captured clients, tokens or module state", () => {
    expect(loaded.providerText).toMatch(/^exports\.handler = /);
    expect(loaded.providerText).not.toContain(fake.refreshToken);
    expect(loaded.providerText).not.toContain("@pulumi/pulumi");
    // Node packages are required by name, not inlined.
    expect(loaded.providerText).toContain('require("zod")');
  });

  let created: { id: string; outs: NetcupServerOutputs };

  it("create claims a free server of the product at the site, installs it and sets rDNS", async () => {
    const checked = await loaded.provider.check({}, loaded.inputs);
    expect(checked.failures ?? []).toEqual([]);
    const before = fake.log.length;
    created = (await loaded.provider.create(loaded.inputs)) as typeof created;
    // One token for the whole create: a lost field initializer would refresh it on every call.
    const calls = fake.log.slice(before);
    expect(calls.filter((c) => c.kind === "token")).toHaveLength(1);
    expect(calls.filter((c) => c.kind !== "task-poll").length).toBeLessThanOrEqual(12);
    const server = fake.servers.get(Number(created.id));
    expect(server?.product).toBe("RS 4000 G12");
    expect(server?.site).toBe("Nuremberg");
    expect(server?.nickname).toBe("letsbe-tenant:nordlicht-studio");
    expect(server?.installed).toMatchObject({ imageName: "Debian 13.6.0 UEFI amd64", hostname: "nordlicht-studio.de", sshKeys: [TEST_KEY] });
    expect(fake.rdns.get(server!.ipv4)).toBe("nordlicht-studio.de");
    expect(created.outs).toMatchObject({
      serverId: String(server!.id), serverName: server!.name, ipv4: server!.ipv4, ipv6: `${server!.ipv6Prefix}1`,
      site: "Nuremberg", product: "RS 4000 G12", imageFlavour: "Debian 13.6.0 UEFI amd64", imageFlavourId: 128,
    });
    expect(Date.parse(created.outs.installedAt)).not.toBeNaN();
  });

  it("read refreshes from the API", async () => {
    const read = await loaded.provider.read(created.id, created.outs);
    expect(read.id).toBe(created.id);
    expect(read.props).toMatchObject({ ipv4: created.outs.ipv4, serverName: created.outs.serverName, hostname: "nordlicht-studio.de" });
  });

  it("diff: hostname and key update, image/product/region/name replace delete-first, a provider version alone is a no-op update", async () => {
    const news = { ...loaded.inputs };
    expect(await loaded.provider.diff(created.id, created.outs, news)).toMatchObject({ changes: false, replaces: [] });
    expect(await loaded.provider.diff(created.id, created.outs, { ...news, hostname: "studio.nordlicht-studio.de" })).toMatchObject({ changes: true, replaces: [] });
    expect(await loaded.provider.diff(created.id, created.outs, { ...news, providerVersion: "9.9.9" })).toMatchObject({ changes: true, replaces: [] });
    // A key rotation is written over SSH: replacing would wipe the tenant.
    expect(await loaded.provider.diff(created.id, created.outs, { ...news, sshPublicKey: OTHER_KEY })).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    for (const [key, value] of [["image", "Debian 12"], ["product", "RS 8000 G12"], ["region", "us"]] as const) {
      expect(await loaded.provider.diff(created.id, created.outs, { ...news, [key]: value })).toEqual({ changes: true, replaces: [key], deleteBeforeReplace: true });
    }
    expect(await loaded.provider.diff(created.id, created.outs, { ...news, serverName: "v0000000000009999999" })).toMatchObject({ replaces: ["serverName"], deleteBeforeReplace: true });
    expect(await loaded.provider.diff(created.id, created.outs, { ...news, serverName: created.outs.serverName })).toMatchObject({ changes: false });
  });

  it("update changes hostname and rDNS in place", async () => {
    const news = { ...loaded.inputs, hostname: "studio.nordlicht-studio.de" };
    const updated = await loaded.provider.update(created.id, created.outs, news);
    const server = fake.servers.get(Number(created.id))!;
    expect(server.hostname).toBe("studio.nordlicht-studio.de");
    expect(fake.rdns.get(server.ipv4)).toBe("studio.nordlicht-studio.de");
    expect(updated.outs).toMatchObject({ hostname: "studio.nordlicht-studio.de", serverId: created.id, ipv4: server.ipv4 });
    expect(server.installCount).toBe(1);
    created = { id: created.id, outs: updated.outs as NetcupServerOutputs };
  });

  it("delete wipes the disk without the tenant's key and returns the server to the pool; again is a no-op", async () => {
    await loaded.provider.delete(created.id, created.outs);
    const server = fake.servers.get(Number(created.id))!;
    expect(server.nickname).toBe("letsbe-pool");
    expect(server.installed?.sshKeys).toEqual([]);
    expect(server.installed?.hostname).toBe(server.name);
    expect(fake.rdns.has(server.ipv4)).toBe(false);
    const calls = fake.log.length;
    await loaded.provider.delete(created.id, created.outs);
    expect(fake.log.slice(calls).filter((c) => c.method !== "GET" && c.kind !== "token")).toEqual([]);
    expect((await loaded.provider.read(created.id, created.outs)).id).toBe("");
  });

  it("a server that no longer exists (404) reads as gone and deletes as done", async () => {
    const vanished = { ...created.outs, serverId: "299999" };
    expect((await loaded.provider.read("299999", vanished)).id).toBe("");
    await loaded.provider.delete("299999", vanished);
  });

  it("check rejects a hostname that cannot be an rDNS name, before anything is claimed", async () => {
    const checked = await loaded.provider.check({}, { ...loaded.inputs, hostname: "not a host" });
    expect(checked.failures?.map((f) => f.property)).toEqual(["hostname"]);
  });

  it("an empty pool crosses the serialization as the recognisable empty-pool error", async () => {
    const error = await loaded.provider.create({ ...loaded.inputs, product: "RS 8000 G12" }).catch((e: unknown) => e);
    // A real Error (the engine prints `${e}` and e.stack), with name and fields intact.
    expect(error).toBeInstanceOf(Error);
    expect(String(error)).toMatch(/^NetcupPoolEmptyError: NETCUP_POOL_EMPTY: no free Netcup server of product "RS 8000 G12" at site Nuremberg/);
    expect(error).toMatchObject({ name: "NetcupPoolEmptyError", product: "RS 8000 G12", site: "Nuremberg" });
    expect(isNetcupPoolEmpty(error)).toBe(true);
    expect(isNetcupPoolEmpty(String(error))).toBe(true);
  });

  it("left no orphan, broke no rule of the spec, and leaked no secret", () => {
    expect(orphans(fake, new Map())).toEqual([]);
    expect(fake.violations).toEqual([]);
    expect(leaks(output.join("\n"), secretsOf(fake))).toEqual([]);
    expect(fake.rootPasswords.length).toBe(2);
  });
});
