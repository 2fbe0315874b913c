import { StackValidationPolicy } from "@pulumi/policy";
import { TIERS, TIER_IDS, TOOLS, TOOL_IDS, TierId, ToolId, tierBudget } from "../tenants/catalog";
import { composeDocuments, serviceMemoryMb } from "./lib/compose";
import { imageRepository } from "./lib/images";
import { ResourceLike, TYPES, isTenantStack } from "./lib/resources";

const asTier = (v: unknown): TierId | undefined => ((TIER_IDS as readonly unknown[]).includes(v) ? (v as TierId) : undefined);

/** The tenant's tier: from the Tenant's inputs, the server's `tier` label, or the Netcup product. */
export function tenantTier(resources: readonly ResourceLike[]): TierId | undefined {
  for (const r of resources) {
    const tier = r.type === TYPES.tenant ? asTier(r.props.tier)
      : r.type === TYPES.hcloudServer ? asTier((r.props.labels as Record<string, unknown> | undefined)?.tier)
        : r.type === TYPES.netcupServer ? TIER_IDS.find((t) => TIERS[t].netcupProduct === r.props.product)
          : undefined;
    if (tier) return tier;
  }
  return undefined;
}

const toolByRepository = new Map(TOOL_IDS.map((id) => [TOOLS[id].image.repository, id] as const));

export const toolsFitTier: StackValidationPolicy = {
  name: "tools-fit-tier",
  description: "A tenant's tools, with their sidecars and the LetsBe overhead, fit its tier's RAM, and its server is the tier's size.",
  enforcementLevel: "mandatory",
  severity: "medium",
  tags: ["capacity", "tiers"],
  remediationSteps: "Choose fewer tools or a larger tier in the tenant spec; size servers from TIERS in tenants/catalog.ts.",
  validateStack: async (args, report) => {
    if (!args.resources.some((r) => isTenantStack(r.urn))) return;
    const tier = tenantTier(args.resources);
    if (!tier) {
      report("the tenant's tier cannot be told (no Tenant tier, server tier label or Netcup product)");
      return;
    }
    const spec = TIERS[tier];
    const tools = new Set<ToolId>();
    let composeMb = 0;
    let composeUrn: string | undefined;
    for (const r of args.resources) {
      if (r.type === TYPES.tenant && Array.isArray(r.props.tools)) for (const t of r.props.tools) if (t in TOOLS) tools.add(t as ToolId);
      if (r.type === TYPES.hcloudServer && r.props.serverType !== spec.hetznerServerType) {
        report(`server "${r.name}" is a ${String(r.props.serverType)}, but the ${tier} tier runs on ${spec.hetznerServerType}`, r.urn);
      }
      if (r.type === TYPES.netcupServer && r.props.product !== undefined && r.props.product !== spec.netcupProduct) {
        report(`server "${r.name}" is a ${String(r.props.product)}, but the ${tier} tier runs on ${spec.netcupProduct}`, r.urn);
      }
      for (const doc of await composeDocuments(r)) {
        composeUrn = r.urn;
        for (const service of Object.values(doc.services)) {
          const id = typeof service.image === "string" ? toolByRepository.get(imageRepository(service.image)) : undefined;
          if (id) tools.add(id);
          composeMb += serviceMemoryMb(service) ?? 0;
        }
      }
    }
    const budget = tierBudget(tier, [...tools]);
    if (!budget.fits) {
      report(`tools ${[...tools].join(", ")} need ${budget.totalMb} MB with the LetsBe overhead, more than the ${tier} tier's ${budget.limitMb} MB`);
    }
    if (composeMb > spec.ramMb) {
      report(`the compose file's memory limits add up to ${Math.round(composeMb)} MB, more than the ${tier} tier's ${spec.ramMb} MB`, composeUrn);
    }
  },
};
