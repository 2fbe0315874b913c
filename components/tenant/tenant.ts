import * as pulumi from "@pulumi/pulumi";
import { HubOutputs } from "../../contracts/hub";
import { HOST_IMAGE, REGIONS, ReleasePins, TIERS, hasMailTool } from "../../tenants/catalog";
import { ResolvedImages } from "../../tenants/release";
import { TenantSpec } from "../../tenants/schema";
import { OffsiteSettings, tenantOffsite } from "../backup/offsite";
import { createTenantDns } from "../dns/records";
import { createDnsToken } from "../dns/token";
import { createDelegation, tenantZone } from "../dns/zone";
import { renderCompose } from "../compose/render";
import { HostStagesArgs, createHostStages, pinnedConnection, serverIdentity } from "../host";
import { createWireguardSpoke, spokeAddressProblem } from "../hub/wireguard";
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
  /** Tool and sidecar images. Default - the catalog's. */
  readonly images?: ResolvedImages;
  /** Netcup API access; required when `spec.provider` is `netcup`. */
  readonly netcup?: NetcupAccess;
  /** Protect the server and its addresses from deletion. Default - true. */
  readonly protect?: boolean;
  /** Bootstrap and compose over SSH; without it the Tenant manages only the server and DNS. */
  readonly host?: TenantHostArgs;
}

export interface TenantHostArgs {
  /** OpenSSH private key of the provisioning key pair (secret). */
  readonly provisioningPrivateKey: pulumi.Input<string>;
  /** Token the host registers with the Hub (secret). */
  readonly registrationToken?: pulumi.Input<string>;
  /** SSH port of the server. Default - 22. */
  readonly sshPort?: number;
  /** How long the compose health gate waits, seconds. Default - 600. */
  readonly composeWaitTimeoutS?: number;
  /** Request the wildcard certificate in bootstrap (false: a zone not delegated yet). Default - true. */
  readonly issueCertificate?: boolean;
  /** rclone `remote:path` of the daily backup's off-site copy. Default - none (the backup unit fails, saying so). */
  readonly backupRemote?: string;
  /** rclone.conf defining that remote (secret). */
  readonly backupRcloneConfig?: pulumi.Input<string>;
  /** The region's Storage Box: the tenant's own subaccount becomes the backup's remote (then neither of the two above). Default - none. */
  readonly offsite?: OffsiteSettings;
  /**
   * This host's address on the region's WireGuard network (`hub.wireguard` must be set): every
   * stage after first contact goes through the hub, and SSH moves onto the tunnel. Default - none.
   */
  readonly tunnelAddress?: string;
}

/** One customer: a VPS, DNS to it, and (later stages) the host and its compose stack. */
export class Tenant extends pulumi.ComponentResource {
  declare readonly ipv4: pulumi.Output<string>;
  declare readonly ipv6: pulumi.Output<string>;
  declare readonly serverId: pulumi.Output<string>;
  declare readonly provider: pulumi.Output<string>;
  declare readonly release: pulumi.Output<unknown>;
  declare readonly previousRelease: pulumi.Output<unknown>;

  constructor(name: string, args: TenantArgs, opts?: pulumi.ComponentResourceOptions) {
    super("letsbe:tenant:Tenant", name, {}, opts);
    const { spec, hub } = args;

    const vps = createVps(name, args, this);
    // After the server: an order that finds no server leaves no zone, and the order's states stay in step.
    const zone = tenantZone(`${name}-zone`, { domain: spec.domain, ownZoneId: spec.cloudflareZoneId, platformZoneId: hub.cloudflareZoneId, protect: args.protect }, { parent: this, dependsOn: [vps.server] });
    // Delete before replace: a record moving into the child zone frees its name in the platform
    // zone before the delegation's NS records (made after the records) take it.
    const records = createTenantDns(name, {
      zoneId: zone.zoneId,
      domain: spec.domain,
      ipv4: vps.ipv4,
      ipv6: vps.ipv6,
      mail: hasMailTool(spec.tools),
    }, { parent: this, dependsOn: [vps.server], deleteBeforeReplace: true });
    const dns = zone.child ? [...records, ...createDelegation(`${name}-zone`, zone.child.zone, zone.child.args, { parent: this, dependsOn: records })] : records;

    const host = args.host ? createTenantHost(name, args, args.host, vps, dns, zone.zoneId, this) : undefined;

    const outputs = {
      ipv4: vps.ipv4,
      ipv6: vps.ipv6,
      serverId: vps.serverId,
      provider: pulumi.output(vps.provider),
      // The pins the compose stage applied (it fails unless they run healthy) and the ones before.
      release: host ? host.release : pulumi.output(null),
      previousRelease: host ? host.previousRelease : pulumi.output(null),
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
        sshPort: args.host?.sshPort,
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
        // Lets a key rotation rewrite authorized_keys over SSH instead of replacing the server.
        sshPrivateKey: args.host?.provisioningPrivateKey,
        sshPort: args.host?.sshPort,
        // A spoke's SSH moves onto its tunnel address: a key rotation goes through the hub then.
        ...(args.host?.tunnelAddress !== undefined && hub.wireguard ? { sshJump: hub.wireguard.jump, sshTunnelAddress: args.host.tunnelAddress } : {}),
        image: HOST_IMAGE.netcup,
        apiUrl: args.netcup.apiUrl,
        tokenUrl: args.netcup.tokenUrl,
        refreshToken: args.netcup.refreshToken,
        protect: args.protect,
      }, parent);
  }
}

/** Bootstrap stages and the compose stack on the tenant's server; compose also waits for DNS. */
function createTenantHost(name: string, args: TenantArgs, host: TenantHostArgs, vps: Vps, dns: pulumi.Resource[], zoneId: pulumi.Input<string>, parent: pulumi.Resource) {
  const { spec, hub } = args;
  const mail = hasMailTool(spec.tools);
  // Every tenant's host gets a token on the tenant's own zone alone (its own or its child zone),
  // minted by its own stack; never a platform-zone credential (README, Security).
  const dnsToken = createDnsToken(`${name}-dns01-token`, { zoneId, name: `letsbe-tenant-${spec.slug}-dns01` }, { parent }).value;
  const offsite = tenantOffsite(name, { slug: spec.slug, offsite: host.offsite, backupRemote: host.backupRemote, backupRcloneConfig: host.backupRcloneConfig }, parent);
  const stages = createHostStages(`${name}-host`, {
    connection: { host: vps.ipv4, port: host.sshPort, privateKey: host.provisioningPrivateKey },
    server: vps,
    params: {
      hostname: spec.slug,
      domain: spec.domain,
      managementCidrs: hub.managementCidrs,
      sshPort: host.sshPort,
      publicTcpPorts: mail ? MAIL_PORTS : [],
      acmeEmail: spec.contactEmail,
      issueCertificate: host.issueCertificate,
      backupRemote: offsite.backupRemote,
      // Only on a spoke: a tunnel address its hub has no network for yet changes nothing on the host.
      ...(host.tunnelAddress && args.hub.wireguard ? { sshTunnelAddress: host.tunnelAddress } : {}),
    },
    secrets: { cloudflareDnsToken: dnsToken, registrationToken: host.registrationToken, backupRcloneConfig: offsite.backupRcloneConfig },
    // The records and a child zone's delegation first: the tls stage's DNS-01 challenge is only
    // found through the delegation.
    dependsOn: [vps.server, ...dns],
    viaTunnel: spokeOf(name, args, host, vps, parent),
    compose: {
      rendered: renderCompose({ slug: spec.slug, domain: spec.domain, tools: spec.tools, release: args.release, ...args.images }),
      waitTimeoutS: host.composeWaitTimeoutS,
      dependsOn: dns,
    },
  }, { parent });
  offsite.attach(stages.base);
  return stages;
}

/**
 * A spoke of the region's WireGuard network, when the tenant has a tunnel address: first contact
 * on the public address, the peer on the hub, then the tunnel through the hub for every stage.
 * A tunnel address while the hub exports no network yet (the order flow allocates from the hub's
 * committed config, which may be merged before the hub's `up`) keeps the tenant on its public SSH,
 * with a warning; its first `up` after the hub exports the network makes it a spoke.
 */
function spokeOf(name: string, args: TenantArgs, host: TenantHostArgs, vps: Vps, parent: pulumi.Resource): HostStagesArgs["viaTunnel"] {
  const wg = args.hub.wireguard;
  if (host.tunnelAddress === undefined) return undefined;
  const address = host.tunnelAddress;
  if (!wg) {
    pulumi.log.warn(`tenant "${args.spec.slug}" has tunnel address ${address} but its hub exports no WireGuard network yet: SSH stays on the public address; it switches to the tunnel at its first \`up\` after the hub exports its network`, parent);
    return undefined;
  }
  const problem = spokeAddressProblem(wg.network, address);
  if (problem) throw new pulumi.InputPropertyError({ propertyPath: "host.tunnelAddress", reason: `tenant "${args.spec.slug}": ${problem}` });
  const endpointHost = wg.endpoint.slice(0, wg.endpoint.lastIndexOf(":"));
  const hubConnection = pinnedConnection({ host: wg.jump.host, port: wg.jump.port, user: wg.jump.user, privateKey: host.provisioningPrivateKey }, wg.jump.hostKey);
  return (pinned, hostKey) => {
    const spoke = createWireguardSpoke(`${name}-host`, {
      slug: args.spec.slug,
      spoke: { network: { network: wg.network, port: wg.port }, address, hubEndpoint: endpointHost, hubPublicKey: wg.publicKey },
      sshPort: host.sshPort,
      publicConnection: pinned,
      hubConnection,
      identity: serverIdentity(vps),
      dependsOn: [hostKey],
    }, { parent });
    return { connection: spoke.connection, ready: spoke.peer };
  };
}
