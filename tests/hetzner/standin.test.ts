/** The hcloud stand-in's handlers against the fake Hetzner API, through the generic stand-in provider (diff, replaceOn). */
import type { Provider } from "@pulumi/pulumi/provider";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { setProviderConfig } from "../engine/standins/config";
import { standInProvider } from "../engine/standins/generic";
import { hcloudHandlers } from "../engine/standins/hcloud";
import { secret } from "../engine/standins/config";
import { createValidator } from "../fakes/hetzner/spec";
import { FakeHetzner, type ServerEvent } from "../fakes/hetzner/server";

const urn = (type: string, name: string) => `urn:pulumi:test::letsbe-tenant::${type}::${name}`;
const SERVER = urn("hcloud:index/server:Server", "t-server");
const IP = urn("hcloud:index/primaryIp:PrimaryIp", "t-ipv4");
const IP6 = urn("hcloud:index/primaryIp:PrimaryIp", "t-ipv6");
const FIREWALL = urn("hcloud:index/firewall:Firewall", "t-firewall");
const TOKEN = "standin-test-token-3f9a";
const USER_DATA = "#cloud-config\nusers:\n  - name: root\n";

// The generic stand-in implements every method the tests call.
const provider = standInProvider("hcloud", "1.41.0", hcloudHandlers) as Required<Provider>;
let fake: FakeHetzner | undefined;
const created: ServerEvent[] = [];
const deleted: ServerEvent[] = [];

beforeAll(() => createValidator(), 60_000);
beforeEach(async () => {
  created.length = 0;
  deleted.length = 0;
  fake = await FakeHetzner.start({ token: TOKEN, actionMs: 5, ipv4: ["172.30.0.41", "172.30.0.42"], onServerCreate: (e) => { created.push(e); }, onServerDelete: (e) => { deleted.push(e); } });
  // The token arrives as a secret, as the engine sends secret config.
  setProviderConfig({ endpoint: fake.endpoint, token: secret(TOKEN) });
});
afterEach(async () => {
  setProviderConfig({});
  await fake?.stop();
  fake = undefined;
});

const ipInputs = (type: "ipv4" | "ipv6") => ({ name: `t-${type}`, type, location: "nbg1", assigneeType: "server", autoDelete: false, deleteProtection: false, labels: { tenant: "t" } });
const firewallInputs = {
  name: "t-firewall", labels: { tenant: "t" },
  rules: [
    { direction: "in", protocol: "tcp", port: "443", sourceIps: ["0.0.0.0/0", "::/0"], description: "https" },
    { direction: "in", protocol: "icmp", sourceIps: ["0.0.0.0/0", "::/0"], description: "icmp" },
  ],
};
const serverInputs = (firewallId: number, ipv4: number, ipv6: number) => ({
  name: "t", serverType: "cpx31", image: "debian-13", location: "nbg1", labels: { tenant: "t" }, userData: USER_DATA,
  firewallIds: [firewallId], publicNets: [{ ipv4Enabled: true, ipv4, ipv6Enabled: true, ipv6 }], deleteProtection: false, rebuildProtection: false,
});

describe("hcloud stand-in", () => {
  it("creates primary IPs, a firewall and a server on them; reads them back; deletes the server and the IPs stay", async () => {
    const f = fake as FakeHetzner;
    const ip4 = await provider.create(IP, ipInputs("ipv4"));
    const ip6 = await provider.create(IP6, ipInputs("ipv6"));
    expect(ip4.outs).toMatchObject({ ipAddress: "172.30.0.41", ipNetwork: "", type: "ipv4", assigneeId: 0, autoDelete: false, location: "nbg1", datacenter: "nbg1-dc3" });
    expect(ip6.outs?.ipNetwork).toMatch(/^2001:db8:[0-9a-f]+::\/64$/);
    expect(ip6.outs?.ipAddress).toBe(String(ip6.outs?.ipNetwork).replace("/64", ""));
    expect(ip4.id).toMatch(/^\d+$/);

    const fw = await provider.create(FIREWALL, firewallInputs);
    expect(fw.outs?.rules).toEqual([
      { direction: "in", protocol: "tcp", port: "443", sourceIps: ["0.0.0.0/0", "::/0"], description: "https" },
      { direction: "in", protocol: "icmp", sourceIps: ["0.0.0.0/0", "::/0"], description: "icmp" },
    ]);

    const inputs = serverInputs(Number(fw.id), Number(ip4.id), Number(ip6.id));
    const server = await provider.create(SERVER, inputs);
    expect(server.id).toMatch(/^\d+$/);
    expect(server.outs).toMatchObject({
      name: "t", status: "running", serverType: "cpx31", image: "debian-13", location: "nbg1", datacenter: "nbg1-dc3",
      ipv4Address: "172.30.0.41", ipv6Address: `${String(ip6.outs?.ipAddress)}1`, ipv6Network: ip6.outs?.ipNetwork,
      firewallIds: [Number(fw.id)], labels: { tenant: "t" }, deleteProtection: false, rebuildProtection: false,
      // Inputs the program ignores changes of stay as given.
      userData: USER_DATA,
    });
    expect(created).toEqual([{ id: Number(server.id), name: "t", ipv4: "172.30.0.41", ipv6: server.outs?.ipv6Address, userData: USER_DATA }]);

    const read = await provider.read(String(server.id), SERVER, server.outs);
    expect(read?.props).toMatchObject({ ipv4Address: "172.30.0.41", status: "running" });
    expect(read?.inputs).toEqual(inputs);
    const ipRead = await provider.read(String(ip4.id), IP, ip4.outs);
    expect(ipRead?.props?.assigneeId).toBe(Number(server.id));

    await provider.delete(String(server.id), SERVER, server.outs ?? {});
    expect(deleted.map((d) => d.id)).toEqual([Number(server.id)]);
    expect((await provider.read(String(server.id), SERVER, server.outs))?.props).toBeUndefined();
    const after = await provider.read(String(ip4.id), IP, ip4.outs);
    expect(after?.props).toMatchObject({ ipAddress: "172.30.0.41", assigneeId: 0 });

    await provider.delete(String(fw.id), FIREWALL, fw.outs ?? {});
    await provider.delete(String(ip4.id), IP, ip4.outs ?? {});
    expect(f.firewalls.size).toBe(0);
    expect([...f.primaryIps.keys()]).toEqual([Number(ip6.id)]);
    expect(f.violations).toEqual([]);
  });

  it("diff: image, location and userData replace the server; labels and serverType update it in place", async () => {
    const fw = await provider.create(FIREWALL, firewallInputs);
    const ip4 = await provider.create(IP, ipInputs("ipv4"));
    const ip6 = await provider.create(IP6, ipInputs("ipv6"));
    const inputs = serverInputs(Number(fw.id), Number(ip4.id), Number(ip6.id));
    const server = await provider.create(SERVER, inputs);
    const diff = (news: Record<string, unknown>) => provider.diff(String(server.id), SERVER, server.outs ?? {}, news);
    expect(await diff(inputs)).toMatchObject({ changes: false, replaces: [] });
    expect(await diff({ ...inputs, image: "debian-12" })).toMatchObject({ changes: true, replaces: ["image"] });
    expect(await diff({ ...inputs, location: "fsn1" })).toMatchObject({ replaces: ["location"] });
    expect(await diff({ ...inputs, userData: "#cloud-config\n" })).toMatchObject({ replaces: ["userData"] });
    expect(await diff({ ...inputs, labels: { tenant: "u" }, serverType: "cpx41" })).toMatchObject({ changes: true, replaces: [] });

    const updated = await provider.update(String(server.id), SERVER, server.outs ?? {}, { ...inputs, labels: { tenant: "u" }, serverType: "cpx41" });
    expect(updated?.outs).toMatchObject({ labels: { tenant: "u" }, serverType: "cpx41", status: "running" });
    const ipDiff = await provider.diff(String(ip4.id), IP, ip4.outs ?? {}, { ...ipInputs("ipv4"), type: "ipv6" });
    expect(ipDiff?.replaces).toEqual(["type"]);
    expect(fake?.violations).toEqual([]);
  });

  it("read carries out-of-band changes into the inputs, so refresh reports drift and the next diff wants to undo it", async () => {
    const f = fake as FakeHetzner;
    const fw = await provider.create(FIREWALL, firewallInputs);
    const ip4 = await provider.create(IP, ipInputs("ipv4"));
    const ip6 = await provider.create(IP6, ipInputs("ipv6"));
    const inputs = serverInputs(Number(fw.id), Number(ip4.id), Number(ip6.id));
    const server = await provider.create(SERVER, inputs);
    (f.servers.get(Number(server.id)) ?? { labels: {} }).labels = { tenant: "someone-else" };
    const firewall = f.firewalls.get(Number(fw.id));
    if (firewall) firewall.rules = [{ direction: "in", protocol: "tcp", port: "3306", source_ips: ["0.0.0.0/0"] }];
    const serverRead = await provider.read(String(server.id), SERVER, server.outs ?? {});
    expect(serverRead.inputs).toEqual({ ...inputs, labels: { tenant: "someone-else" } });
    expect(await provider.diff(String(server.id), SERVER, serverRead.props ?? {}, inputs)).toMatchObject({ changes: true, replaces: [] });
    const fwRead = await provider.read(String(fw.id), FIREWALL, fw.outs ?? {});
    expect(fwRead.inputs?.rules).toEqual([{ direction: "in", protocol: "tcp", port: "3306", sourceIps: ["0.0.0.0/0"] }]);
    // The primary IP's assignment by the server is no drift.
    expect((await provider.read(String(ip4.id), IP, ip4.outs ?? {})).inputs).toEqual(ipInputs("ipv4"));
    expect(f.violations).toEqual([]);
  });

  it("protection as the estate sets it (protect: true): protected at create, and a delete is refused by the API", async () => {
    const ip4 = await provider.create(IP, { ...ipInputs("ipv4"), deleteProtection: true });
    const ip6 = await provider.create(IP6, { ...ipInputs("ipv6"), deleteProtection: true });
    const fw = await provider.create(FIREWALL, firewallInputs);
    const inputs = { ...serverInputs(Number(fw.id), Number(ip4.id), Number(ip6.id)), deleteProtection: true, rebuildProtection: true };
    const server = await provider.create(SERVER, inputs);
    expect(server.outs).toMatchObject({ deleteProtection: true, rebuildProtection: true });
    expect(ip4.outs?.deleteProtection).toBe(true);
    await expect(provider.delete(String(server.id), SERVER, server.outs ?? {})).rejects.toThrow(/^hcloud DELETE \/servers\/\d+: 423 protected/);
    await expect(provider.delete(String(ip4.id), IP, ip4.outs ?? {})).rejects.toThrow(/423 protected/);
    expect(fake?.servers.size).toBe(1);
    expect(fake?.violations).toEqual([]);
  });

  it("firewall rules change in place with set_rules", async () => {
    const fw = await provider.create(FIREWALL, firewallInputs);
    const news = { ...firewallInputs, rules: [{ direction: "in", protocol: "tcp", port: "22", sourceIps: ["198.51.100.7/32"], description: "ssh from management" }] };
    expect((await provider.diff(String(fw.id), FIREWALL, fw.outs ?? {}, news))?.replaces).toEqual([]);
    const updated = await provider.update(String(fw.id), FIREWALL, fw.outs ?? {}, news);
    expect(updated?.outs?.rules).toEqual([{ direction: "in", protocol: "tcp", port: "22", sourceIps: ["198.51.100.7/32"], description: "ssh from management" }]);
    expect(fake?.log.map((c) => c.operation)).toContain("set_rules");
    expect(fake?.violations).toEqual([]);
  });

  it("an API refusal fails with method, path and code, and the message never holds the token", async () => {
    await provider.create(IP, ipInputs("ipv4"));
    const error = (await provider.create(IP, ipInputs("ipv4")).then(() => undefined, (e: unknown) => e)) as Error;
    expect(error.message).toMatch(/^hcloud POST \/primary_ips: 409 uniqueness_error/);
    setProviderConfig({ endpoint: fake?.endpoint, token: "wrong-token-value" });
    const denied = (await provider.create(IP6, ipInputs("ipv6")).then(() => undefined, (e: unknown) => e)) as Error;
    expect(denied.message).toMatch(/401 unauthorized/);
    expect(`${error.message} ${denied.message}`).not.toMatch(/standin-test-token|wrong-token-value/);
  });

  it("retries a rate limit and a lock as hcloud-go does, and gives up on other refusals at once", async () => {
    const f = fake as FakeHetzner;
    f.faults.push({ operation: "create_primary_ip", status: 429, code: "rate_limit_exceeded", times: 2 }, { operation: "get_primary_ip", status: 423, code: "locked", times: 1 });
    const ip = await provider.create(IP, ipInputs("ipv4"));
    expect(ip.outs?.ipAddress).toBe("172.30.0.41");
    expect(f.log.filter((c) => c.operation === "create_primary_ip").map((c) => c.status)).toEqual([429, 429, 201]);
    expect(f.log.filter((c) => c.operation === "get_primary_ip").map((c) => c.status)).toEqual([423, 200]);
    f.faults.push({ operation: "create_firewall", status: 403, code: "forbidden", times: 1 });
    await expect(provider.create(FIREWALL, firewallInputs)).rejects.toThrow(/403 forbidden/);
    expect(f.log.filter((c) => c.operation === "create_firewall")).toHaveLength(1);
  });

  it("an unreachable endpoint fails with method, path and endpoint", async () => {
    await fake?.stop();
    const error = (await provider.create(IP, ipInputs("ipv4")).then(() => undefined, (e: unknown) => e)) as Error;
    expect(error.message).toMatch(/^hcloud POST \/primary_ips: no answer from http:\/\/127\.0\.0\.1:\d+\/v1: /);
    expect(error.message).not.toContain(TOKEN);
    fake = undefined;
  });

  it("refuses inputs the provider's schema refuses before any request", async () => {
    const error = (await provider.create(IP, { ...ipInputs("ipv4"), type: "ipv5" }).then(() => undefined, (e: unknown) => e)) as Error;
    expect(error.message).toMatch(/^hcloud PrimaryIp: type/);
    expect(fake?.log).toEqual([]);
  });
});
