/**
 * Tunnel addresses on a region's WireGuard management network: a new tenant gets the lowest spoke
 * address no active tenant of its region holds in the fleet's record (each stack's
 * `letsbe-tenant:tunnelAddress`); an existing tenant keeps its own; a destroyed one holds none.
 */
import { z } from "zod";
import { allocateTunnelAddress, spokeAddressProblem } from "../../components/hub/wireguard";
import { TENANT_PROJECT, wireguardCidrSchema } from "../../contracts/hub";
import { TENANT_CONFIG } from "../../contracts/tenantStack";
import { InputProblem, InvalidInputError } from "../../tenants/schema";
import { readHubStackFile } from "./hubStackFile";
import type { TenantRecord } from "./store";

export const TUNNEL_ADDRESS_CONFIG = `${TENANT_PROJECT}:${TENANT_CONFIG.tunnelAddress}`;

/** A region's WireGuard network (CIDR), or undefined while its hub has none. */
export type WireguardNetworkSource = (region: string) => string | undefined;

const hubWireguardSettings = z.object({
  config: z.object({ "letsbe-hub:wireguard": z.object({ network: wireguardCidrSchema }).optional() }).optional(),
});

/**
 * The network from the hub's committed stack config (`letsbe-hub:wireguard` in `Pulumi.prod-<region>.yaml`),
 * which the hub program exports as the contract's `wireguard.network`. A file that is not YAML is the
 * plan's to report (undefined here); a `letsbe-hub:wireguard` that is there but malformed is an error.
 */
export function repoWireguardNetwork(region: string, root?: string): string | undefined {
  const hub = readHubStackFile(region, root);
  if (!hub) return undefined;
  const parsed = hubWireguardSettings.safeParse(hub.doc);
  if (!parsed.success) {
    throw new InvalidInputError(parsed.error.issues.map((i) => ({ source: hub.file, path: i.path.map(String).join("."), message: i.message })));
  }
  return parsed.data.config?.["letsbe-hub:wireguard"]?.network;
}

/**
 * `record` with a tunnel address: its own if it has one, else the lowest free one of `network` over the
 * active tenants of its region in `fleet`. A held address outside the network, or held twice, is an
 * error naming the tenants (the record must be sound before it grows); so is a full network.
 */
export function withTunnelAddress(record: TenantRecord, fleet: readonly TenantRecord[], network: string, source: string): TenantRecord {
  if (record.tunnelAddress !== undefined) return record;
  const holders = fleet.filter((r) => r.status === "active" && r.slug !== record.slug && r.spec.region === record.spec.region && r.tunnelAddress !== undefined);
  const problems: InputProblem[] = [];
  const bySlot = new Map<string, string>();
  for (const holder of holders) {
    const address = holder.tunnelAddress as string;
    const problem = spokeAddressProblem(network, address);
    if (problem) problems.push({ source: `tenant ${holder.slug}`, path: TUNNEL_ADDRESS_CONFIG, message: problem });
    const other = bySlot.get(address);
    if (other) problems.push({ source: `tenant ${holder.slug}`, path: TUNNEL_ADDRESS_CONFIG, message: `${address} is held by tenant ${other} too` });
    bySlot.set(address, holder.slug);
  }
  if (problems.length > 0) throw new InvalidInputError(problems);
  let address: string;
  try {
    address = allocateTunnelAddress(network, [...bySlot.keys()]);
  } catch (error) {
    throw new InvalidInputError([{ source, path: TUNNEL_ADDRESS_CONFIG, message: `region ${record.spec.region}: ${(error as Error).message}` }]);
  }
  return { ...record, tunnelAddress: address };
}
