import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";

/** Cloudflare's permission group ids (developers.cloudflare.com/fundamentals/api/reference/permissions/). */
export const DNS_WRITE = "4755a26eedb94da69e1066d98aa820be";
export const ZONE_READ = "c8fed203ed3043cba015a93ad1616f1f";

export interface DnsTokenArgs {
  /** The one zone the token may read and edit DNS in (the tenant's own). */
  readonly zoneId: pulumi.Input<string>;
  /** Token name shown in Cloudflare, e.g. `letsbe-tenant-<slug>-dns01`. */
  readonly name: string;
}

/**
 * The DNS-01 credential of one tenant: a Cloudflare API token with Zone Read and DNS Write on
 * that tenant's zone alone (Cloudflare scopes tokens to zones, never to single records). Its
 * value is a secret output; it goes to that tenant's host and nowhere else.
 */
export function createDnsToken(resourceName: string, args: DnsTokenArgs, opts: pulumi.CustomResourceOptions): cloudflare.ApiToken {
  return new cloudflare.ApiToken(resourceName, {
    name: args.name,
    policies: [{
      effect: "allow",
      permissionGroups: [{ id: ZONE_READ }, { id: DNS_WRITE }],
      resources: pulumi.output(args.zoneId).apply((zoneId) => JSON.stringify({ [`com.cloudflare.api.account.zone.${zoneId}`]: "*" })),
    }],
  }, { ...opts, additionalSecretOutputs: ["value"] });
}
