import * as pulumi from "@pulumi/pulumi";
import { Hub } from "../../components/hub/hub";
import { HubServerChoice } from "../../components/hub/server";
import { BACKUP_STATUS_FILE } from "../../components/hub/services";
import { REGIONS } from "../../tenants/catalog";
import { InvalidInputError } from "../../tenants/schema";
import { HubOutputs, HubStackOutputs, hubOutputsSchema } from "../../contracts/hub";
import { HubServerConfig, HubSettings, HubStackConfig, readHubConfig } from "./config";
import { DEFAULT_NETCUP_API_URL, DEFAULT_NETCUP_TOKEN_URL } from "../../contracts/netcup";

export { HubSettings, hubSettingsSchema, readHubConfig, readHubSettings } from "./config";


/** Every stack output as a Pulumi input: a missing or renamed output fails the build. */
export type ExportedHubOutputs = { readonly [K in keyof HubStackOutputs]: pulumi.Input<HubStackOutputs[K]> };

/** The parts of the tenant contract that come straight from config. */
export function hubContractOutputs(settings: HubSettings): HubOutputs {
  const hubUrl = `https://${settings.hubDomain}`;
  return hubOutputsSchema.parse({
    region: settings.region,
    hubUrl,
    tenantApiUrl: `${hubUrl}/api/v1/tenant`,
    cloudflareZoneId: settings.cloudflareZoneId,
    tenantBaseDomain: settings.tenantBaseDomain,
    managementCidrs: settings.managementCidrs,
    provisioningPublicKey: settings.provisioningPublicKey,
    registryHost: settings.registryHost,
    ...(settings.offsiteStorageBoxId !== undefined ? { offsiteStorageBoxId: settings.offsiteStorageBoxId } : {}),
  });
}

function serverChoice(config: HubStackConfig): HubServerChoice {
  const server: HubServerConfig = config.server;
  if (server.provider === "hetzner") {
    return { provider: "hetzner", serverType: server.serverType, location: server.location ?? REGIONS[config.settings.region].hetznerLocations[0] };
  }
  return {
    provider: "netcup",
    netcupServerName: server.netcupServerName,
    product: server.product,
    access: {
      apiUrl: server.netcupApiUrl ?? DEFAULT_NETCUP_API_URL,
      tokenUrl: server.netcupTokenUrl ?? DEFAULT_NETCUP_TOKEN_URL,
      refreshToken: config.netcupRefreshToken as pulumi.Output<string>,
    },
  };
}

/**
 * The hub provisions tenants over SSH (seed 001 §3.1), so its own addresses join the
 * management CIDRs tenants let reach their SSH.
 */
export function withHubAddresses(cidrs: readonly string[], ipv4: string, ipv6: string): string[] {
  const all = [...cidrs, `${ipv4}/32`, `${ipv6}/128`];
  const result = hubOutputsSchema.shape.managementCidrs.safeParse([...new Set(all)]);
  if (!result.success) {
    throw new InvalidInputError([{ source: "hub server addresses", path: "managementCidrs", message: result.error.issues[0].message }]);
  }
  return result.data;
}

/** The regional hub stack: the Hub component, and the contract tenants read. */
export async function hubProgram(): Promise<ExportedHubOutputs> {
  const config = readHubConfig();
  const { settings } = config;
  const contract = hubContractOutputs(settings);
  const hub = new Hub(`hub-${settings.region}`, {
    region: settings.region,
    domain: settings.hubDomain,
    tenantBaseDomain: settings.tenantBaseDomain,
    zoneId: settings.cloudflareZoneId,
    serverName: config.server.name,
    server: serverChoice(config),
    managementCidrs: settings.managementCidrs,
    provisioningPublicKey: settings.provisioningPublicKey,
    provisioningPrivateKey: config.provisioningPrivateKey,
    images: config.images,
    environment: config.environment,
    secretEnvironment: config.secretEnvironment,
    backup: { ...config.backup, rcloneConfig: config.rcloneConfig },
    acmeEmail: config.acmeEmail,
    acmeServer: config.acmeServer,
    issueCertificate: config.issueCertificate,
    cloudflareDnsToken: config.cloudflareDnsToken,
    protect: config.protect,
    wireguard: config.wireguard,
    snapshots: config.snapshots,
  });
  return {
    ...contract,
    managementCidrs: pulumi.all([hub.ipv4, hub.ipv6]).apply(([ipv4, ipv6]) => withHubAddresses(settings.managementCidrs, ipv4, ipv6)),
    hubIpv4: hub.ipv4,
    hubIpv6: hub.ipv6,
    hubServerId: hub.serverId,
    hubServerProvider: hub.provider as pulumi.Output<HubStackOutputs["hubServerProvider"]>,
    currentImages: hub.currentImages,
    previousImages: hub.previousImages,
    backupRemote: config.backup.rcloneRemote,
    backupStatusFile: BACKUP_STATUS_FILE,
    ...(hub.wireguard ? { wireguard: hub.wireguard } : {}),
  };
}
