/** Error kinds of the order flow, and which of them are worth retrying. */
import { ConcurrentUpdateError } from "@pulumi/pulumi/automation";
import { isNetcupPoolEmpty } from "../../components/netcup/errors";
import { InvalidInputError } from "../../tenants/schema";
import { OperationTimeoutError, StackBusyError, TransientError } from "../workspace/types";
import { PoolEmptyError } from "./provider";
import { Scrubber } from "./scrub";

/** Destroy was asked for without repeating the slug. */
export class ConfirmationError extends Error {
  constructor(readonly slug: string) {
    super(`destroying tenant ${slug} needs the slug repeated as confirmation`);
    this.name = "ConfirmationError";
  }
}

/** The slug belongs to another order. */
export class SlugConflictError extends Error {
  constructor(readonly slug: string, readonly orderId: string, readonly ownerOrderId: string) {
    super(`order ${orderId}: slug "${slug}" already belongs to order ${ownerOrderId}`);
    this.name = "SlugConflictError";
  }
}

export class UnknownTenantError extends Error {
  constructor(readonly slug: string) {
    super(`no active tenant "${slug}"`);
    this.name = "UnknownTenantError";
  }
}

/** The service is stopping: the operation was cancelled (the CLI ended it cleanly) and is resumed on the next start. */
export class OperationAbortedError extends Error {
  constructor(readonly slug: string) {
    super(`operation on stack ${slug} was cancelled: the service is stopping`);
    this.name = "OperationAbortedError";
  }
}

const TRANSIENT_TEXT = /ECONNRESET|ETIMEDOUT|EAI_AGAIN|ECONNREFUSED|socket hang up|\b429\b|Too Many Requests|\b50[234]\b|temporarily unavailable/i;

/** Lock conflicts, timeouts and network trouble retry; invalid input and empty pools never do. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof InvalidInputError || error instanceof PoolEmptyError || error instanceof ConfirmationError) return false;
  if (error instanceof OperationAbortedError) return false;
  if (isNetcupPoolEmpty(error)) return false;
  if (error instanceof StackBusyError || error instanceof TransientError || error instanceof OperationTimeoutError) return true;
  if (error instanceof ConcurrentUpdateError) return true;
  return error instanceof Error && TRANSIENT_TEXT.test(error.message);
}

/** Longest failure reason sent to the Hub, characters. */
export const REASON_LIMIT = 600;

/**
 * A short, single-paragraph reason for events and job records. The scrubber runs on the raw text,
 * before it is folded and cut, so neither a multi-line key nor a token across the cut survives.
 */
export function reasonOf(error: unknown, scrubber: Scrubber): string {
  const text = scrubber.scrub(error instanceof Error ? error.message : String(error));
  return scrubber.scrub(shorten(text, REASON_LIMIT));
}

/** Folds whitespace and cuts to `limit` characters with an ellipsis. Scrub before calling it. */
export function shorten(text: string, limit: number): string {
  const folded = text.replace(/\s+/g, " ").trim();
  return folded.length > limit ? `${folded.slice(0, limit)}…` : folded;
}
