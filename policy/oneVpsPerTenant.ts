import { StackValidationPolicy } from "@pulumi/policy";
import { ResourceLike, TYPES, VPS_TYPES, isTenantStack, parseUrn } from "./lib/resources";

/** Properties that identify a server or one of its addresses, by resource type. */
const IDENTITY_FIELDS: Readonly<Record<string, readonly string[]>> = {
  [TYPES.hcloudServer]: ["name", "ipv4Address", "ipv6Address"],
  [TYPES.netcupServer]: ["serverName", "serverId", "ipv4", "ipv6"],
  [TYPES.hcloudPrimaryIp]: ["name", "ipAddress"],
};

/** What one tenant stack claims: server names, ids and addresses, each as a `kind:value` key. */
export function vpsClaims(resources: readonly ResourceLike[]): Map<string, string> {
  const claims = new Map<string, string>(); // key -> urn
  for (const r of resources) {
    for (const field of IDENTITY_FIELDS[r.type] ?? []) {
      const value = r.props[field];
      if (typeof value === "string" && value !== "") claims.set(`${r.type} ${field} "${value}"`, r.urn);
    }
    if (r.type === TYPES.dnsRecord && (r.props.type === "A" || r.props.type === "AAAA") && typeof r.props.content === "string") {
      claims.set(`address "${r.props.content}"`, r.urn);
    }
  }
  return claims;
}

export interface SharedVps {
  readonly claim: string;
  readonly stacks: readonly string[];
  readonly urns: readonly string[];
}

/**
 * Across the tenant stacks of a plan: a server name, id or address claimed by more than one
 * tenant. CrossGuard judges one stack at a time, so the offline plan applies this over all.
 */
export function sharedVpsAcrossStacks(stacks: readonly { readonly stack: string; readonly resources: readonly ResourceLike[] }[]): SharedVps[] {
  const owners = new Map<string, { stacks: string[]; urns: string[] }>();
  for (const s of stacks) {
    if (!s.resources.some((r) => isTenantStack(r.urn))) continue;
    for (const [claim, urn] of vpsClaims(s.resources)) {
      const entry = owners.get(claim) ?? { stacks: [], urns: [] };
      if (!entry.stacks.includes(s.stack)) {
        entry.stacks.push(s.stack);
        entry.urns.push(urn);
      }
      owners.set(claim, entry);
    }
  }
  return [...owners].filter(([, o]) => o.stacks.length > 1).map(([claim, o]) => ({ claim, stacks: o.stacks, urns: o.urns }));
}

export const oneVpsPerTenant: StackValidationPolicy = {
  name: "one-vps-per-tenant",
  description: "A tenant stack declares exactly one server, named and labelled for that tenant; no server is shared between tenants.",
  enforcementLevel: "mandatory",
  severity: "critical",
  tags: ["isolation", "tenancy"],
  remediationSteps: "Give each tenant stack its own Tenant with one VPS; never adopt a server another tenant holds.",
  validateStack: (args, report) => {
    const tenantResources = args.resources.filter((r) => isTenantStack(r.urn));
    if (tenantResources.length === 0) return;
    const slug = parseUrn(tenantResources[0]!.urn).stack;
    const servers = tenantResources.filter((r) => VPS_TYPES.includes(r.type));
    if (servers.length !== 1) {
      report(`tenant stack "${slug}" declares ${servers.length} servers (${servers.map((s) => s.name).join(", ") || "none"}); exactly one VPS per tenant`);
      return;
    }
    const server = servers[0]!;
    const labels = (server.props.labels ?? {}) as Record<string, unknown>;
    if (server.type === TYPES.hcloudServer && (server.props.name !== slug || labels.tenant !== slug)) {
      report(`server "${server.name}" is named "${String(server.props.name)}" with tenant label "${String(labels.tenant)}"; both must be the stack's tenant "${slug}"`, server.urn);
    }
  },
};
