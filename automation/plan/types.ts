/** The offline plan's report: the contract of `npm run plan -- --json FILE`. */

export type EnforcementLevel = "mandatory" | "advisory" | "disabled";

export interface Violation {
  readonly policy: string;
  readonly level: EnforcementLevel;
  /** The resource that broke the policy; absent for a stack-level finding. */
  readonly urn?: string;
  readonly message: string;
}

export interface PlannedResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly parent?: string;
  readonly dependencies: string[];
  /** Inputs with every secret replaced by the string "[secret]". */
  readonly inputs: Record<string, unknown>;
  readonly protect: boolean;
  readonly custom: boolean;
  /** Dotted input paths that were Pulumi secrets. */
  readonly secretPaths: string[];
}

export interface PlannedStack {
  readonly project: string;
  readonly stack: string;
  readonly resources: PlannedResource[];
  /** Stack outputs, secrets as "[secret]". */
  readonly outputs: Record<string, unknown>;
  readonly violations: Violation[];
  /**
   * A tenant's tunnel address when the plan allocated it itself (a spec has no fleet record):
   * lowest free in slug order over the region's specs, not what the order flow would record.
   */
  readonly tunnelAddress?: { readonly address: string; readonly allocatedBy: "plan" };
}

export interface PlanError {
  readonly source: string;
  readonly path: string;
  readonly message: string;
}

export interface PlanReport {
  readonly stacks: PlannedStack[];
  readonly errors: PlanError[];
}

export const SECRET_MARK = "[secret]";
export const UNKNOWN_MARK = "[unknown]";
