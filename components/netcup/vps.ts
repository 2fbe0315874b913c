import * as pulumi from "@pulumi/pulumi";
import { Vps } from "../vps";
import type { SshJump } from "./keys";
import type { NetcupTuning } from "./lifecycle";
import type { ClaimNamespace } from "./pool";
import { NetcupServer } from "./provider";

export interface NetcupVpsArgs {
  /** Tenant slug (or the hub's server name); the server is claimed as `letsbe-<namespace>:<owner>`. */
  readonly owner: string;
  /** Claim namespace. Default - `tenant`; the hub passes `hub`. */
  readonly namespace?: ClaimNamespace;
  /** LetsBe region id. */
  readonly region: string;
  /** Netcup site of the region (from the catalog). */
  readonly site: string;
  /** SCP product (template name) of the tier (from the catalog). */
  readonly product: string;
  /** FQDN for hostname and rDNS; the tenant's domain. */
  readonly hostname: string;
  /** Provisioning SSH public key. */
  readonly sshPublicKey: string;
  /** Private key of the provisioning pair (secret); lets a key rotation log in instead of replacing the server. */
  readonly sshPrivateKey?: pulumi.Input<string>;
  /** SSH port of the server. Default - 22. */
  readonly sshPort?: number;
  /** A WireGuard spoke: key rotations go through its hub (the jump host) to `sshTunnelAddress`. Default - none. */
  readonly sshJump?: SshJump;
  /** The spoke's tunnel address; with `sshJump`. */
  readonly sshTunnelAddress?: string;
  /** Image family. Default - `Debian 13`. */
  readonly image?: string;
  /** Adopt this named pool server instead of any free one. */
  readonly serverName?: string;
  readonly apiUrl: string;
  readonly tokenUrl: string;
  /** Offline refresh token (secret). */
  readonly refreshToken: pulumi.Input<string>;
  /** Protect the server from deletion. Default - true. */
  readonly protect?: boolean;
  readonly tuning?: NetcupTuning;
}

/** A Netcup pool server behind the provider-neutral VPS interface. */
export function createNetcupVps(resourceName: string, args: NetcupVpsArgs, parent: pulumi.Resource): Vps {
  const server = new NetcupServer(`${resourceName}-server`, {
    region: args.region,
    site: args.site,
    product: args.product,
    owner: args.owner,
    ...(args.namespace ? { namespace: args.namespace } : {}),
    serverName: args.serverName,
    hostname: args.hostname,
    sshPublicKey: args.sshPublicKey,
    sshPrivateKey: args.sshPrivateKey,
    sshPort: args.sshPort,
    sshJump: args.sshJump,
    sshTunnelAddress: args.sshTunnelAddress,
    image: args.image,
    apiUrl: args.apiUrl,
    tokenUrl: args.tokenUrl,
    refreshToken: args.refreshToken,
    tuning: args.tuning,
    // Delete first: a create adopts a server already claimed for its owner (one a killed run left),
    // which during a replacement is the live one, and the old resource's delete would then wipe the
    // server its successor had just installed (a named server, the hub's, can only be that one).
  }, { parent, protect: args.protect ?? true, deleteBeforeReplace: true });
  return { provider: "netcup", serverId: server.serverId, ipv4: server.ipv4, ipv6: server.ipv6, installedAt: server.installedAt, server };
}
