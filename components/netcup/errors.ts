/**
 * Typed errors of the SCP client and the Netcup provider. The provider runs serialized inside
 * Pulumi's dynamic-provider host, where `instanceof` against these classes no longer holds and
 * the engine only keeps the message; so every class sets `name`, and the errors the order flow
 * branches on carry a stable marker in their message as well.
 *
 * No error ever carries a request body, a token or a task result: only method, path, status and
 * what the API said about the failure.
 */

/** One field the API rejected (`ValidationError.errors[]`). */
export interface ScpFieldError {
  readonly field: string;
  readonly message: string;
}

/** The API answered with a status the call did not expect. */
export class ScpApiError extends Error {
  override readonly name = "ScpApiError";
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    /** `code` from the API's error body, e.g. `error.notfound`; empty when absent. */
    readonly code: string,
    /** `message` from the API's error body; empty when absent. */
    readonly apiMessage: string,
    readonly fieldErrors: readonly ScpFieldError[] = [],
  ) {
    const fields = fieldErrors.map((f) => `${f.field}: ${f.message}`).join("; ");
    super(`SCP ${method} ${path} answered ${status}${code ? ` ${code}` : ""}${apiMessage ? `: ${apiMessage}` : ""}${fields ? ` (${fields})` : ""}`);
  }
}

/** The request never got an answer; `mayHaveBeenAccepted` says whether repeating it could act twice. */
export class ScpNetworkError extends Error {
  override readonly name = "ScpNetworkError";
  constructor(
    readonly method: string,
    readonly path: string,
    readonly reason: string,
    readonly mayHaveBeenAccepted: boolean,
  ) {
    super(`SCP ${method} ${path} failed without an answer (${reason})${mayHaveBeenAccepted ? "; the call may have been accepted, so it was not repeated" : ""}`);
  }
}

/** The token endpoint refused the refresh token (revoked, expired, wrong realm or client). */
export class ScpAuthError extends Error {
  override readonly name = "ScpAuthError";
  constructor(readonly status: number, readonly error: string, readonly description: string) {
    super(`SCP token refresh refused (${status}${error ? ` ${error}` : ""}${description ? `: ${description}` : ""}); renew the Netcup refresh token (device flow) and update the stack secret`);
  }
}

/** An asynchronous task ended in ERROR, CANCELED or ROLLBACK. */
export class ScpTaskError extends Error {
  override readonly name = "ScpTaskError";
  constructor(readonly uuid: string, readonly taskName: string, readonly state: string, readonly apiMessage: string) {
    super(`SCP task ${taskName} (${uuid}) ended in ${state}${apiMessage ? `: ${apiMessage}` : ""}`);
  }
}

/** An asynchronous task did not finish within the allowed time. */
export class ScpTaskTimeoutError extends Error {
  override readonly name = "ScpTaskTimeoutError";
  constructor(readonly uuid: string, readonly taskName: string, readonly timeoutMs: number, readonly lastState: string) {
    super(`SCP task ${taskName} (${uuid}) still ${lastState} after ${Math.round(timeoutMs / 1000)} s`);
  }
}

/** The API answered with a body the client does not understand. */
export class ScpResponseError extends Error {
  override readonly name = "ScpResponseError";
  constructor(readonly method: string, readonly path: string, readonly problem: string) {
    super(`SCP ${method} ${path} answered with an unexpected body: ${problem}`);
  }
}

/** Marker the order flow matches after the error has crossed the engine as plain text. */
export const POOL_EMPTY_MARKER = "NETCUP_POOL_EMPTY";

/** No free server of the product at the site: the order flow falls back to Hetzner on this. */
export class NetcupPoolEmptyError extends Error {
  override readonly name = "NetcupPoolEmptyError";
  readonly marker = POOL_EMPTY_MARKER;
  constructor(readonly product: string, readonly site: string, readonly poolNickname: string) {
    super(`${POOL_EMPTY_MARKER}: no free Netcup server of product "${product}" at site ${site} (pool servers carry the nickname "${poolNickname}")`);
  }
}

/** A step of create or delete failed; says which, on which server, and whether the claim was released. */
export class NetcupStepError extends Error {
  override readonly name = "NetcupStepError";
  constructor(
    readonly operation: "create" | "update" | "delete",
    readonly step: string,
    readonly serverName: string,
    /** For create: the server went back to the pool; for delete: not applicable. */
    readonly released: boolean | undefined,
    readonly causeMessage: string,
  ) {
    const release = released === undefined ? "" : released ? "; the server was returned to the pool" : "; returning the server to the pool FAILED, release it by hand (set its nickname back to the pool marker)";
    super(`Netcup ${operation} failed at step "${step}" on server ${serverName}: ${causeMessage}${release}`);
  }
}

/** True for the empty-pool error, also after it crossed the engine and only its message is left. */
export function isNetcupPoolEmpty(error: unknown): boolean {
  if (error instanceof NetcupPoolEmptyError) return true;
  const message = error instanceof Error ? error.message : typeof error === "string" ? error : "";
  return message.includes(POOL_EMPTY_MARKER);
}
