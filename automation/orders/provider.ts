/** Resolving provider `auto`: Netcup's pool first, Hetzner as the hourly overflow. */
import { ScpClientOptions } from "../../components/netcup/client";
import { isProduct, poolReport } from "../../components/netcup/pool";
import { REGIONS, TIERS } from "../../tenants/catalog";
import { TenantSpec } from "../../tenants/schema";
import { ProviderChoice } from "./schema";

/** Free servers in the Netcup pool; adapted from the Netcup provider's pool report. */
export interface ServerPool {
  /** Free (unclaimed) servers of a product (`RS 2000 G12`) at a site (`Nuremberg`). */
  freeServers(product: string, site: string): Promise<number>;
}

/** No Netcup server is free for the tier and region and overflow is off: a permanent failure. */
export class PoolEmptyError extends Error {
  constructor(readonly source: string, readonly product: string, readonly site: string) {
    super(`${source}: no free Netcup ${product} in ${site} and Hetzner overflow is off for this order`);
    this.name = "PoolEmptyError";
  }
}

export interface ProviderDecision {
  readonly provider: TenantSpec["provider"];
  /** Why, for the order's events. */
  readonly reason: string;
}

export async function resolveProvider(
  spec: TenantSpec,
  choice: ProviderChoice,
  allowOverflow: boolean,
  pool: ServerPool | undefined,
  source: string,
): Promise<ProviderDecision> {
  if (choice !== "auto") return { provider: choice, reason: `provider ${choice} chosen by the order` };
  const product = TIERS[spec.tier].netcupProduct;
  const site = REGIONS[spec.region].netcupSite;
  const free = pool ? await pool.freeServers(product, site) : 0;
  if (free > 0) return { provider: "netcup", reason: `${free} free Netcup ${product} in ${site}` };
  if (!allowOverflow) throw new PoolEmptyError(source, product, site);
  return { provider: "hetzner", reason: pool ? `Netcup pool empty for ${product} in ${site}: Hetzner overflow` : "no Netcup pool configured: Hetzner" };
}

/** The Netcup provider's pool report as a ServerPool (one report per question: pools change). */
export function netcupServerPool(options: ScpClientOptions): ServerPool {
  return {
    async freeServers(product, site) {
      const report = await poolReport(options);
      return report.filter((e) => isProduct(e.product, product) && e.site === site).reduce((n, e) => n + e.free, 0);
    },
  };
}
