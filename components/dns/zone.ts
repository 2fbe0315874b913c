import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";

export interface ChildZoneArgs {
  /** The tenant's domain, one label under the region's base domain: the child zone's name. */
  readonly domain: string;
  /** The platform zone that delegates the child (the hub's `cloudflareZoneId`). */
  readonly parentZoneId: string;
  /** Protect the zone from deletion and replacement. Default - true. */
  readonly protect?: boolean;
  /** NS record TTL in seconds. Default - 3600. */
  readonly ttl?: number;
}

/** Cloudflare assigns a full zone two name servers of its own (never its parent's). */
export const NAME_SERVER_COUNT = 2;

/**
 * A Cloudflare child zone for a tenant under the base domain (Cloudflare's subdomain setup, which
 * needs the Enterprise plan's Subdomain Support on the parent's account). The zone is protected:
 * deleting or replacing it (a name change) takes a deliberate unprotecting `up`, as a decommission
 * does; it is not retained on delete, so a destroyed tenant leaves no zone holding its name.
 * `account` carries no id: the API's description makes `account.id` optional and the hub contract
 * names no account (README, Security).
 */
export function createChildZone(resourceName: string, args: ChildZoneArgs, opts: pulumi.CustomResourceOptions): cloudflare.Zone {
  return new cloudflare.Zone(resourceName, { account: {}, name: args.domain, type: "full" }, { ...opts, protect: args.protect ?? true });
}

export interface TenantZoneArgs {
  readonly domain: string;
  /** The spec's `cloudflareZoneId`, when it names one. */
  readonly ownZoneId?: string;
  /** The platform zone (the hub's `cloudflareZoneId`). */
  readonly platformZoneId: string;
  readonly protect?: boolean;
}

export interface TenantZone {
  /** The zone the tenant's records and DNS-01 token live in. */
  readonly zoneId: pulumi.Input<string>;
  /** The child zone made for a tenant that has none of its own, with what its delegation needs. */
  readonly child?: { readonly zone: cloudflare.Zone; readonly args: ChildZoneArgs };
}

/**
 * A tenant with a zone of its own keeps it; any other (under the base domain, or naming the
 * platform zone) gets a child zone `<domain>`, so that no tenant's credential is a platform-zone one.
 */
export function tenantZone(resourceName: string, args: TenantZoneArgs, opts: pulumi.CustomResourceOptions): TenantZone {
  if (args.ownZoneId !== undefined && args.ownZoneId !== args.platformZoneId) return { zoneId: args.ownZoneId };
  const childArgs: ChildZoneArgs = { domain: args.domain, parentZoneId: args.platformZoneId, protect: args.protect };
  const zone = createChildZone(resourceName, childArgs, opts);
  return { zoneId: zone.id, child: { zone, args: childArgs } };
}

/**
 * The delegation in the platform zone: one NS record per name server the child zone was given.
 * Made with the stack's own (platform) credential; nothing of it reaches the tenant's host.
 */
export function createDelegation(resourceName: string, zone: cloudflare.Zone, args: ChildZoneArgs, opts: pulumi.CustomResourceOptions): cloudflare.DnsRecord[] {
  const nameServer = (index: number) => zone.nameServers.apply((servers) => {
    if (servers?.length !== NAME_SERVER_COUNT) {
      throw new Error(`Cloudflare zone ${args.domain} has ${servers?.length ?? 0} name servers; its delegation in the platform zone expects ${NAME_SERVER_COUNT}`);
    }
    return servers[index]!;
  });
  return Array.from({ length: NAME_SERVER_COUNT }, (_, index) => new cloudflare.DnsRecord(`${resourceName}-ns-${index + 1}`, {
    zoneId: args.parentZoneId,
    name: args.domain,
    type: "NS",
    content: nameServer(index),
    ttl: args.ttl ?? 3600,
    comment: "managed by letsbe-tenant: delegation of the tenant's zone",
  }, opts));
}
