/**
 * The pool marker. Pool servers are bought on 12-month contracts and handed to LetsBe by setting
 * their SCP nickname:
 *   - `letsbe-pool`            free, ready to be claimed;
 *   - `letsbe-tenant:<slug>`   claimed by the tenant stack `<slug>`;
 *   - `letsbe-hub:<name>`      claimed by the hub stack whose server is `<name>` (its own namespace:
 *                              a tenant whose slug equals a hub's name can never adopt the hub's server);
 *   - `letsbe-hold:<slug>`     a claim by `<slug>` that landed too late to be trusted (./claim);
 *     `letsbe-hold:hub:<name>` the same for a hub.
 * Any other nickname means the server is not ours to touch. How a claim is made safe without a
 * conditional update in the SCP is in ./claim.
 */
import { ScpClient, ScpClientOptions } from "./client";
import type { ScpServer } from "./schemas";

export const POOL_NICKNAME = "letsbe-pool";
export const CLAIM_PREFIX = "letsbe-tenant:";
export const HUB_CLAIM_PREFIX = "letsbe-hub:";

/** Whose claim a server carries: a tenant stack's (the default, and what state written before the input holds) or a hub's. */
export type ClaimNamespace = "tenant" | "hub";

/**
 * Marker of a server whose claim by `<owner>` landed too late to be trusted: it may have
 * overwritten another tenant's confirmed claim, so it is neither kept nor handed back to the
 * pool. An operator checks which stack holds the server before setting it back.
 */
export const HOLD_PREFIX = "letsbe-hold:";

export function claimNickname(owner: string, namespace: ClaimNamespace = "tenant"): string {
  return `${namespace === "hub" ? HUB_CLAIM_PREFIX : CLAIM_PREFIX}${owner}`;
}

export function holdNickname(owner: string, namespace: ClaimNamespace = "tenant"): string {
  return `${HOLD_PREFIX}${namespace === "hub" ? "hub:" : ""}${owner}`;
}

/**
 * Whether an SCP template name is the catalog product: equal, or the product followed by a space
 * and a suffix that is not a different product line (`RS 2000 G12` does not match `RS 2000 G12 Pro`).
 */
export function isProduct(templateName: string | null | undefined, product: string): boolean {
  if (!templateName) return false;
  if (templateName === product) return true;
  const suffix = templateName.startsWith(`${product} `) ? templateName.slice(product.length + 1) : undefined;
  return suffix !== undefined && !/^pro\b/i.test(suffix);
}

export interface PoolEntry {
  readonly product: string;
  readonly site: string;
  /** Free servers of that product at that site. */
  readonly free: number;
  readonly serverNames: readonly string[];
}

/** Free pool servers by product (SCP template name) and site, for the order flow. */
export async function poolReport(options: ScpClientOptions): Promise<PoolEntry[]> {
  const client = new ScpClient(options);
  const free = (await client.listServers({ q: POOL_NICKNAME })).filter((s) => s.nickname === POOL_NICKNAME && !s.disabled);
  const details = await Promise.all(free.map((s) => client.getServer(s.id, false)));
  const groups = new Map<string, { product: string; site: string; names: string[] }>();
  for (const server of details.filter((d): d is ScpServer => d !== undefined && d.nickname === POOL_NICKNAME)) {
    const product = server.template?.name ?? "unknown";
    const site = server.site?.city ?? "unknown";
    const key = `${product}\u0000${site}`;
    const group = groups.get(key) ?? { product, site, names: [] };
    group.names.push(server.name);
    groups.set(key, group);
  }
  return [...groups.values()]
    .map((g) => ({ product: g.product, site: g.site, free: g.names.length, serverNames: g.names.sort() }))
    .sort((a, b) => a.product.localeCompare(b.product) || a.site.localeCompare(b.site));
}
