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
