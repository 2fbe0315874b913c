import { StackValidationPolicy } from "@pulumi/policy";
import { PlatformNames, domainRelation, normaliseDomain, platformDomainProblems } from "../tenants/domains";
import { HUB_PROJECT } from "../tenants/projects";
import { ResourceLike, TYPES, isTenantStack, parseUrn } from "./lib/resources";

/**
 * The hub's names as a tenant stack sees them: the outputs of its reference to `letsbe-hub`, which
 * the engine records for the read (`outputs.tenantBaseDomain`, the host of `outputs.hubUrl`). The
 * offline plan records only the reference's name; there the tenant program has already applied the
 * same rules with the hub's outputs, and the policy judges the platform domains alone.
 */
export function hubNamesOf(resources: readonly ResourceLike[]): PlatformNames {
  for (const r of resources) {
    if (r.type !== TYPES.stackReference || String(r.props.name ?? r.name).split("/")[1] !== HUB_PROJECT) continue;
    const outputs = r.props.outputs;
    if (outputs === null || typeof outputs !== "object") return {};
    const { tenantBaseDomain, hubUrl } = outputs as Record<string, unknown>;
    return {
      ...(typeof tenantBaseDomain === "string" ? { tenantBaseDomain } : {}),
      ...(typeof hubUrl === "string" && URL.canParse(hubUrl) ? { hubDomain: new URL(hubUrl).hostname } : {}),
    };
  }
  return {};
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
  description: "A tenant's DNS records stay inside its own domain, which is one unreserved label under the hub's tenant base domain or off the platform's domains, and never the hub's name.",
  enforcementLevel: "mandatory",
  severity: "critical",
  tags: ["isolation", "dns", "tenancy"],
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
    for (const message of platformDomainProblems(slug, apex.name, hubNamesOf(args.resources))) report(message, apex.urn);
  },
};
