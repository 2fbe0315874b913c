import { z } from "zod";
import { REGION_IDS, TIER_IDS, TOOL_IDS, tierBudget } from "./catalog";
import { domainRelation, platformDomainProblems } from "./domains";
import { type InputProblem, InvalidInputError, SLUG_PATTERN, zodProblems } from "./inputs";

// The rule and problem types every input check shares; in ./inputs, which imports no catalog.
export type { InputProblem } from "./inputs";
export { InvalidInputError, SLUG_PATTERN, formatProblem, zodProblems } from "./inputs";

const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** A lowercase DNS name: at least two labels, each 1–63 chars, no scheme, port, path or spaces. */
export const domainSchema = z.string().superRefine((value, ctx) => {
  const problem = domainProblem(value);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

function domainProblem(value: string): string | undefined {
  if (value.length > 253) return `must be at most 253 characters (got ${value.length})`;
  if (/[\s/:@]/.test(value)) return "must be a bare DNS name: no scheme, port, path or whitespace";
  if (value !== value.toLowerCase()) return "must be lowercase (IDNs in punycode)";
  const labels = value.split(".");
  if (labels.length < 2) return "must have at least two labels (e.g. example.com)";
  const bad = labels.find((label) => !DNS_LABEL.test(label));
  if (bad !== undefined) {
    return `label "${bad}" must be 1-63 letters, digits or inner hyphens`;
  }
  return undefined;
}

export const tenantSpecSchema = z
  .strictObject({
    slug: z.string().regex(SLUG_PATTERN, "must match ^[a-z][a-z0-9-]{1,30}[a-z0-9]$"),
    domain: domainSchema,
    cloudflareZoneId: z.string().regex(/^[0-9a-f]{32}$/, "must be 32 lowercase hex characters").optional(),
    region: z.enum(REGION_IDS),
    tier: z.enum(TIER_IDS),
    provider: z.enum(["netcup", "hetzner"]),
    group: z.enum(["sandbox", "canary", "general"]).default("general"),
    tools: z.array(z.enum(TOOL_IDS)).superRefine((tools, ctx) => {
      const seen = new Set<string>();
      tools.forEach((tool, index) => {
        if (seen.has(tool)) ctx.addIssue({ code: "custom", path: [index], message: `duplicate tool "${tool}"` });
        seen.add(tool);
      });
    }),
    contactEmail: z.email("must be an e-mail address"),
    createdAt: z.iso.date("must be an ISO date (YYYY-MM-DD)").or(z.iso.datetime({ offset: true })),
  })
  .superRefine((spec, ctx) => {
    const budget = tierBudget(spec.tier, spec.tools);
    if (!budget.fits) {
      ctx.addIssue({
        code: "custom",
        path: ["tools"],
        message: `tools need ${budget.totalMb} MB with the LetsBe overhead, more than the ${spec.tier} tier's ${budget.limitMb} MB`,
      });
    }
  });

export type TenantSpec = z.output<typeof tenantSpecSchema>;
export type TenantSpecInput = z.input<typeof tenantSpecSchema>;
export type TenantGroup = TenantSpec["group"];

/** A field that is absent reads "required", not the rule its value would have broken ("must be an e-mail address"). */
export function requiredWhereMissing(problems: readonly InputProblem[], raw: unknown): InputProblem[] {
  return problems.map((problem) => {
    if (!problem.path) return problem;
    const keys = problem.path.split(".");
    let parent: unknown = raw;
    for (const key of keys.slice(0, -1)) parent = parent !== null && typeof parent === "object" ? (parent as Record<string, unknown>)[key] : undefined;
    const present = parent !== null && typeof parent === "object" && (parent as Record<string, unknown>)[keys[keys.length - 1]] !== undefined;
    return present || parent === null || typeof parent !== "object" ? problem : { ...problem, message: "required" };
  });
}

/** Validates one spec; `source` names where it came from in every error. */
export function parseTenantSpec(raw: unknown, source: string): TenantSpec {
  const result = tenantSpecSchema.safeParse(raw);
  if (!result.success) throw new InvalidInputError(requiredWhereMissing(zodProblems(source, result.error), raw));
  return result.data;
}

/**
 * The rules that need the region's Hub: the domain against the platform's names (one label under
 * the base domain, none reserved, never the hub's name: tenants/domains.ts), and a domain outside
 * the platform domain brings its own zone.
 */
export function hubProblems(spec: TenantSpec, tenantBaseDomain: string, source: string, hubDomain?: string): InputProblem[] {
  const problems: InputProblem[] = platformDomainProblems(spec.slug, spec.domain, { tenantBaseDomain, ...(hubDomain ? { hubDomain } : {}) })
    .map((message) => ({ source, path: "domain", message }));
  const underPlatform = domainRelation(spec.domain, tenantBaseDomain) === "sits inside";
  if (!underPlatform && spec.cloudflareZoneId === undefined && problems.length === 0) {
    problems.push({
      source,
      path: "cloudflareZoneId",
      message: `required because domain "${spec.domain}" is not under the ${spec.region} platform domain "${tenantBaseDomain}"`,
    });
  }
  return problems;
}
