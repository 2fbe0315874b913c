/** A Hub order: validated once, here, and named in every error by its order id. */
import { z } from "zod";
import { collisionMessage, domainCollisions } from "../../tenants/domains";
import { ReleaseOverride, releaseOverrideSchema } from "../../tenants/release";
import { InputProblem, InvalidInputError, TenantSpec, hubProblems, requiredWhereMissing, tenantSpecSchema, zodProblems } from "../../tenants/schema";
import { readHubStackFile } from "./hubStackFile";
import type { TenantRecord } from "./store";

export const ORDER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const PROVIDER_CHOICES = ["auto", "netcup", "hetzner"] as const;
/** `auto`: Netcup's pool first, Hetzner when the pool for tier and region is empty. */
export type ProviderChoice = (typeof PROVIDER_CHOICES)[number];

const envelopeSchema = z.strictObject({
  orderId: z.string().regex(ORDER_ID_PATTERN, "must be 1-64 letters, digits, '.', '_' or '-'"),
  /** The tenant spec (tenants/schema.ts) except that `provider` may be `auto` (the default). */
  tenant: z.record(z.string(), z.unknown()),
  /** Allow Hetzner when Netcup's pool is empty. Default - true. */
  allowOverflow: z.boolean().default(true),
  /** Release pins for this tenant; the catalog's when absent. */
  release: releaseOverrideSchema.optional(),
});

export interface Order {
  readonly orderId: string;
  /** The validated spec; its `provider` is only final when `providerChoice` is not `auto`. */
  readonly spec: TenantSpec;
  readonly providerChoice: ProviderChoice;
  readonly allowOverflow: boolean;
  readonly release?: ReleaseOverride;
}

/** Validates an order as received (JSON); throws InvalidInputError naming the order and field. */
export function parseOrder(raw: unknown): Order {
  const idGuess = raw !== null && typeof raw === "object" && typeof (raw as { orderId?: unknown }).orderId === "string"
    ? (raw as { orderId: string }).orderId : "(no id)";
  const source = `order ${idGuess}`;
  const envelope = envelopeSchema.safeParse(raw);
  if (!envelope.success) throw new InvalidInputError(requiredWhereMissing(zodProblems(source, envelope.error), raw));
  const { orderId, tenant, allowOverflow, release } = envelope.data;

  const problems: InputProblem[] = [];
  const provider = tenant.provider ?? "auto";
  if (typeof provider !== "string" || !(PROVIDER_CHOICES as readonly string[]).includes(provider)) {
    problems.push({ source, path: "tenant.provider", message: `must be one of ${PROVIDER_CHOICES.join(", ")}` });
  }
  const providerChoice = problems.length === 0 ? (provider as ProviderChoice) : "auto";
  // `auto` is resolved later (it needs the pool); the rest of the spec is checked now.
  const candidate = { ...tenant, provider: providerChoice === "auto" ? "hetzner" : providerChoice };
  const spec = tenantSpecSchema.safeParse(candidate);
  if (!spec.success) {
    problems.push(...requiredWhereMissing(zodProblems(source, spec.error).map((p) => ({ ...p, path: p.path ? `tenant.${p.path}` : "tenant" })), raw));
  }
  if (problems.length > 0 || !spec.success) throw new InvalidInputError(problems);
  return { orderId, spec: spec.data, providerChoice, allowOverflow, ...(release ? { release } : {}) };
}

const hubSettingsSchema = z.object({
  config: z.object({ "letsbe-hub:settings": z.object({ tenantBaseDomain: z.string().min(3) }) }),
});

/**
 * The platform domain tenants of a region live under, from the hub's committed stack config
 * (`Pulumi.prod-<region>.yaml`): what the tenant program later reads from the hub's outputs.
 */
export function repoTenantBaseDomain(region: string, root?: string): string | undefined {
  const hub = readHubStackFile(region, root);
  if (!hub) return undefined;
  const parsed = hubSettingsSchema.safeParse(hub.doc);
  return parsed.success ? parsed.data.config["letsbe-hub:settings"].tenantBaseDomain : undefined;
}

/** The hub rules of the tenant program (a domain off the platform domain brings its zone), checked on admission. */
export function admissionProblems(order: Order, tenantBaseDomain: (region: string) => string | undefined): InputProblem[] {
  const base = tenantBaseDomain(order.spec.region);
  if (base === undefined) return [];
  return hubProblems(order.spec, base, `order ${order.orderId}`).map((p) => ({ ...p, path: `tenant.${p.path}` }));
}

/**
 * The order's domain against every other active tenant in the fleet's record: none may equal,
 * contain or sit inside another's. Each problem names both tenants, both orders and the rule.
 */
export function fleetDomainProblems(order: Order, fleet: readonly TenantRecord[]): InputProblem[] {
  const claim = { tenant: order.spec.slug, domain: order.spec.domain, source: `order ${order.orderId}` };
  const others = fleet.filter((r) => r.status === "active" && r.slug !== order.spec.slug)
    .map((r) => ({ tenant: r.slug, domain: r.spec.domain, source: `order ${r.orderId}` }));
  return domainCollisions([...others, claim]).filter((c) => c.claim === claim)
    .map((c) => ({ source: claim.source, path: "tenant.domain", message: collisionMessage(c) }));
}
