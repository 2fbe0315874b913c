/**
 * Config an estate gives every tenant stack besides what the order flow writes (the endpoints of
 * its fakes, stand-in images): what an operator keeps in each Pulumi.<stack>.yaml of a non-production
 * estate. Wraps any TenantWorkspace.
 */
import { urnParts } from "../standins/generic";
import type { EngineEvent, OperationResult, StackConfig, StackOperation, TenantWorkspace } from "../../../automation/workspace/types";

/** One operation as the engine reported it: every step's op by resource name. */
export interface ObservedRun {
  readonly slug: string;
  readonly kind: "up" | "preview" | "destroy" | "refresh";
  readonly steps: Array<{ readonly urn: string; readonly name: string; readonly type: string; readonly op: string }>;
  ok?: boolean;
}

export class SettingsWorkspace implements TenantWorkspace {
  readonly kind: string;
  readonly runs: ObservedRun[] = [];

  /** `observe` sees every engine event of every operation, besides the caller's own listener. */
  constructor(
    private readonly inner: TenantWorkspace,
    private readonly settings: (slug: string) => StackConfig,
    private readonly observe?: (event: EngineEvent) => void,
  ) {
    this.kind = inner.kind;
  }

  up(op: StackOperation): Promise<OperationResult> {
    return this.observed("up", op, (o) => this.inner.up(o));
  }

  preview(op: StackOperation): Promise<OperationResult> {
    return this.observed("preview", op, (o) => this.inner.preview(o));
  }

  destroy(op: StackOperation): Promise<OperationResult> {
    return this.observed("destroy", op, (o) => this.inner.destroy(o));
  }

  refresh(op: StackOperation): Promise<OperationResult> {
    return this.observed("refresh", op, (o) => this.inner.refresh(o));
  }

  private async observed(kind: ObservedRun["kind"], op: StackOperation, run: (op: StackOperation) => Promise<OperationResult>): Promise<OperationResult> {
    const observed: ObservedRun = { slug: op.slug, kind, steps: [] };
    this.runs.push(observed);
    const onEvent = (event: EngineEvent) => {
      const meta = event.resOutputsEvent?.metadata ?? event.resOpFailedEvent?.metadata;
      if (meta) observed.steps.push({ urn: meta.urn, name: urnParts(meta.urn).name, type: meta.type, op: event.resOpFailedEvent ? "failed" : meta.op });
      this.observe?.(event);
      op.onEvent?.(event);
    };
    try {
      const result = await run({ ...op, config: { ...this.settings(op.slug), ...op.config }, onEvent });
      observed.ok = true;
      return result;
    } catch (error) {
      observed.ok = false;
      throw error;
    }
  }
}
