/**
 * The plan's own tunnel addresses. A spec tenant (tenants/*.yaml) has no fleet record, so no
 * `letsbe-tenant:tunnelAddress`; in a region whose hub has a WireGuard network the plan gives each
 * one, so it shows the spoke resources production will have. Deterministic: the lowest free
 * address of the network, in slug order over the region's specs (so `tenant:<slug>` alone plans
 * the same address as the whole region). Not the fleet's allocation, which the order flow makes
 * from the backend's record (automation/orders/tunnel.ts); the report says which it is.
 */
import { allocateTunnelAddress } from "../../components/hub/wireguard";
import type { TenantSpec } from "../../tenants/schema";

/** By slug: each spec of `region` in `specs` and its planned address; empty without a network. */
export function planTunnelAddresses(specs: readonly TenantSpec[], region: string, network: string | undefined): Record<string, string> {
  if (network === undefined) return {};
  const slugs = [...new Set(specs.filter((s) => s.region === region).map((s) => s.slug))].sort();
  const taken: string[] = [];
  const addresses: Record<string, string> = {};
  for (const slug of slugs) {
    const address = allocateTunnelAddress(network, taken);
    taken.push(address);
    addresses[slug] = address;
  }
  return addresses;
}

/** The network a planned hub exports (`wireguard.network` of its outputs), if any. */
export function plannedHubNetwork(outputs: Record<string, unknown>): string | undefined {
  const wireguard = outputs.wireguard as { network?: unknown } | undefined;
  return typeof wireguard?.network === "string" ? wireguard.network : undefined;
}
