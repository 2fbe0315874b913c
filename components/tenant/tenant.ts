import * as pulumi from "@pulumi/pulumi";
import { HubOutputs } from "../../stacks/contract";
import { HOST_IMAGE, REGIONS, ReleasePins, TIERS, hasMailTool } from "../../tenants/catalog";
import { TenantSpec } from "../../tenants/schema";
import { createTenantDns } from "../dns/records";
import { createHetznerVps } from "../hetzner/server";
import { createNetcupVps } from "../netcup/vps";
import { Vps } from "../vps";

/** Mail ports opened when a mail tool is chosen: SMTP, submission, IMAPS. */
export const MAIL_PORTS = [25, 465, 587, 993] as const;

export interface NetcupAccess {
  /** SCP REST API base, e.g. `https://www.servercontrolpanel.de/scp-core`. */
  readonly apiUrl: string;
  /** OIDC token endpoint of the `scp` realm. */
  readonly tokenUrl: string;
  /** Offline refresh token of the SCP account (secret). */
  readonly refreshToken: pulumi.Input<string>;
}

export interface TenantArgs {
  /** The validated tenant spec (validated once, at the edge). */
  readonly spec: TenantSpec;
  /** The regional Hub's outputs (the stack contract). */
  readonly hub: HubOutputs;
  /** Release pins the tenant runs. */
  readonly release: ReleasePins;
  /** Netcup API access; required when `spec.provider` is `netcup`. */
  readonly netcup?: NetcupAccess;
  /** Protect the server and its addresses from deletion. Default - true. */
  readonly protect?: boolean;
}

/** One customer: a VPS, DNS to it, and (later stages) the host and its compose stack. */
export class Tenant extends pulumi.ComponentResource {
  declare readonly ipv4: pulumi.Output<string>;
  declare readonly ipv6: pulumi.Output<string>;
  declare readonly serverId: pulumi.Output<string>;
  declare readonly provider: pulumi.Output<string>;

  constructor(name: string, args: TenantArgs, opts?: pulumi.ComponentResourceOptions) {
    super("letsbe:tenant:Tenant", name, {}, opts);
    const { spec, hub } = args;

    const vps = createVps(name, args, this);
    const dns = createTenantDns(name, {
      zoneId: spec.cloudflareZoneId ?? hub.cloudflareZoneId,
      domain: spec.domain,
      ipv4: vps.ipv4,
      ipv6: vps.ipv6,
      mail: hasMailTool(spec.tools),
    }, { parent: this, dependsOn: [vps.server] });
    void dns;

    const outputs = {
      ipv4: vps.ipv4,
      ipv6: vps.ipv6,
      serverId: vps.serverId,
      provider: pulumi.output(vps.provider),
    };
    Object.assign(this, outputs);
    this.registerOutputs(outputs);
  }
}

function createVps(name: string, args: TenantArgs, parent: pulumi.Resource): Vps {
  const { spec, hub } = args;
  const labels = { tenant: spec.slug, region: spec.region, tier: spec.tier, group: spec.group, "managed-by": "letsbe" };
  switch (spec.provider) {
    case "hetzner":
      return createHetznerVps(name, {
        name: spec.slug,
        serverType: TIERS[spec.tier].hetznerServerType,
        location: REGIONS[spec.region].hetznerLocations[0],
        image: HOST_IMAGE.hetzner,
        sshPublicKey: hub.provisioningPublicKey,
        managementCidrs: hub.managementCidrs,
        extraPublicTcpPorts: hasMailTool(spec.tools) ? MAIL_PORTS : [],
        labels,
        protect: args.protect,
      }, parent);
    case "netcup":
      if (!args.netcup) {
        throw new pulumi.InputPropertyError({ propertyPath: "netcup", reason: `tenant "${spec.slug}" runs on Netcup but no Netcup API access was given` });
      }
      return createNetcupVps(name, {
        owner: spec.slug,
        region: spec.region,
        site: REGIONS[spec.region].netcupSite,
        product: TIERS[spec.tier].netcupProduct,
        hostname: spec.domain,
        sshPublicKey: hub.provisioningPublicKey,
        image: HOST_IMAGE.netcup,
        apiUrl: args.netcup.apiUrl,
        tokenUrl: args.netcup.tokenUrl,
        refreshToken: args.netcup.refreshToken,
        protect: args.protect,
      }, parent);
  }
}
