/**
 * The Automation API boundary: one interface for running a tenant stack's operations. The
 * production implementations wrap Pulumi's LocalWorkspace and RemoteWorkspace; the tests bring
 * their own (tests/automation/simulatedWorkspace.ts).
 */
import type { EngineEvent } from "@pulumi/pulumi/automation";

export type { EngineEvent };

/** One stack config value as the CLI stores it: a string (JSON for objects). */
export interface StackConfigValue {
  readonly value: string;
  /** Stored encrypted; never printed, journaled or sent in events. */
  readonly secret?: boolean;
}

export type StackConfig = Readonly<Record<string, StackConfigValue>>;

export interface StackOperation {
  /** Tenant slug = stack name. */
  readonly slug: string;
  /** The whole config of the stack; written before the operation runs. */
  readonly config: StackConfig;
  /** Engine events as they happen (resource pre/outputs, diagnostics, summary). */
  readonly onEvent?: (event: EngineEvent) => void;
  /** Aborts the operation (timeouts, service shutdown). */
  readonly signal?: AbortSignal;
  /**
   * The id of a confirmed decommission: the stack is tagged `letsbe:decommission` with it before the
   * operation, so the `up` that lifts protection (in the state and at the providers) passes the
   * stateful-protected policy. Never set outside the order flow's destroy.
   */
  readonly decommission?: string;
  /**
   * Up only: URNs to replace (`pulumi up --replace`), a server on a failed disk say. Their `protect`
   * is lifted in the state first; the program declares it again in the same update.
   */
  readonly replace?: readonly string[];
}

export interface StackOutput {
  readonly value: unknown;
  readonly secret: boolean;
}

export interface OperationResult {
  /** Stack outputs after the operation (empty after destroy). */
  readonly outputs: Readonly<Record<string, StackOutput>>;
  /** Resource operations by kind (`create`, `same`, `update`, `delete`, ...). */
  readonly changes: Readonly<Record<string, number>>;
}

export interface TenantWorkspace {
  /** `local` or `remote` (a test's own workspace names itself): shown in job records and CLI output. */
  readonly kind: string;
  up(op: StackOperation): Promise<OperationResult>;
  preview(op: StackOperation): Promise<OperationResult>;
  destroy(op: StackOperation): Promise<OperationResult>;
  /** Reads every resource back from its provider into the state; `changes` says what drifted (`same` only: none). */
  refresh(op: StackOperation): Promise<OperationResult>;
}

/** Another operation holds the stack's lock; retry once it clears. */
export class StackBusyError extends Error {
  constructor(readonly slug: string, detail: string) {
    super(`stack ${slug} is being updated by another operation: ${detail}`);
    this.name = "StackBusyError";
  }
}

/** A failure worth retrying (network, API rate limit, a lost connection). */
export class TransientError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TransientError";
  }
}

/** The operation did not finish within its time limit and was cancelled. */
export class OperationTimeoutError extends Error {
  constructor(readonly slug: string, readonly timeoutMs: number) {
    const limit = timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`;
    super(`operation on stack ${slug} exceeded its ${limit} limit and was cancelled`);
    this.name = "OperationTimeoutError";
  }
}
