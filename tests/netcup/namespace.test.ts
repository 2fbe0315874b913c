/**
 * The hub claims its Netcup server in its own namespace (`letsbe-hub:<name>`), so a tenant stack
 * whose slug equals the hub's server name can never adopt (and reinstall) the hub's server. State
 * written before the namespace existed carries the tenant claim; the hub's next update re-marks the
 * server in place, never a replacement. Against the SCP fake, through the serialized provider.
 */
import { describe, expect, it } from "vitest";
import { createServer, deleteServer, diffServer, readServer, updateServer } from "../../components/netcup/lifecycle";
import type { FakeScp } from "../fakes/scp/server";
import { fakeForEachTest, inputsFor, loadSerializedProvider, type NetcupServerOutputs } from "./helpers";

const HUB = "letsbe-hub-eu";
const INSTALL = /^\/api\/v1\/servers\/\d+\/image$/;

let fake: FakeScp | undefined;
const startFake = fakeForEachTest();

const installs = (f: FakeScp, id: number) => f.log.filter((c) => c.method === "POST" && c.path === `/api/v1/servers/${id}/image`).length;

describe("the hub's Netcup claim namespace", () => {
  it("the hub's server carries letsbe-hub:<name>; a tenant with the hub's name as slug claims another server and leaves the hub's alone", async () => {
    fake = await startFake({ servers: [{ product: "RS 4000 G12" }, { product: "RS 4000 G12" }] });
    const [hubServer, other] = [...fake.servers.values()];
    const loaded = await loadSerializedProvider(fake, { owner: HUB, namespace: "hub", serverName: hubServer.name, hostname: "hub.eu.letsbe.biz" });
    expect(loaded.inputs.namespace).toBe("hub");
    const hub = (await loaded.provider.create(loaded.inputs)) as { id: string; outs: NetcupServerOutputs };
    expect(hub.id).toBe(String(hubServer.id));
    expect(fake.servers.get(hubServer.id)?.nickname).toBe(`letsbe-hub:${HUB}`);
    expect(installs(fake, hubServer.id)).toBe(1);

    // A tenant stack named like the hub: it looks for `letsbe-tenant:letsbe-hub-eu`, which nothing carries.
    const tenant = await createServer(inputsFor(fake, { owner: HUB, hostname: "letsbe-hub-eu.example.org" }));
    expect(tenant.id).toBe(String(other.id));
    expect(fake.servers.get(other.id)?.nickname).toBe(`letsbe-tenant:${HUB}`);
    expect(fake.servers.get(hubServer.id)?.nickname).toBe(`letsbe-hub:${HUB}`);
    expect(installs(fake, hubServer.id)).toBe(1);

    // Each one's read and delete see only its own claim.
    expect((await loaded.provider.read(hub.id, hub.outs)).id).toBe(hub.id);
    expect((await readServer(hub.id, { ...hub.outs, namespace: "tenant" })).id).toBe("");
    await deleteServer(tenant.id, tenant.outs);
    expect(fake.servers.get(other.id)?.nickname).toBe("letsbe-pool");
    expect(fake.servers.get(hubServer.id)?.nickname).toBe(`letsbe-hub:${HUB}`);
    expect(installs(fake, hubServer.id)).toBe(1);
  });

  it("a hub server claimed before the namespace existed is re-marked in place by an update: no install, then read and delete follow the new claim", async () => {
    fake = await startFake({ servers: [{ product: "RS 4000 G12" }] });
    const [server] = [...fake.servers.values()];
    // State as the previous provider wrote it: no namespace input, the tenant claim on the server.
    const legacy = await createServer(inputsFor(fake, { owner: HUB, serverName: server.name, hostname: "hub.eu.letsbe.biz" }));
    expect(fake.servers.get(server.id)?.nickname).toBe(`letsbe-tenant:${HUB}`);
    const news = { ...inputsFor(fake, { owner: HUB, serverName: server.name, hostname: "hub.eu.letsbe.biz" }), namespace: "hub" as const };
    expect(diffServer(legacy.outs, news)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    const before = fake.log.filter((c) => INSTALL.test(c.path)).length;
    const { outs } = await updateServer(legacy.id, legacy.outs, news);
    expect(fake.servers.get(server.id)?.nickname).toBe(`letsbe-hub:${HUB}`);
    expect(fake.log.filter((c) => INSTALL.test(c.path)).length).toBe(before);
    expect(outs.namespace).toBe("hub");
    expect((await readServer(legacy.id, outs)).id).toBe(legacy.id);
    expect(diffServer(outs, news).changes).toBe(false);
    await deleteServer(legacy.id, outs);
    expect(fake.servers.get(server.id)?.nickname).toBe("letsbe-pool");
    expect(fake.servers.get(server.id)?.installed?.sshKeys).toEqual([]);
  });

  it("the re-marking refuses a server that no longer carries the old claim", async () => {
    fake = await startFake({ servers: [{ product: "RS 4000 G12" }] });
    const [server] = [...fake.servers.values()];
    const legacy = await createServer(inputsFor(fake, { owner: HUB, serverName: server.name, hostname: "hub.eu.letsbe.biz" }));
    fake.servers.get(server.id)!.nickname = "someone-else";
    await expect(updateServer(legacy.id, legacy.outs, { ...legacy.outs, namespace: "hub" })).rejects.toThrow(/move claim.*no longer carries "letsbe-tenant:letsbe-hub-eu"/s);
    expect(fake.servers.get(server.id)?.nickname).toBe("someone-else");
  });

  it("check refuses a namespace other than tenant or hub", async () => {
    fake = await startFake({ servers: [{ product: "RS 4000 G12" }] });
    const loaded = await loadSerializedProvider(fake);
    const checked = await loaded.provider.check(loaded.inputs, { ...loaded.inputs, namespace: "letsbe-tenant" as never });
    expect(checked.failures).toEqual([{ property: "namespace", reason: "\"letsbe-tenant\" must be \"tenant\" or \"hub\"" }]);
  });
});
