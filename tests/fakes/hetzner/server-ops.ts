/** Server operations of the fake: create (with primary IPs, firewalls, keys, user data), read, update, power, protection, delete. */
import { imageBody, locationOf, serverTypeBody } from "./catalog";
import { type FakePrimaryIp, type FakeServer, type Labels, actionBody, serverBody } from "./model";
import { type FakeHetzner, type Reply, apiError } from "./server";

export interface CreateServerBody {
  name: string;
  server_type: string;
  image: string;
  location?: string;
  datacenter?: string;
  labels?: Labels;
  user_data?: string;
  ssh_keys?: string[];
  firewalls?: { firewall: number }[];
  start_after_create?: boolean;
  public_net?: { enable_ipv4?: boolean; enable_ipv6?: boolean; ipv4?: number | null; ipv6?: number | null };
}

const HOSTNAME = /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
const MAX_USER_DATA = 32 * 1024;

export const notFound = (what: string, id: number | string): Reply => apiError(404, "not_found", `${what} with ID ${id} not found`);

export function body(fake: FakeHetzner, server: FakeServer): Record<string, unknown> {
  return serverBody(server, fake.primaryIps, [...fake.firewalls.values()]);
}

/** The primary IP a create names, checked as the API does; a string is the error answer. */
function namedPrimaryIp(fake: FakeHetzner, id: number, type: "ipv4" | "ipv6", locationName: string): FakePrimaryIp | Reply {
  const ip = fake.primaryIps.get(id);
  if (!ip) return notFound("primary_ip", id);
  if (ip.type !== type) return apiError(422, "primary_ip_version_mismatch", `primary IP ${id} is ${ip.type}, not ${type}`);
  if (ip.assigneeId !== null) return apiError(422, "primary_ip_assigned", `primary IP ${id} is already assigned to server ${ip.assigneeId}`);
  if (ip.location.name !== locationName) return apiError(422, "primary_ip_datacenter_mismatch", `primary IP ${id} is in ${ip.location.name}, the server in ${locationName}`);
  return ip;
}

const isReply = (value: unknown): value is Reply => typeof (value as Reply).status === "number";

export function createServer(fake: FakeHetzner, input: CreateServerBody): Reply {
  if (!HOSTNAME.test(input.name)) return apiError(400, "invalid_input", `name "${input.name}" is not a valid hostname`);
  if (fake.byName(fake.servers, input.name)) return apiError(409, "uniqueness_error", `server name "${input.name}" is already used`);
  if (!serverTypeBody(input.server_type)) return apiError(400, "invalid_input", `server type "${input.server_type}" does not exist`);
  if (!imageBody(input.image)) return apiError(400, "invalid_input", `image "${input.image}" does not exist`);
  if (input.user_data !== undefined && Buffer.byteLength(input.user_data) > MAX_USER_DATA) return apiError(400, "invalid_input", "user_data is larger than 32 KiB");
  if (input.location !== undefined && input.datacenter !== undefined) return apiError(400, "invalid_input", "location and datacenter are mutually exclusive");
  const net = input.public_net ?? {};
  const named = net.ipv4 ? fake.primaryIps.get(net.ipv4) : net.ipv6 ? fake.primaryIps.get(net.ipv6) : undefined;
  const location = locationOf(input.location ?? input.datacenter ?? named?.location.name ?? "fsn1");
  if (!location) return apiError(400, "invalid_input", `location "${input.location ?? input.datacenter}" does not exist`);
  const enable4 = net.enable_ipv4 ?? true;
  const enable6 = net.enable_ipv6 ?? true;
  if ((!enable4 && net.ipv4) || (!enable6 && net.ipv6)) return apiError(400, "invalid_input", "a primary IP is given for a disabled address family");
  const ip4 = net.ipv4 ? namedPrimaryIp(fake, net.ipv4, "ipv4", location.name) : undefined;
  if (ip4 && isReply(ip4)) return ip4;
  const ip6 = net.ipv6 ? namedPrimaryIp(fake, net.ipv6, "ipv6", location.name) : undefined;
  if (ip6 && isReply(ip6)) return ip6;
  const firewallIds = (input.firewalls ?? []).map((f) => f.firewall);
  const missingFirewall = firewallIds.find((id) => !fake.firewalls.has(id));
  if (missingFirewall !== undefined) return notFound("firewall", missingFirewall);
  const keys = (input.ssh_keys ?? []).map((ref) => [...fake.sshKeys.values()].find((k) => k.name === ref || String(k.id) === ref));
  const missingKey = (input.ssh_keys ?? []).find((_ref, i) => !keys[i]);
  if (missingKey !== undefined) return apiError(404, "not_found", `SSH key "${missingKey}" not found`);

  const id = fake.id();
  const created = new Date().toISOString();
  const autoIp = (type: "ipv4" | "ipv6"): FakePrimaryIp => {
    const ip: FakePrimaryIp = { id: fake.id(), name: `primary_ip-${id}-${type}`, type, ip: fake.allocateIp(type), location, assigneeId: id, autoDelete: true, labels: {}, protectionDelete: false, created };
    fake.primaryIps.set(ip.id, ip);
    return ip;
  };
  const v4 = ip4 ?? (enable4 ? autoIp("ipv4") : undefined);
  const v6 = ip6 ?? (enable6 ? autoIp("ipv6") : undefined);
  if (v4) v4.assigneeId = id;
  if (v6) v6.assigneeId = id;
  const start = input.start_after_create ?? true;
  const server: FakeServer = {
    id, name: input.name, status: "initializing", serverType: input.server_type, image: input.image, location, labels: { ...(input.labels ?? {}) },
    ...(input.user_data === undefined ? {} : { userData: input.user_data }), sshKeys: keys.map((k) => k?.id ?? 0),
    ipv4Id: v4?.id ?? null, ipv6Id: v6?.id ?? null, protection: { delete: false, rebuild: false }, created,
  };
  fake.servers.set(id, server);
  for (const firewallId of firewallIds) fake.firewalls.get(firewallId)?.appliedTo.push({ type: "server", server: id });
  const resources = [{ id, type: "server" }];
  const work = fake.hookWork(fake.options.onServerCreate, fake.serverEvent(server));
  const create = fake.addAction("create_server", resources, { work, effect: () => { server.status = start ? "running" : "off"; } });
  const next = start ? [fake.addAction("start_server", resources, { work })] : [];
  const rootPassword = keys.length > 0 ? null : `fake-${id}-root`;
  return { status: 201, body: { server: body(fake, server), action: actionBody(create), next_actions: next.map(actionBody), root_password: rootPassword } };
}

export function deleteServer(fake: FakeHetzner, server: FakeServer): Reply {
  if (server.protection.delete) return apiError(423, "protected", `server ${server.id} is delete protected`);
  const event = fake.serverEvent(server);
  fake.servers.delete(server.id);
  server.status = "deleting";
  for (const ip of [server.ipv4Id, server.ipv6Id].map((i) => (i === null ? undefined : fake.primaryIps.get(i)))) {
    if (!ip) continue;
    if (ip.autoDelete) fake.primaryIps.delete(ip.id);
    else ip.assigneeId = null;
  }
  for (const firewall of fake.firewalls.values()) firewall.appliedTo = firewall.appliedTo.filter((t) => !(t.type === "server" && t.server === server.id));
  const action = fake.addAction("delete_server", [{ id: server.id, type: "server" }], { work: fake.hookWork(fake.options.onServerDelete, event) });
  return { status: 200, body: { action: actionBody(action) } };
}

export function powerAction(fake: FakeHetzner, server: FakeServer, command: "start_server" | "stop_server" | "shutdown_server"): Reply {
  if (fake.busy("server", server.id)) return apiError(423, "locked", `server ${server.id} is locked by a running action`);
  const target = command === "start_server" ? "running" : "off";
  server.status = command === "start_server" ? "starting" : "stopping";
  const action = fake.addAction(command, [{ id: server.id, type: "server" }], { effect: () => { server.status = target; } });
  return { status: 201, body: { action: actionBody(action) } };
}

export function updateServer(fake: FakeHetzner, server: FakeServer, input: { name?: string; labels?: Labels }): Reply {
  if (input.name !== undefined && input.name !== server.name) {
    if (!HOSTNAME.test(input.name)) return apiError(400, "invalid_input", `name "${input.name}" is not a valid hostname`);
    if (fake.byName(fake.servers, input.name)) return apiError(409, "uniqueness_error", `server name "${input.name}" is already used`);
    server.name = input.name;
  }
  if (input.labels !== undefined) server.labels = { ...input.labels };
  return { status: 200, body: { server: body(fake, server) } };
}

export function changeServerProtection(fake: FakeHetzner, server: FakeServer, input: { delete?: boolean; rebuild?: boolean }): Reply {
  const next = { delete: input.delete ?? server.protection.delete, rebuild: input.rebuild ?? server.protection.rebuild };
  const action = fake.addAction("change_protection", [{ id: server.id, type: "server" }], { effect: () => { server.protection = next; } });
  return { status: 201, body: { action: actionBody(action) } };
}

export function changeType(fake: FakeHetzner, server: FakeServer, input: { server_type: string; upgrade_disk: boolean }): Reply {
  if (!serverTypeBody(input.server_type)) return apiError(422, "invalid_server_type", `server type "${input.server_type}" does not exist`);
  if (server.status !== "off") return apiError(422, "server_not_stopped", `server ${server.id} is running, but needs to be powered off`);
  const action = fake.addAction("change_server_type", [{ id: server.id, type: "server" }], { effect: () => { server.serverType = input.server_type; } });
  return { status: 201, body: { action: actionBody(action) } };
}
