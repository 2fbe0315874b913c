import { StackValidationPolicy } from "@pulumi/policy";
import { PlatformNames, domainRelation, normaliseDomain, platformDomainProblems } from "../tenants/domains";
import { ResourceLike, TYPES, isTenantStack, parseUrn } from "./lib/resources";

/**
 * The hub's names, from the policy config (`--policy-pack-config`: `{"domains-disjoint":
 * {"tenantBaseDomain": "eu.letsbe.biz", "hubDomain": "hub.eu.letsbe.biz"}}`). A stack cannot show
 * them: the engine keeps reads such as the hub's StackReference out of what a stack policy sees
 * (`reads`, not `news`), and the offline plan records only the reference's name. Without them the
 * platform domains and reserved labels are judged; the tenant program has already applied the
 * base-domain rules with the hub's outputs.
 */
export function hubNamesOf(config: Record<string, unknown>): PlatformNames {
  const { tenantBaseDomain, hubDomain } = config;
  return {
    ...(typeof tenantBaseDomain === "string" && tenantBaseDomain !== "" ? { tenantBaseDomain } : {}),
    ...(typeof hubDomain === "string" && hubDomain !== "" ? { hubDomain } : {}),
  };
}

/** Record names of the stack, normalised, `*.` taken off; names that are no DNS name (`@`) are left out. */
function recordNames(resources: readonly ResourceLike[]): { name: string; urn: string }[] {
  return resources
    .filter((r) => r.type === TYPES.dnsRecord && typeof r.props.name === "string")
    .map((r) => ({ name: normaliseDomain(String(r.props.name)).replace(/^\*\./, ""), urn: r.urn }))
    .filter((n) => n.name.includes("."));
}

export const domainsDisjoint: StackValidationPolicy = {
  name: "domains-disjoint",
  description: "A tenant's DNS records stay inside its own domain, which is never a platform domain nor contains one, sits inside one only as one unreserved label, and (given the hub's names in the policy config) is one label under the base domain and never the hub's name.",
  enforcementLevel: "mandatory",
  severity: "critical",
  tags: ["isolation", "dns", "tenancy"],
  configSchema: {
    properties: {
      tenantBaseDomain: { type: "string" },
      hubDomain: { type: "string" },
    },
  },
  remediationSteps: "Give the tenant one label under the base domain that tenants/domains.ts does not reserve, or a domain of its own with its zone; never a record outside it.",
  validateStack: (args, report) => {
    const tenantResources = args.resources.filter((r) => isTenantStack(r.urn));
    if (tenantResources.length === 0) return;
    const slug = parseUrn(tenantResources[0]!.urn).stack;
    const names = recordNames(args.resources);
    if (names.length === 0) return;
    // The tenant's domain is its apex: the shortest record name (ties by name, so the choice is stable).
    const apex = [...names].sort((a, b) => a.name.split(".").length - b.name.split(".").length || a.name.localeCompare(b.name))[0]!;
    for (const n of names) {
      const relation = domainRelation(n.name, apex.name);
      if (relation !== "equals" && relation !== "sits inside") {
        report(`record "${n.name}" of tenant "${slug}" lies outside the tenant's domain "${apex.name}": a tenant's records stay inside its own domain`, n.urn);
      }
    }
    for (const message of platformDomainProblems(slug, apex.name, hubNamesOf(args.getConfig<Record<string, unknown>>()))) report(message, apex.urn);
  },
};
