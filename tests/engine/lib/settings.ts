/**
 * Config an estate gives every tenant stack besides what the order flow writes (the endpoints of
 * its fakes, stand-in images): what an operator keeps in each Pulumi.<stack>.yaml of a non-production
 * estate. Wraps any TenantWorkspace.
 */
import type { OperationResult, StackConfig, StackOperation, TenantWorkspace } from "../../../automation/workspace/types";

export class SettingsWorkspace implements TenantWorkspace {
  readonly kind: string;

  constructor(private readonly inner: TenantWorkspace, private readonly settings: (slug: string) => StackConfig) {
    this.kind = inner.kind;
  }

  up(op: StackOperation): Promise<OperationResult> {
    return this.inner.up(this.with(op));
  }

  preview(op: StackOperation): Promise<OperationResult> {
    return this.inner.preview(this.with(op));
  }

  destroy(op: StackOperation): Promise<OperationResult> {
    return this.inner.destroy(this.with(op));
  }

  refresh(op: StackOperation): Promise<OperationResult> {
    return this.inner.refresh(this.with(op));
  }

  private with(op: StackOperation): StackOperation {
    return { ...op, config: { ...this.settings(op.slug), ...op.config } };
  }
}
