import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";

export interface TenantDnsArgs {
  readonly zoneId: pulumi.Input<string>;
  /** The tenant's domain; records are made for it and `*.` it. */
  readonly domain: string;
  readonly ipv4: pulumi.Input<string>;
  readonly ipv6: pulumi.Input<string>;
  /** Add MX and SPF for a mail tool on `mail.<domain>`. */
  readonly mail: boolean;
  /** TTL in seconds. Default - 300. */
  readonly ttl?: number;
}

/**
 * Apex and wildcard A/AAAA to the VPS, never proxied: TLS ends on the VPS with its own
 * wildcard certificate, and mail and SSH need the real address.
 */
export function createTenantDns(resourceName: string, args: TenantDnsArgs, opts: pulumi.CustomResourceOptions): cloudflare.DnsRecord[] {
  const ttl = args.ttl ?? 300;
  const record = (suffix: string, name: string, type: string, content: pulumi.Input<string>, extra: Partial<cloudflare.DnsRecordArgs> = {}) =>
    new cloudflare.DnsRecord(`${resourceName}-${suffix}`, {
      zoneId: args.zoneId,
      name,
      type,
      content,
      ttl,
      proxied: false,
      comment: "managed by letsbe-tenant",
      ...extra,
    }, opts);
  const records = [
    record("apex-a", args.domain, "A", args.ipv4),
    record("apex-aaaa", args.domain, "AAAA", args.ipv6),
    record("wildcard-a", `*.${args.domain}`, "A", args.ipv4),
    record("wildcard-aaaa", `*.${args.domain}`, "AAAA", args.ipv6),
  ];
  if (args.mail) {
    records.push(
      record("mx", args.domain, "MX", `mail.${args.domain}`, { priority: 10, proxied: undefined }),
      record("spf", args.domain, "TXT", `"v=spf1 mx -all"`, { proxied: undefined }),
    );
  }
  return records;
}
