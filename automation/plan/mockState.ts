/**
 * What the mock runtime answers for each resource type: the inputs echoed back plus the
 * outputs a real provider would compute, all derived from the stack and resource name so
 * the same input always plans to the same bytes.
 */
import { createHash } from "node:crypto";
import { RECORD_HOST_KEY_COMMAND } from "../../components/host/stages";

export interface MockContext {
  readonly stack: string;
  readonly project: string;
  /** State of resources created so far in this run, by id, so later resources can refer to them. */
  readonly created: Map<string, Record<string, unknown>>;
}

export interface MockAnswer {
  readonly id: string;
  readonly state: Record<string, unknown>;
}

function digest(...parts: string[]): Buffer {
  return createHash("sha256").update(parts.join("\u0000")).digest();
}

/** An address in 100.64.0.0/10 (shared address space): plainly not a real host. */
export function mockIpv4(...seed: string[]): string {
  const d = digest("v4", ...seed);
  const n = d.readUInt32BE(0) & 0x3fffff;
  return `100.${64 + (n >> 16)}.${(n >> 8) & 0xff}.${Math.max(1, n & 0xff)}`;
}

/** A /64 in the documentation prefix 2001:db8::/32. */
export function mockIpv6Network(...seed: string[]): string {
  const d = digest("v6", ...seed);
  return `2001:db8:${d.readUInt16BE(0).toString(16)}:${d.readUInt16BE(2).toString(16)}::/64`;
}

function mockNumericId(...seed: string[]): string {
  return String(10_000_000 + (digest("id", ...seed).readUInt32BE(0) % 89_999_999));
}

type Handler = (name: string, inputs: Record<string, unknown>, context: MockContext) => MockAnswer;

const handlers: Record<string, Handler> = {
  "hcloud:index/primaryIp:PrimaryIp": (name, inputs, { stack }) => {
    const id = mockNumericId(stack, name);
    const ipAddress = inputs.type === "ipv6" ? mockIpv6Network(stack, name) : mockIpv4(stack, name);
    return { id, state: { ...inputs, ipAddress } };
  },
  "hcloud:index/server:Server": (name, inputs, context) => {
    const id = mockNumericId(context.stack, name);
    const nets = (inputs.publicNets as Array<Record<string, unknown>> | undefined) ?? [];
    const ipv4 = nets.map((n) => context.created.get(String(n.ipv4))?.ipAddress).find(Boolean);
    const ipv6Net = nets.map((n) => context.created.get(String(n.ipv6))?.ipAddress).find(Boolean);
    const ipv6Address = ipv6Net ? String(ipv6Net).replace("::/64", "::1") : mockIpv6Network(context.stack, name).replace("::/64", "::1");
    return {
      id,
      state: { ...inputs, status: "running", ipv4Address: ipv4 ?? mockIpv4(context.stack, name), ipv6Address, ipv6Network: ipv6Net ?? "" },
    };
  },
  "hcloud:index/firewall:Firewall": (name, inputs, { stack }) => ({ id: mockNumericId(stack, name), state: inputs }),
  "hcloud:index/sshKey:SshKey": (name, inputs, { stack }) => ({ id: mockNumericId(stack, name), state: { ...inputs, fingerprint: fingerprint(String(inputs.publicKey ?? "")) } }),
  "pulumi-nodejs:dynamic/netcup:Server": (name, inputs, { stack }) => {
    const serverId = mockNumericId(stack, name);
    return {
      id: serverId,
      state: {
        ...inputs,
        serverId,
        serverName: inputs.serverName ?? `v${serverId.padStart(19, "0")}`,
        ipv4: mockIpv4(stack, name),
        ipv6: mockIpv6Network(stack, name).replace("::/64", "::1"),
        imageFlavour: `${String(inputs.image ?? "Debian 13")} (planned)`,
        imageFlavourId: 0,
        installedAt: "1970-01-01T00:00:00.000Z",
      },
    };
  },
  // A new zone's id and its two assigned name servers, which only Cloudflare knows (`.invalid`: plainly not real).
  "cloudflare:index/zone:Zone": (name, inputs, { stack }) => ({
    id: digest("zone", stack, name).subarray(0, 16).toString("hex"),
    state: { ...inputs, status: "pending", nameServers: ["ns-a.planned.invalid", "ns-b.planned.invalid"] },
  }),
  // What a host would print: its host key (the recorder) or its WireGuard public key (a hub or
  // spoke run). Hashes of the stack and resource, as the addresses are: a plan shows no real key.
  "command:remote:Command": (name, inputs, { stack }) => {
    const stdout = plannedStdout(stack, name, String(inputs.create ?? ""));
    return { id: `${name}-id`, state: stdout === undefined ? inputs : { ...inputs, stdout } };
  },
  // A spoke's first contact (components/host/firstContact.ts) runs the same wireguard command.
  "pulumi-nodejs:dynamic/letsbe:FirstContact": (name, inputs, { stack }) => {
    const stdout = plannedStdout(stack, name, String(inputs.command ?? ""));
    return { id: `${name}-id`, state: { ...inputs, stdout: stdout ?? "" } };
  },
  "random:index/randomPassword:RandomPassword": (name, inputs, { stack }) => ({
    id: "none",
    state: { ...inputs, result: digest("password", stack, name).toString("base64url").slice(0, Number(inputs.length ?? 32)) },
  }),
};

function plannedStdout(stack: string, name: string, create: string): string | undefined {
  if (create === RECORD_HOST_KEY_COMMAND) {
    // An ecdsa-sha2-nistp256 key blob's shape: type, curve, then a 65-byte point.
    const blob = Buffer.concat([sshString("ecdsa-sha2-nistp256"), sshString("nistp256"), sshString(Buffer.concat([Buffer.from([4]), digest("hk", stack, name), digest("hk2", stack, name)]))]);
    return `ecdsa-sha2-nistp256 ${blob.toString("base64")}`;
  }
  if (/LB_WG_ROLE='(hub|spoke)'/.test(create)) return `letsbe-wireguard public-key=${digest("wg", stack, name).toString("base64")}\n`;
  return undefined;
}

function sshString(value: string | Buffer): Buffer {
  const bytes = typeof value === "string" ? Buffer.from(value) : value;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

function fingerprint(publicKey: string): string {
  return digest("fp", publicKey).subarray(0, 16).toString("hex").replace(/(..)(?!$)/g, "$1:");
}

export function mockState(type: string, name: string, inputs: Record<string, unknown>, context: MockContext): MockAnswer {
  const handler = handlers[type];
  const answer = handler ? handler(name, inputs, context) : { id: `${name}-id`, state: inputs };
  context.created.set(answer.id, answer.state);
  return answer;
}
