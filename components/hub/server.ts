import * as pulumi from "@pulumi/pulumi";
import { HOST_IMAGE } from "../../tenants/catalog";
import { createHetznerVps } from "../hetzner/server";
import type { NetcupAccess } from "../tenant/tenant";
import { Vps } from "../vps";

/** Where the hub runs. */
export type HubServerChoice =
  /** A Netcup root server on contract, adopted by its SCP name (production). */
  | { readonly provider: "netcup"; readonly netcupServerName: string; readonly access: NetcupAccess }
  /** A Hetzner Cloud server this stack creates (staging, or until a Netcup server is bought). */
  | { readonly provider: "hetzner"; readonly serverType: string; readonly location: string };

export interface HubServerArgs {
  /** Hostname of the hub, e.g. `letsbe-hub-eu`. */
  readonly name: string;
  readonly choice: HubServerChoice;
  /** Provisioning public key for root. */
  readonly sshPublicKey: string;
  /** Sources allowed to reach SSH. */
  readonly managementCidrs: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  /** Protect the server and its addresses. Default - true. */
  readonly protect?: boolean;
}

export function createHubServer(resourceName: string, args: HubServerArgs, parent: pulumi.Resource): Vps {
  const choice = args.choice;
  switch (choice.provider) {
    case "hetzner":
      // Same firewall as a tenant: 80/443 from anywhere (nginx), SSH from management only.
      return createHetznerVps(resourceName, {
        name: args.name,
        serverType: choice.serverType,
        location: choice.location,
        image: HOST_IMAGE.hetzner,
        sshPublicKey: args.sshPublicKey,
        managementCidrs: args.managementCidrs,
        labels: args.labels,
        protect: args.protect,
      }, parent);
    case "netcup":
      throw new pulumi.InputPropertyError({
        propertyPath: "server.provider",
        reason: `hub "${args.name}": adopting Netcup server "${choice.netcupServerName}" needs the Netcup server component (components/netcup), which is not in this build yet; use provider "hetzner"`,
      });
  }
}
