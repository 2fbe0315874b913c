/**
 * Typed errors of the SCP client and the Netcup provider, built by factory functions on plain
 * `Error` objects. Not classes: Pulumi's closure serializer turns a class into a function that
 * calls `Error` without `new`, drops class-field initializers and leaves the prototype unlinked,
 * so an error class built inside the serialized provider would not even be an `Error` (the
 * engine would print "[object Object]"). A plain `Error` with a `name` and extra fields survives,
 * and `name` is what callers branch on (`instanceof` cannot hold across the serialization).
 *
 * No error ever carries a request body, a token or a task result: only method, path, status and
 * what the API said about the failure.
 */

/** One field the API rejected (`ValidationError.errors[]`). */
export interface ScpFieldError {
  readonly field: string;
  readonly message: string;
}

function makeError<N extends string, F extends object>(name: N, message: string, fields: F): Error & { readonly name: N } & Readonly<F> {
  const error = new Error(message);
  error.name = name;
  return Object.assign(error, fields) as Error & { readonly name: N } & Readonly<F>;
}

/** True when `error` is an `Error` with this name (works for errors built in the serialized provider). */
export function isNamedError<N extends string>(error: unknown, name: N): error is Error & { readonly name: N } {
  return error instanceof Error && error.name === name;
}

/** The API answered with a status the call did not expect. */
export type ScpApiError = ReturnType<typeof scpApiError>;
export function scpApiError(method: string, path: string, status: number, code: string, apiMessage: string, fieldErrors: readonly ScpFieldError[] = [], retryAfterMs?: number) {
  const fields = fieldErrors.map((f) => `${f.field}: ${f.message}`).join("; ");
  const message = `SCP ${method} ${path} answered ${status}${code ? ` ${code}` : ""}${apiMessage ? `: ${apiMessage}` : ""}${fields ? ` (${fields})` : ""}`;
  // `code` and `apiMessage` come from the API's error body and are empty when it had none;
  // `retryAfterMs` is the answer's `Retry-After`, when it sent one.
  return makeError("ScpApiError", message, { method, path, status, code, apiMessage, fieldErrors, retryAfterMs });
}

/** The request never got an answer; `mayHaveBeenAccepted` says whether repeating it could act twice. */
export type ScpNetworkError = ReturnType<typeof scpNetworkError>;
export function scpNetworkError(method: string, path: string, reason: string, mayHaveBeenAccepted: boolean) {
  const message = `SCP ${method} ${path} failed without an answer (${reason})${mayHaveBeenAccepted ? "; the call may have been accepted, so it was not repeated" : ""}`;
  return makeError("ScpNetworkError", message, { method, path, reason, mayHaveBeenAccepted });
}

/** The token endpoint refused the refresh token (revoked, expired, wrong realm or client). */
export type ScpAuthError = ReturnType<typeof scpAuthError>;
export function scpAuthError(status: number, error: string, description: string) {
  const message = `SCP token refresh refused (${status}${error ? ` ${error}` : ""}${description ? `: ${description}` : ""}); renew the Netcup refresh token (device flow) and update the stack secret`;
  return makeError("ScpAuthError", message, { status, error, description });
}

/** An asynchronous task ended in ERROR, CANCELED or ROLLBACK. */
export type ScpTaskError = ReturnType<typeof scpTaskError>;
export function scpTaskError(uuid: string, taskName: string, state: string, apiMessage: string) {
  return makeError("ScpTaskError", `SCP task ${taskName} (${uuid}) ended in ${state}${apiMessage ? `: ${apiMessage}` : ""}`, { uuid, taskName, state, apiMessage });
}

/** An asynchronous task did not finish within the allowed time. */
export type ScpTaskTimeoutError = ReturnType<typeof scpTaskTimeoutError>;
export function scpTaskTimeoutError(uuid: string, taskName: string, timeoutMs: number, lastState: string) {
  return makeError("ScpTaskTimeoutError", `SCP task ${taskName} (${uuid}) still ${lastState} after ${Math.round(timeoutMs / 1000)} s`, { uuid, taskName, timeoutMs, lastState });
}

/** The API answered with a body the client does not understand. */
export type ScpResponseError = ReturnType<typeof scpResponseError>;
export function scpResponseError(method: string, path: string, problem: string) {
  return makeError("ScpResponseError", `SCP ${method} ${path} answered with an unexpected body: ${problem}`, { method, path, problem });
}

/** Marker the order flow matches after the error has crossed the engine as plain text. */
export const POOL_EMPTY_MARKER = "NETCUP_POOL_EMPTY";

/** No free server of the product at the site: the order flow falls back to Hetzner on this. */
export type NetcupPoolEmptyError = ReturnType<typeof netcupPoolEmptyError>;
export function netcupPoolEmptyError(product: string, site: string, poolNickname: string) {
  const message = `${POOL_EMPTY_MARKER}: no free Netcup server of product "${product}" at site ${site} (pool servers carry the nickname "${poolNickname}")`;
  return makeError("NetcupPoolEmptyError", message, { product, site, poolNickname, marker: POOL_EMPTY_MARKER });
}

/**
 * What a failed create did with the server it claimed: returned it to the pool (its disk was
 * never touched), failed to, or kept it claimed for the tenant because an install may have
 * started on it (the next create adopts and reinstalls it).
 */
export type ClaimOutcome = "released" | "release-failed" | "kept";

/** A step of create, update or delete failed; says which, on which server, and (create) what became of the claim. */
export type NetcupStepError = ReturnType<typeof netcupStepError>;
export function netcupStepError(operation: "create" | "update" | "delete", step: string, serverName: string, claim: ClaimOutcome | undefined, causeMessage: string) {
  const endings: Record<ClaimOutcome, string> = {
    released: "; the server was returned to the pool",
    "release-failed": "; returning the server to the pool FAILED, release it by hand (set its nickname back to the pool marker)",
    kept: "; an install may have started on it, so it stays claimed for the tenant (never back in the pool unwiped): the next create adopts and reinstalls it",
  };
  const message = `Netcup ${operation} failed at step "${step}" on server ${serverName}: ${causeMessage}${claim ? endings[claim] : ""}`;
  return makeError("NetcupStepError", message, { operation, step, serverName, released: claim === "released", claim, causeMessage });
}

/** True for the empty-pool error, also after it crossed the engine and only its message is left. */
export function isNetcupPoolEmpty(error: unknown): boolean {
  const message = error instanceof Error ? error.message : typeof error === "string" ? error : "";
  return message.includes(POOL_EMPTY_MARKER);
}
