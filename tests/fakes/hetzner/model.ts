/** The fake's state (servers, primary IPs, firewalls, SSH keys, actions) and the API bodies built from it. */
import { createHash } from "node:crypto";
import { Location, datacenterBody, imageBody, serverTypeBody } from "./catalog";

export type Labels = Record<string, string>;
export type ServerStatus = "initializing" | "starting" | "running" | "stopping" | "off" | "deleting";

export interface FakeServer {
  readonly id: number;
  name: string;
  status: ServerStatus;
  serverType: string;
  readonly image: string;
  readonly location: Location;
  labels: Labels;
  readonly userData?: string;
  readonly sshKeys: readonly number[];
  ipv4Id: number | null;
  ipv6Id: number | null;
  protection: { delete: boolean; rebuild: boolean };
  readonly created: string;
}

export interface FakePrimaryIp {
  readonly id: number;
  name: string;
  readonly type: "ipv4" | "ipv6";
  /** The address (ipv4) or the /64 network (ipv6), as the API reports `ip`. */
  readonly ip: string;
  readonly location: Location;
  assigneeId: number | null;
  autoDelete: boolean;
  labels: Labels;
  protectionDelete: boolean;
  readonly created: string;
}

export interface FakeRule {
  readonly direction: "in" | "out";
  readonly protocol: "tcp" | "udp" | "icmp" | "esp" | "gre";
  readonly port?: string | null;
  readonly source_ips?: readonly string[];
  readonly destination_ips?: readonly string[];
  readonly description?: string | null;
}

export type FirewallTarget = { readonly type: "server"; readonly server: number } | { readonly type: "label_selector"; readonly selector: string };

export interface FakeFirewall {
  readonly id: number;
  name: string;
  labels: Labels;
  rules: FakeRule[];
  appliedTo: FirewallTarget[];
  readonly created: string;
}

export interface FakeSshKey {
  readonly id: number;
  readonly name: string;
  readonly publicKey: string;
  readonly labels: Labels;
  readonly created: string;
}

export interface ActionResource { readonly id: number; readonly type: string }

export interface FakeAction {
  readonly id: number;
  readonly command: string;
  readonly resources: readonly ActionResource[];
  readonly started: string;
  /** Not before this time (ms since epoch) does the action end. */
  readonly endsAt: number;
  /** Work the action waits for (a hook); its rejection fails the action. */
  readonly work?: Promise<void>;
  /** Applied once, when the action succeeds. */
  readonly effect?: () => void;
  state: "running" | "success" | "error";
  workState: "pending" | "done" | "failed";
  failure?: string;
  finished?: string;
}

export function newAction(id: number, command: string, resources: readonly ActionResource[], delayMs: number, extra: { work?: Promise<void>; effect?: () => void } = {}): FakeAction {
  const action: FakeAction = { id, command, resources, started: new Date().toISOString(), endsAt: Date.now() + delayMs, ...extra, state: "running", workState: extra.work ? "pending" : "done" };
  extra.work?.then(
    () => { action.workState = "done"; },
    (error: unknown) => {
      action.workState = "failed";
      action.failure = error instanceof Error ? error.message : String(error);
    },
  );
  return action;
}

/** Moves an action on if its time has come; returns true when it ended now. */
export function settleAction(action: FakeAction, now: number): boolean {
  if (action.state !== "running" || now < action.endsAt || action.workState === "pending") return false;
  action.finished = new Date(now).toISOString();
  if (action.workState === "failed") action.state = "error";
  else {
    action.state = "success";
    action.effect?.();
  }
  return true;
}

export function actionBody(action: FakeAction): Record<string, unknown> {
  return {
    id: action.id, command: action.command, status: action.state, progress: action.state === "running" ? 0 : 100,
    started: action.started, finished: action.finished ?? null, resources: action.resources.map((r) => ({ ...r })),
    error: action.state === "error" ? { code: "action_failed", message: action.failure ?? "Action failed" } : null,
  };
}

/** The first host address of an IPv6 /64, which the provider reports as the server's `ipv6_address`. */
export function firstHost(network: string): string {
  return network.replace(/\/64$/, "").replace(/::$/, "::1");
}

function reverseName(ip: string): string {
  return `static.${ip.split(".").reverse().join(".")}.clients.your-server.de`;
}

export function primaryIpBody(ip: FakePrimaryIp): Record<string, unknown> {
  return {
    id: ip.id, name: ip.name, type: ip.type, ip: ip.ip, assignee_id: ip.assigneeId, assignee_type: "server", auto_delete: ip.autoDelete, blocked: false,
    created: ip.created, datacenter: datacenterBody(ip.location), location: { ...ip.location }, labels: { ...ip.labels }, protection: { delete: ip.protectionDelete },
    dns_ptr: ip.type === "ipv4" ? [{ ip: ip.ip, dns_ptr: reverseName(ip.ip) }] : [],
  };
}

export function serverBody(server: FakeServer, ips: ReadonlyMap<number, FakePrimaryIp>, firewalls: readonly FakeFirewall[]): Record<string, unknown> {
  const v4 = server.ipv4Id === null ? undefined : ips.get(server.ipv4Id);
  const v6 = server.ipv6Id === null ? undefined : ips.get(server.ipv6Id);
  const serverType = serverTypeBody(server.serverType);
  return {
    id: server.id, name: server.name, status: server.status, created: server.created, labels: { ...server.labels },
    datacenter: datacenterBody(server.location), location: { ...server.location }, image: imageBody(server.image) ?? null, iso: null,
    server_type: serverType, primary_disk_size: Number(serverType?.disk ?? 0), backup_window: null, rescue_enabled: false, locked: false,
    included_traffic: 21990232555520, ingoing_traffic: 0, outgoing_traffic: 0, load_balancers: [], volumes: [], private_net: [], placement_group: null,
    protection: { ...server.protection },
    public_net: {
      ipv4: v4 ? { id: v4.id, ip: v4.ip, blocked: false, dns_ptr: reverseName(v4.ip) } : null,
      ipv6: v6 ? { id: v6.id, ip: v6.ip, blocked: false, dns_ptr: [] } : null,
      floating_ips: [],
      firewalls: firewalls.filter((f) => f.appliedTo.some((t) => t.type === "server" && t.server === server.id)).map((f) => ({ id: f.id, status: "applied" })),
    },
  };
}

export function firewallBody(firewall: FakeFirewall): Record<string, unknown> {
  return {
    id: firewall.id, name: firewall.name, labels: { ...firewall.labels }, created: firewall.created,
    rules: firewall.rules.map((r) => ({
      direction: r.direction, protocol: r.protocol, port: r.port ?? null, description: r.description ?? null,
      source_ips: [...(r.source_ips ?? [])], destination_ips: [...(r.destination_ips ?? [])],
    })),
    applied_to: firewall.appliedTo.map((t) => (t.type === "server" ? { type: "server", server: { id: t.server } } : { type: "label_selector", label_selector: { selector: t.selector }, applied_to_resources: [] })),
  };
}

export function sshKeyBody(key: FakeSshKey): Record<string, unknown> {
  const blob = Buffer.from(key.publicKey.split(/\s+/)[1] ?? "", "base64");
  const fingerprint = createHash("md5").update(blob).digest("hex").match(/../g)?.join(":") ?? "";
  return { id: key.id, name: key.name, public_key: key.publicKey, fingerprint, labels: { ...key.labels }, created: key.created };
}

/** Checks a rule as the API does: ports only for tcp/udp (and required there), sources for `in`, destinations for `out`. */
export function ruleProblem(rule: FakeRule): string | undefined {
  const ported = rule.protocol === "tcp" || rule.protocol === "udp";
  if (ported && !rule.port) return `rule ${rule.protocol}: port is required`;
  if (!ported && rule.port) return `rule ${rule.protocol}: port is not allowed`;
  if (rule.port && !/^(\d{1,5}|\d{1,5}-\d{1,5}|any)$/.test(rule.port)) return `rule port "${rule.port}" is not a port or range`;
  if (rule.direction === "in" && (rule.source_ips ?? []).length === 0) return "rule in: source_ips is required";
  if (rule.direction === "out" && (rule.destination_ips ?? []).length === 0) return "rule out: destination_ips is required";
  const cidrs = [...(rule.source_ips ?? []), ...(rule.destination_ips ?? [])];
  const bad = cidrs.find((c) => !/^[0-9a-fA-F:.]+\/\d{1,3}$/.test(c));
  return bad ? `rule ip "${bad}" is not a CIDR` : undefined;
}
