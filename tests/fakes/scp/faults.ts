/** Fault injection for the fake SCP API. Every fault is armed for a number of occurrences. */

export interface FaultRule {
  /** Only requests with this method. Default - any. */
  readonly method?: string;
  /** Only requests whose path (below `/scp-core`, or `/token`) matches. Default - any. */
  readonly path?: RegExp;
  /** How many matching requests it hits. */
  times: number;
  /** Answer with this status instead of handling the request (429, 500, 502, 503, 504). */
  readonly status?: number;
  /** `Retry-After` seconds sent with the status. Default - none. */
  readonly retryAfterSeconds?: number;
  /** Delay before handling (a slow answer), ms. */
  readonly delayMs?: number;
  /** Hold the request, before handling it, until this settles (a claim that lands late, on cue). */
  readonly hold?: Promise<unknown>;
  /** Handle the request, then drop the connection without answering (a lost answer). */
  readonly dropAnswer?: boolean;
  /** Called when the rule hits, before anything else happens (lets a test act at that moment). */
  readonly onHit?: () => void;
}

export class Faults {
  readonly rules: FaultRule[] = [];
  /** Image installs still to end in ERROR. */
  failInstalls = 0;
  /** Snapshot creations still to end in ERROR (./snapshots). */
  failSnapshots = 0;
  /** API calls until every access token is revoked (-1: never). */
  tokenExpiryCountdown = -1;
  /** Server lists after which a competitor claims the first free server listed. */
  stealAfterList = 0;
  /** Claims after which a competitor overwrites the nickname before it can be read back. */
  stealAfterClaim = 0;

  /** `times` matching requests answer `status` (with `Retry-After` when given) or are delayed. */
  inject(rule: FaultRule): this {
    this.rules.push({ ...rule });
    return this;
  }

  /** A burst of 429 answers. */
  rateLimit(times: number, retryAfterSeconds?: number, path?: RegExp): this {
    return this.inject({ times, status: 429, retryAfterSeconds, path });
  }

  serverErrors(times: number, status = 503, path?: RegExp, method?: string): this {
    return this.inject({ times, status, path, method });
  }

  slow(times: number, delayMs: number, path?: RegExp): this {
    return this.inject({ times, delayMs, path });
  }

  /** The next `times` matching requests are applied but their answer is lost (connection dropped). */
  loseAnswers(times: number, path?: RegExp, method?: string): this {
    return this.inject({ times, dropAnswer: true, path, method });
  }

  /** The next `times` image installs end in ERROR. */
  failNextInstalls(times = 1): this {
    this.failInstalls += times;
    return this;
  }

  /** The next `times` snapshot creations end in ERROR (no snapshot is kept). */
  failNextSnapshots(times = 1): this {
    this.failSnapshots += times;
    return this;
  }

  /** Revoke all access tokens after `calls` more API calls: the next call gets 401. */
  expireTokensAfter(calls: number): this {
    this.tokenExpiryCountdown = calls;
    return this;
  }

  stealBetweenListAndClaim(times = 1): this {
    this.stealAfterList += times;
    return this;
  }

  stealBeforeReadBack(times = 1): this {
    this.stealAfterClaim += times;
    return this;
  }

  /** The first armed rule matching the request; consumes one occurrence. */
  take(method: string, path: string): FaultRule | undefined {
    const rule = this.rules.find((r) => r.times > 0 && (!r.method || r.method === method) && (!r.path || r.path.test(path)));
    if (rule) rule.times--;
    return rule;
  }

  clear(): void {
    this.rules.length = 0;
    this.failInstalls = 0;
    this.failSnapshots = 0;
    this.tokenExpiryCountdown = -1;
    this.stealAfterList = 0;
    this.stealAfterClaim = 0;
  }
}

/** Nickname a competing claimer writes. */
export const INTRUDER_NICKNAME = "letsbe-tenant:intruder";
