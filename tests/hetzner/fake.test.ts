/** The fake Hetzner Cloud API: validation against the description, the server lifecycle, primary IPs, firewalls, hooks. */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createValidator } from "../fakes/hetzner/spec";
import { FakeHetzner, type FakeHetznerOptions, type ServerEvent } from "../fakes/hetzner/server";
import { call, settled } from "./helpers";

let fake: FakeHetzner | undefined;
// Building the validator takes a few seconds, once per process.
beforeAll(() => createValidator(), 60_000);
afterEach(async () => {
  await fake?.stop();
  fake = undefined;
});

async function start(options: FakeHetznerOptions = {}): Promise<FakeHetzner> {
  fake = await FakeHetzner.start({ actionMs: 0, ...options });
  return fake;
}

const SERVER = { name: "nordlicht", server_type: "cpx31", image: "debian-13", location: "nbg1" };
const SSH_RULE = { direction: "in", protocol: "tcp", port: "22", source_ips: ["198.51.100.0/24"], description: "ssh" };

describe("fake Hetzner API: validation", () => {
  it("listens on 127.0.0.1 and answers a valid request without violations", async () => {
    const f = await start();
    expect(new URL(f.endpoint).hostname).toBe("127.0.0.1");
    const created = await call(f, "POST", "/ssh_keys", { name: "ops", public_key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTests ops" });
    expect(created.status).toBe(201);
    expect(created.body.ssh_key.name).toBe("ops");
    expect(f.violations).toEqual([]);
  });

  it("records a route outside the description as a violation and answers 404", async () => {
    const f = await start();
    const answer = await call(f, "GET", "/servers/1/console-log");
    expect(answer.status).toBe(404);
    expect(f.violations).toHaveLength(1);
    expect(f.violations[0]).toMatch(/^GET \/v1\/servers\/1\/console-log: not an operation/);
  });

  it("records an operation the fake does not serve (a list) as a violation", async () => {
    const f = await start();
    await call(f, "GET", "/firewalls");
    expect(f.violations[0]).toMatch(/GET \/v1\/firewalls: not an operation/);
  });

  it("rejects a body the description does not allow: missing required field, wrong type, unknown field", async () => {
    const f = await start();
    const missing = await call(f, "POST", "/servers", { name: "a", image: "debian-13" });
    const wrongType = await call(f, "POST", "/primary_ips", { name: "ip", type: "ipv5", assignee_type: "server", location: "nbg1" });
    const unknown = await call(f, "POST", "/servers", { ...SERVER, public_net: { ipv4_enabled: true } });
    expect([missing.status, wrongType.status, unknown.status]).toEqual([400, 400, 400]);
    expect(missing.body.error.code).toBe("invalid_input");
    expect(f.violations).toHaveLength(3);
    expect(f.violations[0]).toMatch(/server_type/);
    expect(f.violations[1]).toMatch(/type/);
    expect(f.violations[2]).toMatch(/additional properties/);
    expect(f.servers.size).toBe(0);
  });

  it("rejects a path parameter of the wrong type", async () => {
    const f = await start();
    await call(f, "GET", "/servers/abc");
    expect(f.violations).toHaveLength(1);
    expect(f.violations[0]).toMatch(/request breaks the description/);
  });

  it("answers 401 for a wrong token without recording a violation, and never echoes the token", async () => {
    const f = await start({ token: "right-token" });
    const answer = await call(f, "GET", "/servers/1", undefined, "wrong-token");
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe("unauthorized");
    expect(JSON.stringify(answer.body)).not.toContain("token-");
    expect(f.violations).toEqual([]);
  });
});

describe("fake Hetzner API: servers", () => {
  it("creates a server with user data and labels, runs it after its action, and deletes it", async () => {
    const f = await start({ actionMs: 30 });
    const created = await call(f, "POST", "/servers", { ...SERVER, labels: { tenant: "nordlicht" }, user_data: "#cloud-config\n" });
    expect(created.status).toBe(201);
    const server = created.body.server;
    expect(server).toMatchObject({ name: "nordlicht", status: "initializing", labels: { tenant: "nordlicht" }, location: { name: "nbg1" }, server_type: { name: "cpx31" }, image: { name: "debian-13" } });
    expect(created.body.next_actions.map((a: { command: string }) => a.command)).toEqual(["start_server"]);
    // Without keys the API hands out a root password.
    expect(typeof created.body.root_password).toBe("string");
    expect(server.public_net.ipv4.ip).toBe("203.0.113.10");
    expect(server.public_net.ipv6.ip).toMatch(/^2001:db8:[0-9a-f]+::\/64$/);
    expect((await settled(f, created.body.action.id)).status).toBe("success");
    expect((await call(f, "GET", `/servers/${server.id}`)).body.server.status).toBe("running");
    const polled = await call(f, "GET", `/servers/${server.id}/actions/${created.body.action.id}`);
    expect(polled.body.action.command).toBe("create_server");

    const deleted = await call(f, "DELETE", `/servers/${server.id}`);
    expect(deleted.status).toBe(200);
    expect((await settled(f, deleted.body.action.id)).status).toBe("success");
    expect((await call(f, "GET", `/servers/${server.id}`)).status).toBe(404);
    // Auto-created primary IPs go with their server.
    expect(f.primaryIps.size).toBe(0);
    expect(f.violations).toEqual([]);
  });

  it("refuses a duplicate name, an unknown image and an unknown server type", async () => {
    const f = await start();
    await call(f, "POST", "/servers", SERVER);
    expect((await call(f, "POST", "/servers", SERVER)).body.error.code).toBe("uniqueness_error");
    expect((await call(f, "POST", "/servers", { ...SERVER, name: "b", image: "windows-11" })).status).toBe(400);
    expect((await call(f, "POST", "/servers", { ...SERVER, name: "c", server_type: "cx99" })).status).toBe(400);
    expect(f.servers.size).toBe(1);
    expect(f.violations).toEqual([]);
  });

  it("powers off and on through actions", async () => {
    const f = await start();
    const id = (await call(f, "POST", "/servers", SERVER)).body.server.id as number;
    const off = await call(f, "POST", `/servers/${id}/actions/poweroff`);
    expect(off.body.action.command).toBe("stop_server");
    expect((await call(f, "GET", `/servers/${id}`)).body.server.status).toBe("off");
    await call(f, "POST", `/servers/${id}/actions/poweron`);
    expect((await call(f, "GET", `/servers/${id}`)).body.server.status).toBe("running");
    expect(f.violations).toEqual([]);
  });

  it("delete protection blocks a delete until it is lifted", async () => {
    const f = await start();
    const id = (await call(f, "POST", "/servers", SERVER)).body.server.id as number;
    await call(f, "POST", `/servers/${id}/actions/change_protection`, { delete: true, rebuild: true });
    expect((await call(f, "GET", `/servers/${id}`)).body.server.protection).toEqual({ delete: true, rebuild: true });
    expect((await call(f, "DELETE", `/servers/${id}`)).status).toBe(423);
    await call(f, "POST", `/servers/${id}/actions/change_protection`, { delete: false });
    expect((await call(f, "DELETE", `/servers/${id}`)).status).toBe(200);
    expect(f.violations).toEqual([]);
  });
});

describe("fake Hetzner API: hooks and addresses", () => {
  it("calls onServerCreate with id, name, addresses and user data, and the create action waits for it", async () => {
    const seen: ServerEvent[] = [];
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const f = await start({ ipv4: ["172.30.0.21", "172.30.0.22"], onServerCreate: async (event) => { seen.push(event); await gate; } });
    const created = await call(f, "POST", "/servers", { ...SERVER, user_data: "#cloud-config\nhostname: x\n" });
    expect((await call(f, "GET", `/actions/${created.body.action.id}`)).body.action.status).toBe("running");
    release();
    expect((await settled(f, created.body.action.id)).status).toBe("success");
    expect(seen).toEqual([{ id: created.body.server.id, name: "nordlicht", ipv4: "172.30.0.21", ipv6: expect.stringMatching(/^2001:db8:[0-9a-f]+::1$/), userData: "#cloud-config\nhostname: x\n" }]);
  });

  it("a failing create hook fails the action with its reason; onServerDelete sees the addresses", async () => {
    const deletes: ServerEvent[] = [];
    const f = await start({ ipv4: (i) => `10.9.0.${i + 100}`, onServerCreate: () => { throw new Error("container did not boot"); }, onServerDelete: (e) => { deletes.push(e); } });
    const created = await call(f, "POST", "/servers", SERVER);
    const action = await settled(f, created.body.action.id);
    expect(action.status).toBe("error");
    expect(action.error.message).toBe("container did not boot");
    await call(f, "DELETE", `/servers/${created.body.server.id}`);
    expect(deletes.map((d) => [d.name, d.ipv4])).toEqual([["nordlicht", "10.9.0.100"]]);
    expect(f.violations).toEqual([]);
  });

  it("a primary IP with auto_delete false outlives its server and carries its address to the next one", async () => {
    const f = await start({ ipv4: ["172.30.0.5"] });
    const ip = (await call(f, "POST", "/primary_ips", { name: "t-ipv4", type: "ipv4", assignee_type: "server", location: "nbg1", auto_delete: false, labels: { tenant: "t" } })).body.primary_ip;
    expect(ip).toMatchObject({ ip: "172.30.0.5", assignee_id: null, auto_delete: false, location: { name: "nbg1" } });
    const first = (await call(f, "POST", "/servers", { ...SERVER, public_net: { enable_ipv4: true, ipv4: ip.id, enable_ipv6: false } })).body.server;
    expect(first.public_net.ipv4).toMatchObject({ id: ip.id, ip: "172.30.0.5" });
    expect(first.public_net.ipv6).toBeNull();
    expect((await call(f, "GET", `/primary_ips/${ip.id}`)).body.primary_ip.assignee_id).toBe(first.id);
    // Taken while assigned.
    expect((await call(f, "POST", "/servers", { ...SERVER, name: "other", public_net: { ipv4: ip.id, enable_ipv6: false } })).body.error.code).toBe("primary_ip_assigned");
    expect((await call(f, "DELETE", `/primary_ips/${ip.id}`)).body.error.code).toBe("must_be_unassigned");

    await call(f, "DELETE", `/servers/${first.id}`);
    const after = (await call(f, "GET", `/primary_ips/${ip.id}`)).body.primary_ip;
    expect(after).toMatchObject({ id: ip.id, ip: "172.30.0.5", assignee_id: null });
    const second = (await call(f, "POST", "/servers", { ...SERVER, public_net: { ipv4: ip.id, enable_ipv6: false } })).body.server;
    expect(second.id).not.toBe(first.id);
    expect(second.public_net.ipv4.ip).toBe("172.30.0.5");
    expect(f.violations).toEqual([]);
  });

  it("refuses a primary IP of the wrong family or location, and assign/unassign need the server off", async () => {
    const f = await start();
    const v6 = (await call(f, "POST", "/primary_ips", { name: "v6", type: "ipv6", assignee_type: "server", location: "nbg1" })).body.primary_ip;
    const far = (await call(f, "POST", "/primary_ips", { name: "far", type: "ipv4", assignee_type: "server", location: "hel1" })).body.primary_ip;
    expect((await call(f, "POST", "/servers", { ...SERVER, public_net: { ipv4: v6.id } })).body.error.code).toBe("primary_ip_version_mismatch");
    expect((await call(f, "POST", "/servers", { ...SERVER, public_net: { ipv4: far.id } })).body.error.code).toBe("primary_ip_datacenter_mismatch");
    const server = (await call(f, "POST", "/servers", { ...SERVER, public_net: { enable_ipv4: false, ipv6: v6.id } })).body.server;
    const spare = (await call(f, "POST", "/primary_ips", { name: "spare", type: "ipv4", assignee_type: "server", location: "nbg1" })).body.primary_ip;
    const assign = { assignee_id: server.id, assignee_type: "server" };
    expect((await call(f, "POST", `/primary_ips/${spare.id}/actions/assign`, assign)).body.error.code).toBe("server_not_stopped");
    await call(f, "POST", `/servers/${server.id}/actions/poweroff`);
    expect((await call(f, "POST", `/primary_ips/${spare.id}/actions/assign`, assign)).status).toBe(201);
    expect((await call(f, "GET", `/servers/${server.id}`)).body.server.public_net.ipv4.id).toBe(spare.id);
    expect((await call(f, "POST", `/primary_ips/${spare.id}/actions/unassign`)).status).toBe(201);
    expect((await call(f, "GET", `/servers/${server.id}`)).body.server.public_net.ipv4).toBeNull();
    expect(f.violations).toEqual([]);
  });

  it("a protected primary IP cannot be deleted; labels and name change in place", async () => {
    const f = await start();
    const ip = (await call(f, "POST", "/primary_ips", { name: "p", type: "ipv4", assignee_type: "server", location: "fsn1" })).body.primary_ip;
    await call(f, "POST", `/primary_ips/${ip.id}/actions/change_protection`, { delete: true });
    expect((await call(f, "DELETE", `/primary_ips/${ip.id}`)).status).toBe(423);
    const renamed = (await call(f, "PUT", `/primary_ips/${ip.id}`, { name: "q", labels: { a: "b" } })).body.primary_ip;
    expect(renamed).toMatchObject({ name: "q", labels: { a: "b" }, protection: { delete: true } });
    await call(f, "POST", `/primary_ips/${ip.id}/actions/change_protection`, { delete: false });
    expect((await call(f, "DELETE", `/primary_ips/${ip.id}`)).status).toBe(204);
    expect(f.violations).toEqual([]);
  });
});

describe("fake Hetzner API: firewalls", () => {
  it("creates rules, applies to a server at create, replaces rules, and is in use until removed", async () => {
    const f = await start();
    const created = await call(f, "POST", "/firewalls", { name: "fw", labels: { tenant: "t" }, rules: [SSH_RULE, { direction: "in", protocol: "icmp", source_ips: ["0.0.0.0/0", "::/0"] }] });
    expect(created.status).toBe(201);
    const fw = created.body.firewall;
    expect(fw.rules).toEqual([
      { direction: "in", protocol: "tcp", port: "22", source_ips: ["198.51.100.0/24"], destination_ips: [], description: "ssh" },
      { direction: "in", protocol: "icmp", port: null, source_ips: ["0.0.0.0/0", "::/0"], destination_ips: [], description: null },
    ]);
    const server = (await call(f, "POST", "/servers", { ...SERVER, firewalls: [{ firewall: fw.id }] })).body.server;
    expect(server.public_net.firewalls).toEqual([{ id: fw.id, status: "applied" }]);
    expect((await call(f, "GET", `/firewalls/${fw.id}`)).body.firewall.applied_to).toEqual([{ type: "server", server: { id: server.id } }]);

    await call(f, "POST", `/firewalls/${fw.id}/actions/set_rules`, { rules: [{ ...SSH_RULE, port: "2222" }] });
    expect((await call(f, "GET", `/firewalls/${fw.id}`)).body.firewall.rules.map((r: { port: string }) => r.port)).toEqual(["2222"]);
    expect((await call(f, "DELETE", `/firewalls/${fw.id}`)).body.error.code).toBe("resource_in_use");
    const target = [{ type: "server", server: { id: server.id } }];
    expect((await call(f, "POST", `/firewalls/${fw.id}/actions/apply_to_resources`, { apply_to: target })).body.error.code).toBe("firewall_already_applied");
    expect((await call(f, "POST", `/firewalls/${fw.id}/actions/remove_from_resources`, { remove_from: target })).status).toBe(201);
    expect((await call(f, "GET", `/servers/${server.id}`)).body.server.public_net.firewalls).toEqual([]);
    expect((await call(f, "DELETE", `/firewalls/${fw.id}`)).status).toBe(204);
    expect(f.violations).toEqual([]);
  });

  it("refuses rules the API refuses: a tcp rule without port, an icmp rule with one, an in rule without sources", async () => {
    const f = await start();
    const bad = [
      { direction: "in", protocol: "tcp", source_ips: ["0.0.0.0/0"] },
      { direction: "in", protocol: "icmp", port: "1", source_ips: ["0.0.0.0/0"] },
      { direction: "in", protocol: "tcp", port: "80" },
    ];
    for (const [i, rule] of bad.entries()) expect((await call(f, "POST", "/firewalls", { name: `fw${i}`, rules: [rule] })).status).toBe(400);
    expect(f.firewalls.size).toBe(0);
    expect(f.violations).toEqual([]);
  });
});
