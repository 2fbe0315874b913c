/** Error kinds of the order flow, and which of them are worth retrying. */
import { ConcurrentUpdateError } from "@pulumi/pulumi/automation";
import { isNetcupPoolEmpty } from "../../components/netcup/errors";
import { InvalidInputError } from "../../tenants/schema";
import { OperationTimeoutError, StackBusyError, TransientError } from "../workspace/types";
import { PoolEmptyError } from "./provider";

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

const TRANSIENT_TEXT = /ECONNRESET|ETIMEDOUT|EAI_AGAIN|ECONNREFUSED|socket hang up|\b429\b|Too Many Requests|\b50[234]\b|temporarily unavailable/i;

/** Lock conflicts, timeouts and network trouble retry; invalid input and empty pools never do. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof InvalidInputError || error instanceof PoolEmptyError || error instanceof ConfirmationError) return false;
  if (isNetcupPoolEmpty(error)) return false;
  if (error instanceof StackBusyError || error instanceof TransientError || error instanceof OperationTimeoutError) return true;
  if (error instanceof ConcurrentUpdateError) return true;
  return error instanceof Error && TRANSIENT_TEXT.test(error.message);
}

/** Replaces every known secret value (and its JSON-escaped form) in a text. */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    for (const form of new Set([secret, JSON.stringify(secret).slice(1, -1)])) out = out.split(form).join("[secret]");
  }
  return out;
}

/** A short, single-paragraph reason for events and job records. */
export function reasonOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const trimmed = text.replace(/\s+/g, " ").trim();
  return trimmed.length > 600 ? `${trimmed.slice(0, 600)}…` : trimmed;
}
