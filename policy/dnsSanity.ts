import { StackValidationPolicy } from "@pulumi/policy";
import { TYPES, VPS_TYPES, dependencyUrns, isTenantStack } from "./lib/resources";

/** Address properties of a server or primary IP, as inputs or (after an update) outputs. */
const ADDRESS_FIELDS = ["ipv4Address", "ipv6Address", "ipv4", "ipv6", "ipAddress"];

export const dnsSanity: StackValidationPolicy = {
  name: "dns-sanity",
  description: "A tenant's DNS records point only at that tenant's own server addresses and are never proxied (TLS ends on the VPS).",
  enforcementLevel: "advisory",
  severity: "medium",
  tags: ["dns", "tls"],
  remediationSteps: "Take record contents from the tenant's own VPS outputs and set proxied: false.",
  validateStack: (args, report) => {
    if (!args.resources.some((r) => isTenantStack(r.urn))) return;
    const owned = args.resources.filter((r) => VPS_TYPES.includes(r.type) || r.type === TYPES.hcloudPrimaryIp);
    const ownedUrns = new Set(owned.map((r) => r.urn));
    const addresses = new Set<string>();
    for (const r of owned) {
      for (const field of ADDRESS_FIELDS) {
        const value = r.props[field];
        if (typeof value === "string" && value !== "") addresses.add(value.replace(/\/64$/, "").replace(/::$/, "::1"));
      }
    }
    for (const r of args.resources) {
      if (r.type !== TYPES.dnsRecord) continue;
      if (r.props.proxied === true) report(`record "${String(r.props.name)}" (${String(r.props.type)}) is proxied, but TLS ends on the tenant's VPS`, r.urn);
      if (r.props.type !== "A" && r.props.type !== "AAAA") continue;
      const content = String(r.props.content);
      // After an update the addresses are known; in a preview the record must at least come from the server.
      const fromOwnServer = addresses.size > 0 ? addresses.has(content) : [...dependencyUrns(r)].some((u) => ownedUrns.has(u));
      if (!fromOwnServer) report(`record "${String(r.props.name)}" (${String(r.props.type)}) points at ${content}, which is not an address of this tenant's server`, r.urn);
    }
  },
};
