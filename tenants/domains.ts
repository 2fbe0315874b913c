/**
 * Tenant domains that cannot collide: the platform's own names, the reserved labels, and the
 * label-wise tests every checker shares (spec loading, order admission, the tenant program
 * and the `domains-disjoint` policy).
 */
import { REGION_IDS } from "./catalog";

/**
 * Zones LetsBe itself holds: the hubs' names (`hub.eu.letsbe.biz`), the tenant base domains
 * (`eu.letsbe.biz`) and the registry (`code.letsbe.solutions`) live in them. A tenant domain may
 * never equal or contain one of them, and sits inside one only as one label under its hub's
 * tenant base domain.
 */
export const PLATFORM_DOMAINS: readonly string[] = ["letsbe.biz", "letsbe.solutions"];

/**
 * Labels no tenant takes directly under a tenant base domain (or a platform domain): the hub's
 * name, names the platform serves or will serve, the hub stack names, the region ids. `sandbox`
 * is not reserved: the QA tenants use it.
 */
export const RESERVED_LABELS: readonly string[] = [
  "hub", "www", "api", "app", "admin", "auth", "sso", "login", "id", "mail", "smtp", "imap", "webmail", "mx",
  "autoconfig", "autodiscover", "ns", "ns1", "ns2", "dns", "status", "registry", "code", "git", "docs", "help",
  "support", "billing", "letsbe", "prod", "staging", "dev", ...REGION_IDS,
];

/** Lowercase, without surrounding space or trailing dots: `Acme.Example.` is `acme.example`. */
export function normaliseDomain(name: string): string {
  return name.trim().toLowerCase().replace(/\.+$/, "");
}

/** `a` against `b`, label by label: `shop.acme.example` sits inside `acme.example`, never inside `cme.example`. */
export type DomainRelation = "equals" | "contains" | "sits inside" | "disjoint";

export function domainRelation(a: string, b: string): DomainRelation {
  const x = normaliseDomain(a);
  const y = normaliseDomain(b);
  if (x === y) return "equals";
  if (x.endsWith(`.${y}`)) return "sits inside";
  if (y.endsWith(`.${x}`)) return "contains";
  return "disjoint";
}

/** One tenant's claim on a domain, and where the claim came from (file, order, record). */
export interface DomainClaim {
  readonly tenant: string;
  readonly domain: string;
  readonly source: string;
}

export interface DomainCollision {
  /** The later claim, reported. */
  readonly claim: DomainClaim;
  /** The earlier claim it collides with. */
  readonly other: DomainClaim;
  readonly relation: Exclude<DomainRelation, "disjoint">;
}

export const DISJOINT_RULE = "no tenant domain may equal, contain or sit inside another tenant's";

/**
 * Every claim that equals, contains or sits inside an earlier claim of another tenant, in claim
 * order. Claims of one tenant never collide with each other (a resubmitted order).
 */
export function domainCollisions(claims: readonly DomainClaim[]): DomainCollision[] {
  const exact = new Map<string, DomainClaim[]>(); // domain -> claims of it
  const below = new Map<string, DomainClaim[]>(); // proper suffix -> claims inside it
  const found: DomainCollision[] = [];
  for (const claim of claims) {
    const domain = normaliseDomain(claim.domain);
    const labels = domain.split(".");
    const suffixes = labels.slice(1).map((_, i) => labels.slice(i + 1).join("."));
    const hits: { other: DomainClaim; relation: DomainCollision["relation"] }[] = [
      ...(exact.get(domain) ?? []).map((other) => ({ other, relation: "equals" as const })),
      ...suffixes.flatMap((s) => (exact.get(s) ?? []).map((other) => ({ other, relation: "sits inside" as const }))),
      ...(below.get(domain) ?? []).map((other) => ({ other, relation: "contains" as const })),
    ];
    for (const { other, relation } of hits) if (other.tenant !== claim.tenant) found.push({ claim, other, relation });
    exact.set(domain, [...(exact.get(domain) ?? []), claim]);
    for (const s of suffixes) below.set(s, [...(below.get(s) ?? []), claim]);
  }
  return found;
}

/** Names both tenants, both domains, where the other claim came from, and the rule. */
export function collisionMessage(c: DomainCollision): string {
  return `domain "${c.claim.domain}" of tenant "${c.claim.tenant}" ${c.relation} "${c.other.domain}" of tenant "${c.other.tenant}" `
    + `(${c.other.source}): ${DISJOINT_RULE}`;
}

/** What a checker knows of the hub a tenant follows. */
export interface PlatformNames {
  /** The hub's tenant base domain (`eu.letsbe.biz`); unknown, only the platform domains are judged. */
  readonly tenantBaseDomain?: string;
  /** The hub's own name (`hub.eu.letsbe.biz`). */
  readonly hubDomain?: string;
}

/**
 * The rules between one tenant's domain and the platform: under the base domain exactly one
 * label, never a reserved one; never the base domain, the hub's name or a platform domain, nor
 * a name containing one; inside a platform domain only under the base domain. Each message
 * names the tenant and the platform name it collides with.
 */
export function platformDomainProblems(tenant: string, domain: string, names: PlatformNames = {}): string[] {
  const name = normaliseDomain(domain);
  const who = `domain "${name}" of tenant "${tenant}"`;
  const problems: string[] = [];
  const base = names.tenantBaseDomain === undefined ? undefined : normaliseDomain(names.tenantBaseDomain);
  if (names.hubDomain !== undefined) {
    const relation = domainRelation(name, names.hubDomain);
    if (relation !== "disjoint") {
      problems.push(`${who} ${relation} the hub's name "${normaliseDomain(names.hubDomain)}": a tenant never takes, contains or sits inside the hub's name`);
    }
  }
  if (base !== undefined) {
    const relation = domainRelation(name, base);
    if (relation === "equals" || relation === "contains") {
      problems.push(`${who} ${relation} the tenant base domain "${base}", which would cover every tenant: a tenant takes exactly one label under it`);
    } else if (relation === "sits inside") {
      const labels = name.slice(0, -(base.length + 1)).split(".");
      if (labels.length > 1) {
        problems.push(`${who} has ${labels.length} labels under the tenant base domain "${base}": a tenant takes exactly one (e.g. "${labels[labels.length - 1]}.${base}")`);
      } else if (RESERVED_LABELS.includes(labels[0]!)) {
        problems.push(`${who} takes "${labels[0]}", a name reserved for the platform under "${base}" (reserved: ${RESERVED_LABELS.join(", ")})`);
      }
      return problems; // one label under the base domain is the one place a tenant sits inside a platform domain
    }
  }
  for (const platform of PLATFORM_DOMAINS) {
    const relation = domainRelation(name, platform);
    if (relation === "equals" || relation === "contains") {
      problems.push(`${who} ${relation} the platform domain "${platform}": tenants never take the platform's own zones`);
    } else if (relation === "sits inside" && problems.length === 0) {
      const first = name.split(".")[0]!;
      if (RESERVED_LABELS.includes(first)) {
        problems.push(`${who} takes "${first}", a name reserved for the platform (reserved: ${RESERVED_LABELS.join(", ")})`);
      } else if (base !== undefined) {
        problems.push(`${who} sits inside the platform domain "${platform}" but not directly under the tenant base domain "${base}": only one label under the base domain is a tenant's`);
      }
    }
  }
  return problems;
}
