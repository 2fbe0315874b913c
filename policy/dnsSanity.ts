import { StackValidationPolicy } from "@pulumi/policy";
import { TYPES, VPS_TYPES, dependencyUrns, isTenantStack } from "./lib/resources";
import { read } from "./lib/unknown";

/** Address properties of a server or primary IP, as inputs or (after an update) outputs. */
const ADDRESS_FIELDS = ["ipv4Address", "ipv6Address", "ipv4", "ipv6", "ipAddress"];

export const dnsSanity: StackValidationPolicy = {
  name: "dns-sanity",
  description: "A tenant's DNS records point only at that tenant's own server addresses and are never proxied (TLS ends on the VPS). "
    + "At preview, an A/AAAA record whose content or the server's addresses are not known yet must take its content from the tenant's own "
    + "server or primary IP (a dependency); a record type or proxied flag not known yet is judged at update.",
  enforcementLevel: "advisory",
  severity: "medium",
  tags: ["dns", "tls"],
  remediationSteps: "Take record contents from the tenant's own VPS outputs and set proxied: false.",
  validateStack: (args, report) => {
    if (!args.resources.some((r) => isTenantStack(r.urn))) return;
    const owned = args.resources.filter((r) => VPS_TYPES.includes(r.type) || r.type === TYPES.hcloudPrimaryIp);
    const ownedUrns = new Set(owned.map((r) => r.urn));
    const addresses = new Set<string>();
    let addressesUnknown = false;
    for (const r of owned) {
      for (const field of ADDRESS_FIELDS) {
        const value = read(() => r.props[field]);
        if (!value.known) addressesUnknown = true;
        else if (typeof value.value === "string" && value.value !== "") addresses.add(value.value.replace(/\/64$/, "").replace(/::$/, "::1"));
      }
    }
    for (const r of args.resources) {
      if (r.type !== TYPES.dnsRecord) continue;
      const name = read(() => String(r.props.name));
      const type = read(() => String(r.props.type));
      const label = `record "${name.known ? name.value : r.name}" (${type.known ? type.value : "type not known yet"})`;
      const proxied = read(() => r.props.proxied);
      if (proxied.known && proxied.value === true) report(`${label} is proxied, but TLS ends on the tenant's VPS`, r.urn);
      if (!type.known || (type.value !== "A" && type.value !== "AAAA")) continue;
      const content = read(() => String(r.props.content));
      const fromOwnServer = [...dependencyUrns(r)].some((u) => ownedUrns.has(u));
      if (content.known && addresses.has(content.value)) continue;
      // Every address known: membership decides. Otherwise (a preview): where the content comes from.
      const bad = content.known && !addressesUnknown && addresses.size > 0 ? true : !fromOwnServer;
      if (!bad) continue;
      report(content.known
        ? `${label} points at ${content.value}, which is not an address of this tenant's server`
        : `${label} has content not known at preview that does not come from this tenant's server or primary IP`, r.urn);
    }
  },
};
