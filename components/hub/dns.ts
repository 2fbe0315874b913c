import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";

export interface HubDnsArgs {
  /** Cloudflare zone of the platform domain. */
  readonly zoneId: string;
  /** The hub's name, e.g. `hub.eu.letsbe.biz`. */
  readonly domain: string;
  readonly ipv4: pulumi.Input<string>;
  readonly ipv6: pulumi.Input<string>;
  /** TTL in seconds. Default - 300. */
  readonly ttl?: number;
}

/**
 * A and AAAA for the hub name, never proxied: TLS ends on the hub, SSE and WebSocket streams
 * run for up to a day, and tenants' Safety Wrappers call the hub directly.
 */
export function createHubDns(resourceName: string, args: HubDnsArgs, opts: pulumi.CustomResourceOptions): cloudflare.DnsRecord[] {
  const record = (suffix: string, type: "A" | "AAAA", content: pulumi.Input<string>) =>
    new cloudflare.DnsRecord(`${resourceName}-${suffix}`, {
      zoneId: args.zoneId,
      name: args.domain,
      type,
      content,
      ttl: args.ttl ?? 300,
      proxied: false,
      comment: "managed by letsbe-hub",
    }, opts);
  return [record("a", "A", args.ipv4), record("aaaa", "AAAA", args.ipv6)];
}
