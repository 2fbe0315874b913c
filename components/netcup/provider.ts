/**
 * `NetcupServer`: a Pulumi dynamic resource (type `pulumi-nodejs:dynamic/netcup:Server`) over the
 * SCP REST API. Create claims a pool server and installs it, read refreshes it, update changes the
 * hostname and rotates the provisioning key over SSH (a WireGuard spoke's through its hub), delete
 * wipes it and returns it to the pool (details in ./lifecycle, ./claim, ./keys and ./pool).
 *
 * The provider object is serialized with its closure into the `__provider` input, so its methods
 * only call the plain functions of ./lifecycle; there is exactly one provider object, which lets
 * the SDK serialize it once per process.
 */
import * as pulumi from "@pulumi/pulumi";
import { createServer, deleteServer, diffServer, readServer, updateServer } from "./lifecycle";
import type { NetcupServerInputs, NetcupServerOutputs, NetcupTuning } from "./lifecycle";
import type { SshJump } from "./keys";
import type { ClaimNamespace } from "./pool";

/**
 * Bump when the provider's behaviour changes; recorded in state, a change alone is a no-op update.
 * 1.3.0: a key rotation can go through a jump host to the tunnel address (`sshJump`, `sshTunnelAddress`).
 */
export const NETCUP_PROVIDER_VERSION = "1.3.0";

/** Image family installed unless told otherwise. */
export const DEFAULT_NETCUP_IMAGE = "Debian 13";

/**
 * The SSH route inputs: both or neither; the jump host as contracts/hub.ts hubWireguardSchema
 * describes `jump` (the pin in sshHostKeySchema's form). Values unknown in a preview pass.
 */
export function routeFailures(news: Partial<NetcupServerInputs>, unknown: (value: unknown) => boolean): pulumi.dynamic.CheckFailure[] {
  const failures: pulumi.dynamic.CheckFailure[] = [];
  const ipv4 = /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
  const jump = news.sshJump as Record<string, unknown> | undefined;
  const address = news.sshTunnelAddress;
  if ((jump === undefined) !== (address === undefined)) {
    failures.push({ property: jump === undefined ? "sshJump" : "sshTunnelAddress", reason: "sshJump and sshTunnelAddress go together: a spoke's SSH on its tunnel address is reached through the hub" });
  }
  if (address !== undefined && !unknown(address) && !ipv4.test(String(address))) {
    failures.push({ property: "sshTunnelAddress", reason: `"${String(address)}" must be an IPv4 address (the server's on the WireGuard network)` });
  }
  if (jump === undefined || unknown(jump)) return failures;
  if (typeof jump !== "object" || jump === null || Array.isArray(jump)) {
    failures.push({ property: "sshJump", reason: "must be an object {host, port, user, hostKey}" });
    return failures;
  }
  const extra = Object.keys(jump).filter((k) => !["host", "port", "user", "hostKey"].includes(k));
  if (extra.length > 0) failures.push({ property: "sshJump", reason: `unknown field(s) ${extra.join(", ")}; expected host, port, user, hostKey` });
  const field = (name: string, ok: (v: unknown) => boolean, reason: string) => {
    if (!unknown(jump[name]) && !ok(jump[name])) failures.push({ property: `sshJump.${name}`, reason });
  };
  field("host", (v) => ipv4.test(String(v ?? "")), "must be the jump host's IPv4 address");
  field("port", (v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65535, "must be a port (an integer of 1 to 65535)");
  field("user", (v) => /^[a-z_][a-z0-9_-]*$/.test(String(v ?? "")), "must be a user name");
  field("hostKey", (v) => /^ecdsa-sha2-nistp256 [A-Za-z0-9+/]+={0,2}$/.test(String(v ?? "")), "must be the jump host's ecdsa-sha2-nistp256 host key (type and base64)");
  return failures;
}

const netcupProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: NetcupServerInputs, news: NetcupServerInputs) {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    // The engine's placeholder for values not known yet during a preview.
    const unknown = (value: unknown) => value === "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    const fqdn = /^(?=.{1,253}$)((?!-)[a-zA-Z0-9-]{1,63}(?<!-)\.)+[a-zA-Z]{2,63}$/;
    if (!unknown(news.hostname) && !fqdn.test(String(news.hostname ?? ""))) {
      failures.push({ property: "hostname", reason: `"${String(news.hostname)}" must be a fully qualified domain name (it becomes the IPv4 rDNS)` });
    }
    if (!unknown(news.sshPublicKey) && !/^(ssh-(ed25519|rsa)|ecdsa-sha2-nistp\d+) [A-Za-z0-9+/=]+/.test(String(news.sshPublicKey ?? ""))) {
      failures.push({ property: "sshPublicKey", reason: "must be an OpenSSH public key (ssh-ed25519, ssh-rsa or ecdsa)" });
    }
    if (!unknown(news.owner) && !/^[a-z][a-z0-9-]{1,30}[a-z0-9]$/.test(String(news.owner ?? ""))) {
      failures.push({ property: "owner", reason: "must be a tenant slug" });
    }
    if (news.namespace !== undefined && !unknown(news.namespace) && news.namespace !== "tenant" && news.namespace !== "hub") {
      failures.push({ property: "namespace", reason: `"${String(news.namespace)}" must be "tenant" or "hub"` });
    }
    failures.push(...routeFailures(news, unknown));
    return { inputs: news, failures };
  },
  async create(inputs: NetcupServerInputs) {
    return createServer(inputs);
  },
  async read(id: string, props: NetcupServerOutputs) {
    return readServer(id, props);
  },
  async diff(_id: string, olds: NetcupServerOutputs, news: NetcupServerInputs) {
    return diffServer(olds, news);
  },
  async update(id: string, olds: NetcupServerOutputs, news: NetcupServerInputs) {
    return updateServer(id, olds, news);
  },
  async delete(id: string, props: NetcupServerOutputs) {
    await deleteServer(id, props);
  },
};

export interface NetcupServerArgs {
  /** LetsBe region id (`eu`, `us`). */
  readonly region: pulumi.Input<string>;
  /** Netcup site of the region (`site.city`, e.g. `Nuremberg`). */
  readonly site: pulumi.Input<string>;
  /** SCP template name of the tier's product, e.g. `RS 4000 G12`. */
  readonly product: pulumi.Input<string>;
  /** Tenant slug (or hub server name) the server is claimed for. */
  readonly owner: pulumi.Input<string>;
  /** Whose claim: `tenant` (default, `letsbe-tenant:<owner>`) or `hub` (`letsbe-hub:<owner>`). A change re-marks the server in place. */
  readonly namespace?: pulumi.Input<ClaimNamespace>;
  /** Adopt this pool server (SCP name `v...`) instead of any free one. */
  readonly serverName?: pulumi.Input<string>;
  /** FQDN set as hostname and IPv4 rDNS. */
  readonly hostname: pulumi.Input<string>;
  /** Provisioning SSH public key installed for root; a change is written to authorized_keys over SSH, never a reinstall. */
  readonly sshPublicKey: pulumi.Input<string>;
  /** Private key of the provisioning pair; stored as a secret, used to log in for a key rotation. */
  readonly sshPrivateKey?: pulumi.Input<string>;
  /** SSH port of the server, for a key rotation. Default - 22. */
  readonly sshPort?: pulumi.Input<number>;
  /** A WireGuard spoke's hub as jump host (pinned) for a key rotation; with `sshTunnelAddress`. A change is a no-op update. Default - none. */
  readonly sshJump?: pulumi.Input<SshJump>;
  /** The server's tunnel address, where its sshd listens once switched; with `sshJump`. Default - none (the public IPv4). */
  readonly sshTunnelAddress?: pulumi.Input<string>;
  /** Image family, matched by name against the server's flavours. Default - `Debian 13`. */
  readonly image?: pulumi.Input<string>;
  /** SCP API base, e.g. `https://www.servercontrolpanel.de/scp-core`. */
  readonly apiUrl: pulumi.Input<string>;
  /** Token endpoint of the realm `scp`. */
  readonly tokenUrl: pulumi.Input<string>;
  /** Offline refresh token; stored as a secret. */
  readonly refreshToken: pulumi.Input<string>;
  /** Poll, settle and retry timings; tests and benchmarks only. */
  readonly tuning?: NetcupTuning;
}

export class NetcupServer extends pulumi.dynamic.Resource {
  declare readonly serverId: pulumi.Output<string>;
  declare readonly serverName: pulumi.Output<string>;
  declare readonly ipv4: pulumi.Output<string>;
  declare readonly ipv6: pulumi.Output<string>;
  declare readonly site: pulumi.Output<string>;
  declare readonly product: pulumi.Output<string>;
  declare readonly hostname: pulumi.Output<string>;
  declare readonly imageFlavour: pulumi.Output<string>;
  declare readonly installedAt: pulumi.Output<string>;

  constructor(name: string, args: NetcupServerArgs, opts?: pulumi.CustomResourceOptions) {
    const props = {
      ...args,
      image: args.image ?? DEFAULT_NETCUP_IMAGE,
      refreshToken: pulumi.secret(args.refreshToken),
      sshPrivateKey: args.sshPrivateKey === undefined ? undefined : pulumi.secret(args.sshPrivateKey),
      providerVersion: NETCUP_PROVIDER_VERSION,
      serverName: args.serverName,
      // Output-only properties, registered so the engine fills them.
      serverId: undefined,
      ipv4: undefined,
      ipv6: undefined,
      imageFlavour: undefined,
      imageFlavourId: undefined,
      installedAt: undefined,
    };
    super(netcupProvider, name, props, { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "refreshToken", "sshPrivateKey"] }, "netcup", "Server");
  }
}
