/** Primary IP, firewall and SSH key operations of the fake, with the API's documented refusals. */
import { locationOf } from "./catalog";
import { type FakeFirewall, type FakePrimaryIp, type FakeRule, type FirewallTarget, type Labels, actionBody, firewallBody, primaryIpBody, ruleProblem, sshKeyBody } from "./model";
import { type FakeHetzner, type Reply, apiError } from "./server";
import { notFound } from "./server-ops";

export interface CreatePrimaryIpBody {
  name: string;
  type: "ipv4" | "ipv6";
  assignee_type: "server";
  assignee_id?: number | null;
  location?: string;
  datacenter?: string;
  auto_delete?: boolean;
  labels?: Labels;
}

const serverNotStopped = (id: number): Reply => apiError(422, "server_not_stopped", `server ${id} is running, but needs to be powered off`);

export function createPrimaryIp(fake: FakeHetzner, input: CreatePrimaryIpBody): Reply {
  if (fake.byName(fake.primaryIps, input.name)) return apiError(409, "uniqueness_error", `primary IP name "${input.name}" is already used`);
  const place = input.location ?? input.datacenter;
  const assignee = input.assignee_id ?? undefined;
  if ((place === undefined) === (assignee === undefined)) return apiError(400, "invalid_input", "exactly one of location/datacenter and assignee_id is required");
  const server = assignee === undefined ? undefined : fake.servers.get(assignee);
  if (assignee !== undefined && !server) return notFound("server", assignee);
  const location = server?.location ?? locationOf(place ?? "");
  if (!location) return apiError(400, "invalid_input", `location "${place}" does not exist`);
  if (server && server.status !== "off") return serverNotStopped(server.id);
  if (server && (input.type === "ipv4" ? server.ipv4Id : server.ipv6Id) !== null) return apiError(422, `server_has_${input.type}`, `server ${server.id} already has an ${input.type} address`);
  const ip: FakePrimaryIp = {
    id: fake.id(), name: input.name, type: input.type, ip: fake.allocateIp(input.type), location, assigneeId: server?.id ?? null,
    autoDelete: input.auto_delete ?? false, labels: { ...(input.labels ?? {}) }, protectionDelete: false, created: new Date().toISOString(),
  };
  fake.primaryIps.set(ip.id, ip);
  if (server) {
    if (input.type === "ipv4") server.ipv4Id = ip.id;
    else server.ipv6Id = ip.id;
  }
  const action = server ? fake.addAction("assign_primary_ip", [{ id: ip.id, type: "primary_ip" }, { id: server.id, type: "server" }]) : undefined;
  return { status: 201, body: { primary_ip: primaryIpBody(ip), ...(action ? { action: actionBody(action) } : {}) } };
}

export function updatePrimaryIp(fake: FakeHetzner, ip: FakePrimaryIp, input: { name?: string; labels?: Labels; auto_delete?: boolean }): Reply {
  if (input.name !== undefined && input.name !== ip.name) {
    if (fake.byName(fake.primaryIps, input.name)) return apiError(409, "uniqueness_error", `primary IP name "${input.name}" is already used`);
    ip.name = input.name;
  }
  if (input.labels !== undefined) ip.labels = { ...input.labels };
  if (input.auto_delete !== undefined) ip.autoDelete = input.auto_delete;
  return { status: 200, body: { primary_ip: primaryIpBody(ip) } };
}

export function deletePrimaryIp(fake: FakeHetzner, ip: FakePrimaryIp): Reply {
  if (ip.protectionDelete) return apiError(423, "protected", `primary IP ${ip.id} is delete protected`);
  if (ip.assigneeId !== null) return apiError(422, "must_be_unassigned", `primary IP ${ip.id} is still assigned to server ${ip.assigneeId}`);
  fake.primaryIps.delete(ip.id);
  return { status: 204 };
}

export function assignPrimaryIp(fake: FakeHetzner, ip: FakePrimaryIp, serverId: number): Reply {
  const server = fake.servers.get(serverId);
  if (!server) return notFound("server", serverId);
  if (server.status !== "off") return serverNotStopped(server.id);
  if (ip.assigneeId !== null) return apiError(422, "primary_ip_already_assigned", `primary IP ${ip.id} is already assigned to server ${ip.assigneeId}`);
  if ((ip.type === "ipv4" ? server.ipv4Id : server.ipv6Id) !== null) return apiError(422, `server_has_${ip.type}`, `server ${server.id} already has an ${ip.type} address`);
  if (ip.location.name !== server.location.name) return apiError(422, "primary_ip_datacenter_mismatch", `primary IP ${ip.id} is in ${ip.location.name}, the server in ${server.location.name}`);
  ip.assigneeId = server.id;
  if (ip.type === "ipv4") server.ipv4Id = ip.id;
  else server.ipv6Id = ip.id;
  const action = fake.addAction("assign_primary_ip", [{ id: ip.id, type: "primary_ip" }, { id: server.id, type: "server" }]);
  return { status: 201, body: { action: actionBody(action) } };
}

export function unassignPrimaryIp(fake: FakeHetzner, ip: FakePrimaryIp): Reply {
  const server = ip.assigneeId === null ? undefined : fake.servers.get(ip.assigneeId);
  if (server && server.status !== "off") return serverNotStopped(server.id);
  if (server) {
    if (server.ipv4Id === ip.id) server.ipv4Id = null;
    if (server.ipv6Id === ip.id) server.ipv6Id = null;
  }
  ip.assigneeId = null;
  const action = fake.addAction("unassign_primary_ip", [{ id: ip.id, type: "primary_ip" }, ...(server ? [{ id: server.id, type: "server" }] : [])]);
  return { status: 201, body: { action: actionBody(action) } };
}

export function changePrimaryIpProtection(fake: FakeHetzner, ip: FakePrimaryIp, input: { delete: boolean }): Reply {
  const action = fake.addAction("change_protection", [{ id: ip.id, type: "primary_ip" }], { effect: () => { ip.protectionDelete = input.delete; } });
  return { status: 201, body: { action: actionBody(action) } };
}

type TargetInput = { type: "server" | "label_selector"; server?: { id: number }; label_selector?: { selector: string } };

function targets(fake: FakeHetzner, input: readonly TargetInput[]): FirewallTarget[] | Reply {
  const out: FirewallTarget[] = [];
  for (const t of input) {
    if (t.type === "server") {
      if (!t.server) return apiError(400, "invalid_input", "apply_to of type server needs server.id");
      if (!fake.servers.has(t.server.id)) return notFound("server", t.server.id);
      out.push({ type: "server", server: t.server.id });
    } else {
      if (!t.label_selector) return apiError(400, "invalid_input", "apply_to of type label_selector needs label_selector.selector");
      out.push({ type: "label_selector", selector: t.label_selector.selector });
    }
  }
  return out;
}

const sameTarget = (a: FirewallTarget, b: FirewallTarget) => JSON.stringify(a) === JSON.stringify(b);
const isReply = (value: unknown): value is Reply => !Array.isArray(value);

function checkRules(rules: readonly FakeRule[]): Reply | undefined {
  const problem = rules.map(ruleProblem).find((p) => p !== undefined);
  return problem ? apiError(400, "invalid_input", problem) : undefined;
}

export function createFirewall(fake: FakeHetzner, input: { name: string; labels?: Labels; rules?: FakeRule[]; apply_to?: TargetInput[] }): Reply {
  if (fake.byName(fake.firewalls, input.name)) return apiError(409, "uniqueness_error", `firewall name "${input.name}" is already used`);
  const bad = checkRules(input.rules ?? []);
  if (bad) return bad;
  const applyTo = targets(fake, input.apply_to ?? []);
  if (isReply(applyTo)) return applyTo;
  const firewall: FakeFirewall = { id: fake.id(), name: input.name, labels: { ...(input.labels ?? {}) }, rules: [...(input.rules ?? [])], appliedTo: applyTo, created: new Date().toISOString() };
  fake.firewalls.set(firewall.id, firewall);
  const resources = [{ id: firewall.id, type: "firewall" }];
  const actions = [fake.addAction("set_firewall_rules", resources), ...applyTo.map(() => fake.addAction("apply_firewall", resources))];
  return { status: 201, body: { firewall: firewallBody(firewall), actions: actions.map(actionBody) } };
}

export function updateFirewall(fake: FakeHetzner, firewall: FakeFirewall, input: { name?: string; labels?: Labels }): Reply {
  if (input.name !== undefined && input.name !== firewall.name) {
    if (fake.byName(fake.firewalls, input.name)) return apiError(409, "uniqueness_error", `firewall name "${input.name}" is already used`);
    firewall.name = input.name;
  }
  if (input.labels !== undefined) firewall.labels = { ...input.labels };
  return { status: 200, body: { firewall: firewallBody(firewall) } };
}

export function deleteFirewall(fake: FakeHetzner, firewall: FakeFirewall): Reply {
  if (firewall.appliedTo.length > 0) return apiError(422, "resource_in_use", `firewall ${firewall.id} is still applied to a resource`);
  fake.firewalls.delete(firewall.id);
  return { status: 204 };
}

export function setRules(fake: FakeHetzner, firewall: FakeFirewall, rules: FakeRule[]): Reply {
  const bad = checkRules(rules);
  if (bad) return bad;
  firewall.rules = [...rules];
  const action = fake.addAction("set_firewall_rules", [{ id: firewall.id, type: "firewall" }]);
  return { status: 201, body: { actions: [actionBody(action)] } };
}

export function applyOrRemove(fake: FakeHetzner, firewall: FakeFirewall, input: TargetInput[], apply: boolean): Reply {
  const wanted = targets(fake, input);
  if (isReply(wanted)) return wanted;
  for (const target of wanted) {
    const present = firewall.appliedTo.some((t) => sameTarget(t, target));
    if (apply && present) return apiError(422, "firewall_already_applied", `firewall ${firewall.id} is already applied to that resource`);
    if (!apply && !present) return apiError(422, "firewall_already_removed", `firewall ${firewall.id} is not applied to that resource`);
  }
  firewall.appliedTo = apply ? [...firewall.appliedTo, ...wanted] : firewall.appliedTo.filter((t) => !wanted.some((w) => sameTarget(t, w)));
  const actions = wanted.map((t) => fake.addAction(apply ? "apply_firewall" : "remove_firewall", [{ id: firewall.id, type: "firewall" }, ...(t.type === "server" ? [{ id: t.server, type: "server" }] : [])]));
  return { status: 201, body: { actions: actions.map(actionBody) } };
}

export function createSshKey(fake: FakeHetzner, input: { name: string; public_key: string; labels?: Labels }): Reply {
  if (fake.byName(fake.sshKeys, input.name)) return apiError(409, "uniqueness_error", `SSH key name "${input.name}" is already used`);
  if (!/^(ssh-(ed25519|rsa)|ecdsa-sha2-nistp\d+) [A-Za-z0-9+/=]+/.test(input.public_key)) return apiError(400, "invalid_input", "public_key is not an SSH public key");
  if ([...fake.sshKeys.values()].some((k) => k.publicKey.split(/\s+/)[1] === input.public_key.split(/\s+/)[1])) return apiError(409, "uniqueness_error", "SSH key already exists");
  const key = { id: fake.id(), name: input.name, publicKey: input.public_key, labels: { ...(input.labels ?? {}) }, created: new Date().toISOString() };
  fake.sshKeys.set(key.id, key);
  return { status: 201, body: { ssh_key: sshKeyBody(key) } };
}
