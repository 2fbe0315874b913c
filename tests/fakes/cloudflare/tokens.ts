/**
 * API tokens as Cloudflare scopes them: a token's policies name permission groups on resources, and
 * the finest DNS resource is a zone (`com.cloudflare.api.account.zone.<zone id>`); there is no
 * per-record scope. The fake holds the platform token (every zone of the account) and zone-scoped
 * tokens with Zone Read and DNS Write on the zones they name. A request about a zone outside the
 * token's is refused as Cloudflare refuses it (403, code 10000, "Authentication error"); the zone
 * list shows only the zones the token may read.
 */
import { randomBytes } from "node:crypto";

export const ZONE_RESOURCE = "com.cloudflare.api.account.zone.";

export interface TokenScope {
  /** Undefined - every zone of the account (the platform token). */
  readonly zoneIds?: ReadonlySet<string>;
}

export const newToken = (): string => randomBytes(30).toString("base64url");

export class TokenBook {
  private readonly scopes = new Map<string, TokenScope>();
  readonly issued = new Map<string, IssuedToken>();

  /** A token made through the API: its scope follows from its policies. */
  issue(name: string, policies: readonly TokenPolicy[]): IssuedToken {
    const token: IssuedToken = { id: randomBytes(16).toString("hex"), name, value: newToken(), policies, issuedOn: new Date().toISOString() };
    this.issued.set(token.id, token);
    this.add(token.value, scopeOfPolicies(policies));
    return token;
  }

  /** Revokes a token made through the API; false when there is none with that id. */
  revoke(id: string): boolean {
    const token = this.issued.get(id);
    if (!token) return false;
    this.issued.delete(id);
    this.scopes.delete(token.value);
    return true;
  }

  add(token: string, scope: TokenScope): void {
    this.scopes.set(token, scope);
  }

  /** Undefined when the token is unknown (revoked or never issued). */
  scopeOf(token: string): TokenScope | undefined {
    return this.scopes.get(token);
  }

  static mayUseZone(scope: TokenScope, zoneId: string): boolean {
    return scope.zoneIds === undefined || scope.zoneIds.has(zoneId);
  }

  /** The policy resources of a scope, in the form Cloudflare lists them on a token. */
  static resources(scope: TokenScope): Record<string, string> {
    if (scope.zoneIds === undefined) return { "com.cloudflare.api.account.*": "*" };
    return Object.fromEntries([...scope.zoneIds].map((id) => [`${ZONE_RESOURCE}${id}`, "*"]));
  }
}

/** Cloudflare's permission group ids (developers.cloudflare.com/fundamentals/api/reference/permissions/). */
export const PERMISSION_GROUPS = { dnsWrite: "4755a26eedb94da69e1066d98aa820be", zoneRead: "c8fed203ed3043cba015a93ad1616f1f" } as const;

export interface TokenPolicy {
  readonly effect: "allow" | "deny";
  readonly permission_groups: ReadonlyArray<{ readonly id: string }>;
  readonly resources: Readonly<Record<string, string>>;
}

/** A token made through `POST /user/tokens`, as the API describes it (the value only in the create answer). */
export interface IssuedToken {
  readonly id: string;
  readonly name: string;
  readonly value: string;
  readonly policies: readonly TokenPolicy[];
  readonly issuedOn: string;
}

/**
 * The zones a token's policies let it edit DNS in: allow policies with DNS Write, minus deny
 * policies. `com.cloudflare.api.account.zone.*` or an account resource means every zone (undefined).
 */
export function scopeOfPolicies(policies: readonly TokenPolicy[]): TokenScope {
  let all = false;
  const allowed = new Set<string>();
  const denied = new Set<string>();
  for (const policy of policies) {
    if (!policy.permission_groups.some((g) => g.id === PERMISSION_GROUPS.dnsWrite)) continue;
    for (const resource of Object.keys(policy.resources)) {
      const zone = resource.startsWith(ZONE_RESOURCE) ? resource.slice(ZONE_RESOURCE.length) : undefined;
      if (policy.effect === "deny") { if (zone) denied.add(zone); continue; }
      if (zone === undefined || zone === "*") all = true;
      else allowed.add(zone);
    }
  }
  // A deny under an account-wide allow is not modelled: the token keeps only the zones it names (narrower, never wider).
  if (all && denied.size === 0) return {};
  return { zoneIds: new Set([...allowed].filter((z) => !denied.has(z))) };
}
