/**
 * `hcloud` stand-in: Server, Firewall and PrimaryIp carried out with the requests
 * terraform-provider-hcloud makes to the Hetzner Cloud API (tests/fakes/hetzner or the real one),
 * waiting for each action. Outputs carry pulumi-hcloud's names; replacement follows the provider's
 * ForceNew fields. Inputs the program ignores changes of (userData, sshKeys) stay as given.
 */
import { z } from "zod";
import { configValue, unwrapAll } from "./config";
import { Props, TypeHandler } from "./generic";
import { HcloudError, hetznerRequest } from "./hcloudRequest";
import { storageBoxHandlers } from "./hcloudStorageBox";

export const DEFAULT_ENDPOINT = "https://api.hetzner.cloud/v1";
const POLL_MS = 50;
const ACTION_TIMEOUT_MS = 10 * 60_000;

const action = z.object({ id: z.number(), command: z.string(), status: z.enum(["running", "success", "error"]), error: z.object({ code: z.string(), message: z.string() }).nullable() });
type Action = z.infer<typeof action>;
const named = z.object({ name: z.string() });
const server = z.object({
  id: z.number(), name: z.string(), status: z.string(), labels: z.record(z.string(), z.string()), primary_disk_size: z.number(), backup_window: z.string().nullable(),
  datacenter: z.object({ name: z.string(), location: named }), server_type: named, image: z.object({ id: z.number(), name: z.string().nullable() }).nullable(),
  protection: z.object({ delete: z.boolean(), rebuild: z.boolean() }),
  public_net: z.object({
    ipv4: z.object({ id: z.number().optional(), ip: z.string() }).nullable(),
    ipv6: z.object({ id: z.number().optional(), ip: z.string() }).nullable(),
    firewalls: z.array(z.object({ id: z.number() })).optional(),
  }),
});
type Server = z.infer<typeof server>;
const primaryIp = z.object({
  id: z.number(), name: z.string(), type: z.enum(["ipv4", "ipv6"]), ip: z.string(), assignee_id: z.number().nullable(), assignee_type: z.string(), auto_delete: z.boolean(),
  labels: z.record(z.string(), z.string()), datacenter: named, location: named, protection: z.object({ delete: z.boolean() }),
});
type PrimaryIp = z.infer<typeof primaryIp>;
const rule = z.object({ direction: z.string(), protocol: z.string(), port: z.string().nullable(), source_ips: z.array(z.string()), destination_ips: z.array(z.string()), description: z.string().nullable().optional() });
const firewall = z.object({
  id: z.number(), name: z.string(), labels: z.record(z.string(), z.string()).optional(), rules: z.array(rule),
  applied_to: z.array(z.object({ type: z.string(), server: z.object({ id: z.number() }).optional(), label_selector: z.object({ selector: z.string() }).optional() })),
});
type Firewall = z.infer<typeof firewall>;

const labels = z.record(z.string(), z.string()).optional();
const serverInputs = z.object({
  name: z.string().min(1), serverType: z.string().min(1), image: z.string().min(1).optional(), location: z.string().optional(), datacenter: z.string().optional(),
  labels, userData: z.string().optional(), sshKeys: z.array(z.string()).optional(), firewallIds: z.array(z.number()).optional(),
  publicNets: z.array(z.object({ ipv4Enabled: z.boolean().optional(), ipv4: z.number().optional(), ipv6Enabled: z.boolean().optional(), ipv6: z.number().optional() })).optional(),
  deleteProtection: z.boolean().optional(), rebuildProtection: z.boolean().optional(), shutdownBeforeDeletion: z.boolean().optional(), keepDisk: z.boolean().optional(),
}).passthrough();
type ServerInputs = z.infer<typeof serverInputs>;
const primaryIpInputs = z.object({
  name: z.string().optional(), type: z.enum(["ipv4", "ipv6"]), assigneeType: z.literal("server"), autoDelete: z.boolean(), assigneeId: z.number().optional(),
  location: z.string().optional(), datacenter: z.string().optional(), labels, deleteProtection: z.boolean().optional(),
}).passthrough();
type PrimaryIpInputs = z.infer<typeof primaryIpInputs>;
const ruleInput = z.object({ direction: z.enum(["in", "out"]), protocol: z.string(), port: z.string().optional(), sourceIps: z.array(z.string()).optional(), destinationIps: z.array(z.string()).optional(), description: z.string().optional() });
const applyToInput = z.object({ server: z.number().optional(), labelSelector: z.string().optional() });
const firewallInputs = z.object({ name: z.string().min(1), labels, rules: z.array(ruleInput).optional(), applyTos: z.array(applyToInput).optional() }).passthrough();
type FirewallInputs = z.infer<typeof firewallInputs>;

function parseInputs<T>(schema: z.ZodType<T>, what: string, inputs: Props): T {
  const result = schema.safeParse(unwrapAll(inputs));
  if (!result.success) throw new Error(`hcloud ${what}: ${result.error.issues.map((i) => `${i.path.join(".") || "(inputs)"} ${i.message}`).join("; ")}`);
  return result.data;
}

/** A failed API call; the message names method, path, status and Hetzner's error code, never the token. */
/** Refusals worth another try, as hcloud-go's retry policy: rate limit, a resource locked by a running action, a conflict. */
const RETRIED = new Set(["rate_limit_exceeded", "locked", "conflict"]);
const RETRIES = 5;

async function api<T>(method: string, path: string, schema: z.ZodType<T>, body?: unknown): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await request(method, path, schema, body);
    } catch (error) {
      if (!(error instanceof HcloudError) || !RETRIED.has(error.code ?? "") || attempt >= RETRIES) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 100 * 2 ** attempt)));
    }
  }
}

function request<T>(method: string, path: string, schema: z.ZodType<T>, body?: unknown): Promise<T> {
  return hetznerRequest(configValue("endpoint", "HCLOUD_ENDPOINT") ?? DEFAULT_ENDPOINT, method, path, schema, body);
}

const isNotFound = (error: unknown) => error instanceof HcloudError && error.status === 404;

type Drift = readonly [key: string, fallback?: unknown, normalize?: (value: unknown) => unknown];

/**
 * Read: fresh outputs, and the recorded inputs with what changed out of band (as the bridged
 * provider's refresh does), so refresh reports the drift and the next up puts it back. Gone on 404.
 */
async function readBack(props: Props, fetchOuts: () => Promise<Props>, drift: readonly Drift[]): Promise<Props | undefined> {
  let outs: Props;
  try {
    outs = await fetchOuts();
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
  const recorded = { ...((props.__inputs ?? {}) as Props) };
  for (const [key, fallback, normalize = (v: unknown) => v] of drift) {
    if (!(key in recorded) && fallback === undefined) continue;
    const was = key in recorded ? unwrapAll(recorded[key]) : fallback;
    if (JSON.stringify(normalize(was)) !== JSON.stringify(normalize(outs[key]))) recorded[key] = outs[key];
  }
  return { ...props, ...outs, __inputs: recorded };
}

/** Polls an action to its end; an `error` status fails with the action's own message. */
export async function waitFor(started: Action): Promise<void> {
  const deadline = Date.now() + ACTION_TIMEOUT_MS;
  let current = started;
  while (current.status === "running") {
    if (Date.now() > deadline) throw new Error(`hcloud action ${current.id} (${current.command}) still running after ${ACTION_TIMEOUT_MS / 60_000} min`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    current = (await api("GET", `/actions/${current.id}`, z.object({ action }))).action;
  }
  if (current.status === "error") throw new Error(`hcloud action ${current.id} (${current.command}) failed: ${current.error?.code ?? "error"}: ${current.error?.message ?? ""}`);
}

const oneAction = z.object({ action });
const manyActions = z.object({ actions: z.array(action) });
const post = async (path: string, body?: unknown) => waitFor((await api("POST", path, oneAction, body)).action);

// ---- Server ------------------------------------------------------------------------------------

async function getServer(id: string): Promise<Server> {
  return (await api("GET", `/servers/${id}`, z.object({ server }))).server;
}

/** pulumi-hcloud's Server outputs from an API server (setServerSchema of the provider). */
export function serverOutputs(s: Server, inputs: ServerInputs): Props {
  const imageOut = s.image ? (s.image.name && String(s.image.id) !== inputs.image ? s.image.name : String(s.image.id)) : inputs.image;
  return {
    name: s.name, status: s.status, serverType: s.server_type.name, datacenter: s.datacenter.name, location: s.datacenter.location.name, labels: { ...s.labels },
    image: imageOut, ipv4Address: s.public_net.ipv4?.ip ?? "", ipv6Address: s.public_net.ipv6 ? `${s.public_net.ipv6.ip.split("/")[0]}1` : "",
    ipv6Network: s.public_net.ipv6?.ip ?? "", backupWindow: s.backup_window ?? "", backups: s.backup_window !== null, primaryDiskSize: s.primary_disk_size,
    deleteProtection: s.protection.delete, rebuildProtection: s.protection.rebuild, firewallIds: (s.public_net.firewalls ?? []).map((f) => f.id),
  };
}

async function setServerProtection(id: string, inputs: ServerInputs): Promise<void> {
  await post(`/servers/${id}/actions/change_protection`, { delete: inputs.deleteProtection ?? false, rebuild: inputs.rebuildProtection ?? false });
}

async function updatePublicNet(s: Server, olds: ServerInputs, news: ServerInputs): Promise<void> {
  const was = olds.publicNets?.[0] ?? {};
  const now = news.publicNets?.[0] ?? {};
  await post(`/servers/${s.id}/actions/poweroff`);
  for (const family of ["ipv4", "ipv6"] as const) {
    if (was[family] === now[family]) continue;
    const current = s.public_net[family]?.id;
    if (current !== undefined) await post(`/primary_ips/${current}/actions/unassign`);
    if (now[family] !== undefined) await post(`/primary_ips/${now[family]}/actions/assign`, { assignee_id: s.id, assignee_type: "server" });
  }
  await post(`/servers/${s.id}/actions/poweron`);
}

const serverHandler: TypeHandler = {
  replaceOn: ["image", "location", "datacenter", "userData", "sshKeys"],
  async create(_urn, raw) {
    const inputs = parseInputs(serverInputs, "Server", raw);
    const net = inputs.publicNets?.[0];
    const body: Record<string, unknown> = {
      name: inputs.name, server_type: inputs.serverType, image: inputs.image, start_after_create: true,
      ...(inputs.location !== undefined ? { location: inputs.location } : {}), ...(inputs.datacenter !== undefined ? { datacenter: inputs.datacenter } : {}),
      ...(inputs.labels ? { labels: inputs.labels } : {}), ...(inputs.userData !== undefined ? { user_data: inputs.userData } : {}),
      ...(inputs.sshKeys?.length ? { ssh_keys: inputs.sshKeys } : {}), ...(inputs.firewallIds?.length ? { firewalls: inputs.firewallIds.map((f) => ({ firewall: f })) } : {}),
      ...(net ? {
        public_net: {
          enable_ipv4: net.ipv4 !== undefined || (net.ipv4Enabled ?? true), enable_ipv6: net.ipv6 !== undefined || (net.ipv6Enabled ?? true),
          ...(net.ipv4 ? { ipv4: net.ipv4 } : {}), ...(net.ipv6 ? { ipv6: net.ipv6 } : {}),
        },
      } : {}),
    };
    const created = await api("POST", "/servers", z.object({ server, action, next_actions: z.array(action) }), body);
    const id = String(created.server.id);
    await waitFor(created.action);
    for (const next of created.next_actions) await waitFor(next);
    if (inputs.deleteProtection || inputs.rebuildProtection) await setServerProtection(id, inputs);
    return { id, outs: serverOutputs(await getServer(id), inputs) };
  },
  async read(id, _urn, props) {
    const inputs = parseInputs(serverInputs, "Server", (props.__inputs ?? props) as Props);
    const sorted = (v: unknown) => (Array.isArray(v) ? [...(v as number[])].sort((a, b) => a - b) : v);
    return readBack(props, async () => serverOutputs(await getServer(id), inputs), [
      ["name"], ["labels", {}], ["serverType"], ["firewallIds", [], sorted], ["deleteProtection", false], ["rebuildProtection", false],
    ]);
  },
  async update(id, _urn, oldOuts, rawNews) {
    const olds = parseInputs(serverInputs, "Server", (oldOuts.__inputs ?? oldOuts) as Props);
    const news = parseInputs(serverInputs, "Server", rawNews);
    const same = (key: keyof ServerInputs) => JSON.stringify(olds[key]) === JSON.stringify(news[key]);
    let current = await getServer(id);
    if (!same("name") || !same("labels")) await api("PUT", `/servers/${id}`, z.object({ server }), { name: news.name, labels: news.labels ?? {} });
    if (!same("serverType")) {
      if (current.status === "running") await post(`/servers/${id}/actions/poweroff`);
      await post(`/servers/${id}/actions/change_type`, { server_type: news.serverType, upgrade_disk: !(news.keepDisk ?? false) });
      await post(`/servers/${id}/actions/poweron`);
    }
    if (!same("firewallIds")) {
      const have = (current.public_net.firewalls ?? []).map((f) => f.id);
      const want = news.firewallIds ?? [];
      const target = [{ type: "server", server: { id: Number(id) } }];
      for (const f of have.filter((f) => !want.includes(f))) await Promise.all((await api("POST", `/firewalls/${f}/actions/remove_from_resources`, manyActions, { remove_from: target })).actions.map(waitFor));
      for (const f of want.filter((f) => !have.includes(f))) await Promise.all((await api("POST", `/firewalls/${f}/actions/apply_to_resources`, manyActions, { apply_to: target })).actions.map(waitFor));
    }
    current = await getServer(id);
    if (!same("publicNets")) await updatePublicNet(current, olds, news);
    if (!same("deleteProtection") || !same("rebuildProtection")) await setServerProtection(id, news);
    return serverOutputs(await getServer(id), news);
  },
  async delete(id, _urn, props) {
    const inputs = parseInputs(serverInputs, "Server", (props.__inputs ?? props) as Props);
    try {
      if (inputs.shutdownBeforeDeletion) await post(`/servers/${id}/actions/shutdown`);
      await waitFor((await api("DELETE", `/servers/${id}`, oneAction)).action);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  },
};

// ---- PrimaryIp ---------------------------------------------------------------------------------

async function getPrimaryIp(id: string): Promise<PrimaryIp> {
  return (await api("GET", `/primary_ips/${id}`, z.object({ primary_ip: primaryIp }))).primary_ip;
}

/** pulumi-hcloud's PrimaryIp outputs: `ipAddress` is the address, or an IPv6 network's base address; `ipNetwork` only for IPv6. */
export function primaryIpOutputs(ip: PrimaryIp): Props {
  return {
    name: ip.name, type: ip.type, ipAddress: ip.ip.split("/")[0], ipNetwork: ip.type === "ipv6" ? ip.ip : "", assigneeId: ip.assignee_id ?? 0, assigneeType: ip.assignee_type,
    autoDelete: ip.auto_delete, datacenter: ip.datacenter.name, location: ip.location.name, labels: { ...ip.labels }, deleteProtection: ip.protection.delete,
  };
}

const primaryIpHandler: TypeHandler = {
  replaceOn: ["type", "datacenter", "location"],
  async create(_urn, raw) {
    const inputs: PrimaryIpInputs = parseInputs(primaryIpInputs, "PrimaryIp", raw);
    if (inputs.assigneeId !== undefined && (inputs.location !== undefined || inputs.datacenter !== undefined)) throw new Error("hcloud PrimaryIp: assigneeId and location/datacenter cannot both be set");
    const body = {
      name: inputs.name ?? `primary-ip-${Date.now()}`, type: inputs.type, assignee_type: inputs.assigneeType, auto_delete: inputs.autoDelete, ...(inputs.labels ? { labels: inputs.labels } : {}),
      ...(inputs.assigneeId !== undefined ? { assignee_id: inputs.assigneeId } : {}), ...(inputs.location !== undefined ? { location: inputs.location } : {}),
      ...(inputs.datacenter !== undefined ? { datacenter: inputs.datacenter } : {}),
    };
    const created = await api("POST", "/primary_ips", z.object({ primary_ip: primaryIp, action: action.optional() }), body);
    const id = String(created.primary_ip.id);
    if (created.action) await waitFor(created.action);
    if (inputs.deleteProtection) await post(`/primary_ips/${id}/actions/change_protection`, { delete: true });
    return { id, outs: primaryIpOutputs(await getPrimaryIp(id)) };
  },
  async read(id, _urn, props) {
    // assigneeId is left out: the program does not set it, and the server assigns it.
    return readBack(props, async () => primaryIpOutputs(await getPrimaryIp(id)), [["name"], ["labels", {}], ["autoDelete"], ["deleteProtection", false]]);
  },
  async update(id, _urn, oldOuts, rawNews) {
    const olds = parseInputs(primaryIpInputs, "PrimaryIp", (oldOuts.__inputs ?? oldOuts) as Props);
    const news = parseInputs(primaryIpInputs, "PrimaryIp", rawNews);
    const same = (key: keyof PrimaryIpInputs) => JSON.stringify(olds[key]) === JSON.stringify(news[key]);
    if (!same("name") || !same("labels") || !same("autoDelete")) {
      await api("PUT", `/primary_ips/${id}`, z.object({ primary_ip: primaryIp }), { ...(news.name ? { name: news.name } : {}), labels: news.labels ?? {}, auto_delete: news.autoDelete });
    }
    if (!same("assigneeId")) {
      if ((await getPrimaryIp(id)).assignee_id !== null) await post(`/primary_ips/${id}/actions/unassign`);
      if (news.assigneeId) await post(`/primary_ips/${id}/actions/assign`, { assignee_id: news.assigneeId, assignee_type: "server" });
    }
    if (!same("deleteProtection")) await post(`/primary_ips/${id}/actions/change_protection`, { delete: news.deleteProtection ?? false });
    return primaryIpOutputs(await getPrimaryIp(id));
  },
  async delete(id) {
    try {
      const ip = await getPrimaryIp(id);
      if (ip.assignee_id !== null) {
        // As the provider: power the server off, unassign, power it on again.
        await post(`/servers/${ip.assignee_id}/actions/poweroff`);
        await post(`/primary_ips/${id}/actions/unassign`);
        await post(`/servers/${ip.assignee_id}/actions/poweron`);
      }
      await api("DELETE", `/primary_ips/${id}`, z.unknown());
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  },
};

// ---- Firewall ----------------------------------------------------------------------------------

async function getFirewall(id: string): Promise<Firewall> {
  return (await api("GET", `/firewalls/${id}`, z.object({ firewall }))).firewall;
}

function rulesBody(rules: FirewallInputs["rules"]): unknown[] {
  return (rules ?? []).map((r) => ({
    direction: r.direction, protocol: r.protocol, ...(r.port !== undefined ? { port: r.port } : {}), ...(r.description !== undefined ? { description: r.description } : {}),
    ...(r.direction === "in" ? { source_ips: r.sourceIps ?? [] } : { destination_ips: r.destinationIps ?? [] }),
  }));
}

const targetBody = (t: z.infer<typeof applyToInput>) => (t.server !== undefined ? { type: "server", server: { id: t.server } } : { type: "label_selector", label_selector: { selector: t.labelSelector ?? "" } });

export function firewallOutputs(f: Firewall): Props {
  return {
    name: f.name, labels: { ...(f.labels ?? {}) },
    rules: f.rules.map((r) => ({
      direction: r.direction, protocol: r.protocol, ...(r.port !== null ? { port: r.port } : {}), ...(r.description ? { description: r.description } : {}),
      ...(r.direction === "in" ? { sourceIps: r.source_ips } : { destinationIps: r.destination_ips }),
    })),
    applyTos: f.applied_to.map((t) => (t.server ? { server: t.server.id } : { labelSelector: t.label_selector?.selector ?? "" })),
  };
}

const firewallHandler: TypeHandler = {
  replaceOn: [],
  async create(_urn, raw) {
    const inputs = parseInputs(firewallInputs, "Firewall", raw);
    const body = { name: inputs.name, ...(inputs.labels ? { labels: inputs.labels } : {}), rules: rulesBody(inputs.rules), ...(inputs.applyTos?.length ? { apply_to: inputs.applyTos.map(targetBody) } : {}) };
    const created = await api("POST", "/firewalls", z.object({ firewall, actions: z.array(action) }), body);
    await Promise.all(created.actions.map(waitFor));
    const id = String(created.firewall.id);
    return { id, outs: firewallOutputs(await getFirewall(id)) };
  },
  async read(id, _urn, props) {
    const normalized = (v: unknown) => rulesBody(v as FirewallInputs["rules"]);
    return readBack(props, async () => firewallOutputs(await getFirewall(id)), [["name"], ["labels", {}], ["rules", [], normalized]]);
  },
  async update(id, _urn, oldOuts, rawNews) {
    const olds = parseInputs(firewallInputs, "Firewall", (oldOuts.__inputs ?? oldOuts) as Props);
    const news = parseInputs(firewallInputs, "Firewall", rawNews);
    const same = (key: keyof FirewallInputs) => JSON.stringify(olds[key]) === JSON.stringify(news[key]);
    if (!same("name") || !same("labels")) await api("PUT", `/firewalls/${id}`, z.object({ firewall }), { name: news.name, labels: news.labels ?? {} });
    if (!same("rules")) await Promise.all((await api("POST", `/firewalls/${id}/actions/set_rules`, manyActions, { rules: rulesBody(news.rules) })).actions.map(waitFor));
    if (!same("applyTos")) {
      const key = (t: z.infer<typeof applyToInput>) => JSON.stringify(targetBody(t));
      const was = olds.applyTos ?? [];
      const now = news.applyTos ?? [];
      const removed = was.filter((t) => !now.some((n) => key(n) === key(t))).map(targetBody);
      const added = now.filter((t) => !was.some((o) => key(o) === key(t))).map(targetBody);
      if (removed.length) await Promise.all((await api("POST", `/firewalls/${id}/actions/remove_from_resources`, manyActions, { remove_from: removed })).actions.map(waitFor));
      if (added.length) await Promise.all((await api("POST", `/firewalls/${id}/actions/apply_to_resources`, manyActions, { apply_to: added })).actions.map(waitFor));
    }
    return firewallOutputs(await getFirewall(id));
  },
  async delete(id) {
    try {
      const current = await getFirewall(id);
      // As the provider: detach from every resource first, then delete.
      const attached = current.applied_to.map((t) => (t.server ? { type: "server", server: { id: t.server.id } } : { type: "label_selector", label_selector: { selector: t.label_selector?.selector ?? "" } }));
      if (attached.length) await Promise.all((await api("POST", `/firewalls/${id}/actions/remove_from_resources`, manyActions, { remove_from: attached })).actions.map(waitFor));
      await api("DELETE", `/firewalls/${id}`, z.unknown());
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  },
};

export const hcloudHandlers: Readonly<Record<string, TypeHandler>> = {
  "hcloud:index/server:Server": serverHandler,
  "hcloud:index/primaryIp:PrimaryIp": primaryIpHandler,
  "hcloud:index/firewall:Firewall": firewallHandler,
  ...storageBoxHandlers,
};
