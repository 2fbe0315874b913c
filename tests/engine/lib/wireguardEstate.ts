/**
 * The estate of the WireGuard scenarios: the real hub stack (`prod-eu`, its Netcup server adopted
 * from the fake SCP) with `letsbe-hub:wireguard`, and Netcup tenant stacks as the order flow leaves
 * them. The estate's hosts are containers on a kernel without the wireguard module: wireguard-go
 * runs there, so each container gets /dev/net/tun as it starts (the kernel module in production).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { dump } from "js-yaml";
import { docker } from "../../host/lib/infra";
import { ESTATE_NETWORK, Estate, ZONE_NAME, estateTenantBaseDomain, startEstate, stopEstate } from "./estate";
import { ESTATE_ORG } from "./hub";
import { estateHubConfig, estateHubImages, hubWorkDir, initHubStack, projectWorkDir, pulumiAsync } from "./hubStack";

export const WG_HUB_STACK = "prod-eu";
export const WG_NETWORK = "10.200.0.0/16";
/** The hub's own address on WG_NETWORK (its first). */
export const WG_HUB_TUNNEL = "10.200.0.1";

export interface WireguardEstate {
  readonly estate: Estate;
  /** The hub stack's checkout (stack WG_HUB_STACK initialised, secrets set, not up yet). */
  readonly hubDir: string;
  /** The hub server's public address (its pool server's). */
  readonly hubAddress: string;
}

/** The estate with the tun device hook and the WireGuard hub's stack, ready for its `up`. */
export async function startWireguardEstate(prefix: string): Promise<WireguardEstate> {
  const estate = await startEstate(prefix, { hub: "none" });
  try {
    // The fakes start hosts through fleet.start (install and create): the device is made right after.
    const start = estate.fleet.start.bind(estate.fleet);
    estate.fleet.start = async (...args) => {
      const host = await start(...args);
      docker("exec", host.name, "sh", "-c", "mkdir -p /dev/net && [ -c /dev/net/tun ] || mknod -m 0666 /dev/net/tun c 10 200");
      return host;
    };
    const server = estate.addPoolServer({ product: "RS 2000 G12", site: "Nuremberg" });
    const hubConfig = {
      ...estateHubConfig({
        stack: WG_HUB_STACK, zoneId: estate.zoneId, zoneName: ZONE_NAME, managementCidrs: [`${ESTATE_NETWORK.gateway}/32`],
        publicKey: estate.publicKey, registryHost: `127.0.0.1:${estate.registryPort}`,
        netcupServerName: server.name, netcupApiUrl: estate.scp.apiUrl, netcupTokenUrl: estate.scp.tokenUrl,
        cloudflareApiUrl: estate.cloudflare.apiUrl, images: estateHubImages(estate.pins, "s1"),
      }),
      "letsbe-hub:wireguard": { network: WG_NETWORK },
    };
    const hubDir = hubWorkDir(WG_HUB_STACK, hubConfig);
    await initHubStack(estate.engine, hubDir, WG_HUB_STACK, {
      "letsbe-hub:provisioningPrivateKey": estate.privateKey,
      "letsbe-hub:netcupRefreshToken": estate.scp.refreshToken,
      "letsbe-hub:rcloneConfig": "[offsite]\ntype = local\n",
      "letsbe-hub:cloudflareDnsToken": "cf-hub-dns-token-wg-estate",
      "cloudflare:apiToken": estate.cloudflare.token,
    });
    return { estate, hubDir, hubAddress: server.ipv4 };
  } catch (error) {
    await stopEstate(estate);
    throw error;
  }
}

/**
 * A Netcup tenant stack as the order flow leaves it (tenantStackConfig + the estate's settings) in
 * a checkout of its own, initialised with the estate's secrets; returns the checkout. A tunnel
 * address is the one the flow allocates, here given directly (the allocation is the flow's test);
 * without one, the tenant is one ordered before its region had a WireGuard network.
 */
export async function initNetcupTenant(estate: Estate, slug: string, tunnelAddress?: string): Promise<string> {
  const dir = projectWorkDir("letsbe-tenant");
  const pins = estate.pins;
  writeFileSync(join(dir, `Pulumi.${slug}.yaml`), dump({ config: {
    "letsbe-tenant:spec": {
      slug, domain: `${slug}.${estateTenantBaseDomain("eu")}`, region: "eu", tier: "lite", provider: "netcup",
      tools: ["uptime_kuma"], contactEmail: "ops@example.net", createdAt: "2026-12-01",
    },
    "letsbe-tenant:hubOrg": ESTATE_ORG,
    "letsbe-tenant:release": { openclaw: pins["letsbe/openclaw:s1"], safetyWrapper: pins["letsbe/safety-wrapper:s1"], secretsProxy: pins["letsbe/secrets-proxy:s1"] },
    "letsbe-tenant:images": JSON.stringify({ tools: { uptime_kuma: pins["tools/uptime_kuma:s1"] } }),
    "letsbe-tenant:netcupApiUrl": estate.scp.apiUrl,
    "letsbe-tenant:netcupTokenUrl": estate.scp.tokenUrl,
    "letsbe-tenant:issueCertificate": "false",
    ...(tunnelAddress ? { "letsbe-tenant:tunnelAddress": tunnelAddress } : {}),
    "cloudflare:baseUrl": estate.cloudflare.apiUrl,
  } }, { lineWidth: -1 }));
  await pulumiAsync(estate.engine, ["stack", "init", slug, "--non-interactive"], dir);
  for (const [key, value] of Object.entries(estate.secrets).filter(([k]) => !k.startsWith("hcloud:"))) {
    await pulumiAsync(estate.engine, ["config", "set", "--secret", key, "--stack", slug, "--non-interactive"], dir, value);
  }
  return dir;
}
