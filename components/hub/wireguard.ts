/**
 * The WireGuard management network of a region: the hub is the WireGuard hub and SSH bastion,
 * every tenant host a spoke with its own key pair (made on the host; only the public key leaves
 * it) and a tunnel address. Plans the three runs of components/host/scripts/stages/wireguard.sh
 * (hub, spoke, and the spoke's peer entry on the hub) and the connection that reaches a spoke
 * through the hub once its SSH has moved onto the tunnel.
 */
import { join } from "node:path";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { wireguardCidrSchema, wireguardPublicKeySchema } from "../../contracts/hub";
import type { StageResourceArgs } from "../host";
import { FirstContact } from "../host/firstContact";
import { BOOTSTRAP_DIR, Stage, StageFile, bundleScript, scriptsDir, sha256, stage, stageCommand } from "../host/stages";

export const WG_STAGE = "wireguard";
export const WG_DEFAULT_PORT = 51820;

const ipv4 = z.string().regex(/^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/, "must be an IPv4 address");
const wgKey = wireguardPublicKeySchema;

/** A region's management network: `network` is a CIDR, the hub holds its first address. */
export const WireguardNetworkSchema = z.object({
  network: wireguardCidrSchema,
  port: z.number().int().min(1).max(65535).default(WG_DEFAULT_PORT),
}).strict();
export type WireguardNetwork = z.infer<typeof WireguardNetworkSchema>;

function toInt(address: string): number {
  return address.split(".").reduce((n, part) => n * 256 + Number(part), 0);
}
function toAddress(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

/** First and last usable host numbers of the network, and the hub's (the first). */
export function networkRange(network: string): { first: number; last: number; prefix: number } {
  const [base, bits] = network.split("/");
  ipv4.parse(base);
  const prefix = Number(bits);
  const size = 2 ** (32 - prefix);
  const start = toInt(base);
  if (start % size !== 0) throw new Error(`WireGuard network ${network}: ${base} is not the start of a /${prefix}`);
  return { first: start + 1, last: start + size - 2, prefix };
}

export function hubTunnelAddress(network: string): string {
  return toAddress(networkRange(network).first);
}

/**
 * The lowest free spoke address of `network`, given the addresses the region's spokes already
 * hold (every tenant stack's `tunnelAddress` in the backend). An address outside the network, or
 * one held twice, is an error naming it: the record itself must be sound before it grows.
 */
export function allocateTunnelAddress(network: string, taken: readonly string[]): string {
  const { first, last } = networkRange(network);
  const used = new Set<number>();
  for (const address of taken) {
    const n = toInt(ipv4.parse(address));
    if (n <= first || n > last) throw new Error(`tunnel address ${address} is not a spoke address of ${network}`);
    if (used.has(n)) throw new Error(`tunnel address ${address} is held by two spokes`);
    used.add(n);
  }
  for (let n = first + 1; n <= last; n++) if (!used.has(n)) return toAddress(n);
  throw new Error(`WireGuard network ${network} is full (${last - first} spokes)`);
}

function wgScript(file = WG_STAGE): StageFile {
  return { name: "script", remotePath: `${BOOTSTRAP_DIR}/${file}.sh`, content: bundleScript(WG_STAGE, join(scriptsDir(), "stages", `${WG_STAGE}.sh`)) };
}

function wgStage(label: string, params: Record<string, string>, file = WG_STAGE): Stage {
  const script = wgScript(file);
  return stage(label, [script], stageCommand(WG_STAGE, script.remotePath, params, false));
}

/**
 * The sources whose root may jump to the spokes: the management CIDRs, and the hub itself. The
 * Hub's order flow runs Pulumi on the hub and dials its own public address (or 127.0.0.1) as jump
 * host, which arrives from that address (over loopback), not from any management CIDR.
 */
export function hubJumpSources(managementCidrs: readonly string[], hubIpv4: string, hubIpv6?: string): string[] {
  if (hubIpv6 !== undefined && hubIpv6 !== "" && !/^[0-9a-f:]*:[0-9a-f:]*$/i.test(hubIpv6)) throw new Error(`hub IPv6 address '${hubIpv6}' is not an IPv6 address`);
  const own = [`${ipv4.parse(hubIpv4)}/32`, ...(hubIpv6 ? [`${hubIpv6}/128`] : [])];
  return [...new Set([...managementCidrs, "127.0.0.1/32", "::1/128", ...own])].sort();
}

/** The hub's interface; `jumpSources` (hubJumpSources) are the sources whose root may jump to the spokes. */
export function planHubWireguard(net: WireguardNetwork, jumpSources: readonly string[]): Stage {
  const { prefix } = networkRange(net.network);
  if (jumpSources.length === 0) throw new Error("planHubWireguard: jumpSources is empty (nobody could jump to the spokes)");
  return wgStage("wireguard-hub", {
    LB_WG_ROLE: "hub",
    LB_WG_ADDRESS: `${hubTunnelAddress(net.network)}/${prefix}`,
    LB_WG_PORT: String(net.port),
    LB_MGMT_CIDRS: [...new Set(jumpSources)].sort().join(" "),
  });
}

export interface SpokeArgs {
  readonly network: WireguardNetwork;
  /** This spoke's tunnel address (allocateTunnelAddress). */
  readonly address: string;
  /** The hub's public address, as the spoke reaches it. */
  readonly hubEndpoint: string;
  /** The hub's public key (the hub stage's output). */
  readonly hubPublicKey: string;
}

/** Why `address` cannot be a spoke of `network` (outside it, the hub's own, not IPv4), or undefined. */
export function spokeAddressProblem(network: string, address: string): string | undefined {
  const { first, last } = networkRange(network);
  if (!ipv4.safeParse(address).success) return `${address} is not an IPv4 address`;
  const n = toInt(address);
  return n <= first || n > last ? `${address} is not a spoke address of ${network} (the hub holds ${toAddress(first)})` : undefined;
}

export function planSpokeWireguard(args: SpokeArgs): Stage {
  const problem = spokeAddressProblem(args.network.network, args.address);
  if (problem) throw new Error(`spoke tunnel address ${problem}`);
  return wgStage("wireguard-spoke", {
    LB_WG_ROLE: "spoke",
    LB_WG_ADDRESS: args.address,
    LB_WG_HUB_ENDPOINT: `${ipv4.parse(args.hubEndpoint)}:${args.network.port}`,
    LB_WG_HUB_KEY: wgKey.parse(args.hubPublicKey),
    LB_WG_HUB_ADDRESS: hubTunnelAddress(args.network.network),
  });
}

/**
 * The spoke's entry on the hub (`state: "absent"` takes it out, for the tenant's delete). Its own
 * copy of the script per spoke: tenant stacks never write each other's files on the hub.
 */
export function planHubPeer(slug: string, publicKey: string, address: string, state: "present" | "absent" = "present", sshPort = 22): Stage {
  return wgStage(`wireguard-peer-${slug}`, {
    LB_WG_ROLE: "peer",
    LB_WG_PEER_NAME: slug,
    LB_WG_PEER_STATE: state,
    ...(state === "present" ? { LB_WG_PEER_KEY: wgKey.parse(publicKey), LB_WG_PEER_ADDRESS: ipv4.parse(address), LB_WG_PEER_SSH_PORT: String(sshPort) } : {}),
  }, `${WG_STAGE}-peer-${slug}`);
}

/** The public key a hub or spoke run printed (`letsbe-wireguard public-key=KEY`). */
export function parsePublicKey(stdout: string): string {
  const m = /^letsbe-wireguard public-key=(\S+)$/m.exec(stdout);
  if (!m) throw new Error("the wireguard stage printed no 'letsbe-wireguard public-key=' line");
  return wgKey.parse(m[1]);
}

/**
 * How later stages reach a spoke: its tunnel address, through the hub as jump host (the hub's
 * sshd lets root from the management CIDRs forward to the spokes' SSH and nowhere else).
 */
export function tunnelConnection(
  spoke: command.types.input.remote.ConnectionArgs,
  tunnelAddress: string,
  hub: command.types.input.remote.ProxyConnectionArgs,
): command.types.input.remote.ConnectionArgs {
  return { ...spoke, host: tunnelAddress, proxy: hub };
}

type Connection = command.types.input.remote.ConnectionArgs;

export interface WireguardSpokeArgs {
  readonly slug: string;
  readonly spoke: SpokeArgs;
  /** The tenant's SSH port (what the hub's PermitOpen allows). Default - 22. */
  readonly sshPort?: number;
  /** The tenant's public address, pinned to the host key recorded at install. */
  readonly publicConnection: pulumi.Input<Connection>;
  /** The region's hub (pinned): where the peer entry goes, and the jump host. */
  readonly hubConnection: pulumi.Input<Connection>;
  /** `serverIdentity(server)` of the tenant: a reinstalled server sets its tunnel up again. */
  readonly identity: pulumi.Input<string>;
  /** What first contact waits for (the host-key record). */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

export interface WireguardSpoke {
  /** First contact: key pair and interface, over the public address. */
  readonly init: FirstContact;
  readonly publicKey: pulumi.Output<string>;
  /** The spoke's entry on the hub; deleting the tenant takes it out. */
  readonly peer: command.remote.Command;
  /** Every later stage's connection: the tunnel address through the hub. */
  readonly connection: pulumi.Output<Connection>;
}

/**
 * First contact over the public address, once per installation and tunnel setting (a FirstContact:
 * after the switch the public address no longer answers SSH, so neither a changed script nor a
 * rotated key runs it again), then the spoke's peer entry on the hub. Every stage after that, the
 * wireguard stage itself again included, goes through the tunnel and keeps the spoke current; the
 * firewall and ssh stages see the tunnel up on their first run and put SSH on it alone.
 */
export function createWireguardSpoke(name: string, args: WireguardSpokeArgs, opts: pulumi.CustomResourceOptions = {}): WireguardSpoke {
  const plan = planSpokeWireguard(args.spoke);
  const init = new FirstContact(`${name}-wg-init`, {
    label: `WireGuard spoke ${args.slug}`, connection: args.publicConnection, file: plan.files[0], command: plan.command,
    identity: args.identity, trigger: sha256(plan.command),
  }, { ...opts, dependsOn: args.dependsOn });
  const publicKey = init.stdout.apply(parsePublicKey);
  const absent = planHubPeer(args.slug, "", "", "absent");
  const present = publicKey.apply((key) => planHubPeer(args.slug, key, args.spoke.address, "present", args.sshPort ?? 22));
  const peerScript = new command.remote.CopyToRemote(`${name}-wg-peer-script`, {
    connection: args.hubConnection, source: new pulumi.asset.StringAsset(absent.files[0].content), remotePath: absent.files[0].remotePath,
    triggers: [absent.trigger],
  }, opts);
  const peer = new command.remote.Command(`${name}-wg-peer`, {
    connection: args.hubConnection,
    create: present.apply((p) => p.command),
    delete: absent.command,
    triggers: [present.apply((p) => p.trigger)],
    logging: "stdoutAndStderr",
    // Old and new entry have the same name: created first, the old one's delete would take the spoke off.
  }, { ...opts, dependsOn: [peerScript, init], deleteBeforeReplace: true });
  // A jump host has no jump host of its own.
  const connection = pulumi.all([args.publicConnection, args.hubConnection])
    .apply(([spoke, hub]) => tunnelConnection(spoke, args.spoke.address, { ...hub, proxy: undefined } as command.types.input.remote.ProxyConnectionArgs));
  return { init, publicKey, peer, connection };
}

/** The hub's public addresses, as its server resource reports them. */
export interface HubAddresses {
  readonly ipv4: pulumi.Input<string>;
  readonly ipv6?: pulumi.Input<string>;
}

/**
 * The hub's side, after its base stages: its interface and bastion rule (jump sources: the
 * management CIDRs and the hub's own addresses); exports its public key. The resources are the
 * ones createStage makes (`<name>-wireguard-script`, `<name>-wireguard`), the command waiting for
 * the server's addresses.
 */
export function createWireguardHub(
  name: string, net: WireguardNetwork, managementCidrs: readonly string[], addresses: HubAddresses, args: StageResourceArgs, opts: pulumi.CustomResourceOptions = {},
): { readonly stage: command.remote.Command; readonly publicKey: pulumi.Output<string> } {
  const plan = pulumi.all([addresses.ipv4, addresses.ipv6]).apply(([v4, v6]) => planHubWireguard(net, hubJumpSources(managementCidrs, v4, v6)));
  // The script is the same whatever the sources; only the command carries them.
  const file = wgScript();
  const triggers = [plan.apply((p) => p.trigger), args.identity];
  const copy = new command.remote.CopyToRemote(`${name}-wireguard-${file.name}`, {
    connection: args.connection, source: new pulumi.asset.StringAsset(file.content), remotePath: file.remotePath, triggers,
  }, { ...opts, dependsOn: args.dependsOn });
  const stage = new command.remote.Command(`${name}-wireguard`, {
    connection: args.connection, create: plan.apply((p) => p.command), triggers, logging: "stdoutAndStderr",
  }, { ...opts, dependsOn: [copy, ...args.dependsOn] });
  return { stage, publicKey: stage.stdout.apply(parsePublicKey) };
}
