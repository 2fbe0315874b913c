import * as pulumi from "@pulumi/pulumi";

/** What the rest of a tenant needs from its server, whichever provider runs it. */
export interface Vps {
  readonly provider: "netcup" | "hetzner";
  readonly serverId: pulumi.Output<string>;
  readonly ipv4: pulumi.Output<string>;
  readonly ipv6: pulumi.Output<string>;
  /** When the provider last installed the server (Netcup); with the id it names one installation. */
  readonly installedAt?: pulumi.Output<string>;
  /** The resource that is the server; DNS and host stages depend on it. */
  readonly server: pulumi.Resource;
}
