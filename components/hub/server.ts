import * as pulumi from "@pulumi/pulumi";
import { HOST_IMAGE, REGIONS, RegionId } from "../../tenants/catalog";
import { createHetznerVps } from "../hetzner/server";
import { createNetcupVps } from "../netcup/vps";
import type { NetcupAccess } from "../tenant/tenant";
import { Vps } from "../vps";

/** Where the hub runs. */
export type HubServerChoice =
  /** A Netcup root server on contract, adopted by its SCP name (production). */
  | { readonly provider: "netcup"; readonly netcupServerName: string; readonly product: string; readonly access: NetcupAccess }
  /** A Hetzner Cloud server this stack creates (staging, or until a Netcup server is bought). */
  | { readonly provider: "hetzner"; readonly serverType: string; readonly location: string };

export interface HubServerArgs {
  /** Hostname of the hub, e.g. `letsbe-hub-eu`. */
  readonly name: string;
  readonly region: RegionId;
  /** FQDN of the hub (hostname and reverse DNS on Netcup). */
  readonly fqdn: string;
  readonly choice: HubServerChoice;
  /** Provisioning public key for root. */
  readonly sshPublicKey: string;
  /** Its private half (secret): a Netcup key rotation logs in with it to rewrite authorized_keys. */
  readonly sshPrivateKey: pulumi.Input<string>;
  /** Sources allowed to reach SSH. */
  readonly managementCidrs: readonly string[];
  /** The WireGuard hub's UDP port, open to everyone on Hetzner's firewall. Default - none. */
  readonly wireguardPort?: number;
  readonly labels: Readonly<Record<string, string>>;
  /** Protect the server and its addresses. Default - true. */
  readonly protect?: boolean;
}

export function createHubServer(resourceName: string, args: HubServerArgs, parent: pulumi.Resource): Vps {
  const choice = args.choice;
  switch (choice.provider) {
    case "hetzner":
      // Same firewall as a tenant: 80/443 from anywhere (nginx), SSH from management only, and
      // the WireGuard port when the region has its management network.
      return createHetznerVps(resourceName, {
        name: args.name,
        serverType: choice.serverType,
        location: choice.location,
        image: HOST_IMAGE.hetzner,
        sshPublicKey: args.sshPublicKey,
        managementCidrs: args.managementCidrs,
        wireguardPort: args.wireguardPort,
        labels: args.labels,
        protect: args.protect,
      }, parent);
    case "netcup":
      // Adopted by name: the contract server is claimed for the hub, never ordered. Netcup has
      // no cloud firewall; the host's own firewall stage closes everything but 22, 80, 443 (and
      // the WireGuard port, LB_PUBLIC_UDP_PORTS).
      return createNetcupVps(resourceName, {
        owner: args.name,
        // Its own namespace: a tenant whose slug equals the hub's name can never adopt this server.
        namespace: "hub",
        region: args.region,
        site: REGIONS[args.region].netcupSite,
        product: choice.product,
        hostname: args.fqdn,
        sshPublicKey: args.sshPublicKey,
        sshPrivateKey: args.sshPrivateKey,
        image: HOST_IMAGE.netcup,
        serverName: choice.netcupServerName,
        apiUrl: choice.access.apiUrl,
        tokenUrl: choice.access.tokenUrl,
        refreshToken: choice.access.refreshToken,
        protect: args.protect,
      }, parent);
  }
}
