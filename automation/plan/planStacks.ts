/** Plans single stacks under the mock runtime and turns them into report entries. */
import { createHash } from "node:crypto";
import { hubProgram } from "../../stacks/hub/program";
import { tenantProgram } from "../../stacks/tenant/program";
import { HUB_PROJECT, TENANT_PROJECT } from "../../contracts/hub";
import { InvalidInputError, TenantSpec } from "../../tenants/schema";
import { judgeStack } from "./judge";
import { MockRunOptions, MockRunResult, runUnderMocks } from "./mockRuntime";
import { PlanIdentity, tenantRunOptions } from "./stackConfig";
import { PlanError, PlannedStack } from "./types";

export interface StackPlanOutcome {
  readonly stack?: PlannedStack;
  readonly errors: PlanError[];
  /** Plain outputs (secrets unwrapped) for stacks that feed references; never printed. */
  readonly plainOutputs?: Record<string, unknown>;
  readonly secretOutputs?: string[];
}

export async function planStack(
  program: () => Promise<Record<string, unknown>>,
  options: MockRunOptions,
): Promise<StackPlanOutcome> {
  let result: MockRunResult;
  try {
    result = await runUnderMocks(program, options);
  } catch (error) {
    return { errors: programErrors(error, `stack ${options.project}/${options.stack}`) };
  }
  const violations = await judgeStack({ project: options.project, stack: options.stack, resources: result.resources, outputs: result.plainOutputs });
  return {
    stack: {
      project: options.project,
      stack: options.stack,
      resources: result.resources.map((r) => ({
        urn: r.urn,
        type: r.type,
        name: r.name,
        ...(r.parent ? { parent: r.parent } : {}),
        dependencies: r.dependencies,
        inputs: reportedInputs(r.inputs),
        protect: r.protect,
        custom: r.custom,
        secretPaths: r.secretPaths,
      })),
      outputs: result.outputs,
      violations,
    },
    errors: [],
    plainOutputs: result.plainOutputs,
    secretOutputs: result.secretOutputs,
  };
}

/**
 * A dynamic resource's `__provider` is tens of kilobytes of serialized code: the report names
 * it by hash, so a changed provider still shows as a changed input.
 */
function reportedInputs(inputs: Record<string, unknown>): Record<string, unknown> {
  const provider = inputs.__provider;
  if (typeof provider !== "string") return inputs;
  const hash = createHash("sha256").update(provider).digest("hex").slice(0, 16);
  return { ...inputs, __provider: `[serialized provider sha256:${hash}, ${provider.length} bytes]` };
}

export function programErrors(error: unknown, source: string): PlanError[] {
  if (error instanceof InvalidInputError) return error.problems.map((p) => ({ ...p }));
  const err = error as { propertyPath?: string; reason?: string; message?: string };
  if (err && typeof err.propertyPath === "string") return [{ source, path: err.propertyPath, message: err.reason ?? String(err.message) }];
  return [{ source, path: "", message: error instanceof Error ? error.message : String(error) }];
}

export function planHubStack(options: MockRunOptions): Promise<StackPlanOutcome> {
  return planStack(hubProgram, { ...options, project: HUB_PROJECT });
}

export interface HubReference {
  readonly outputs: Record<string, unknown>;
  readonly secretOutputs: readonly string[];
}

/** `tunnels`: the plan's own tunnel address per slug (automation/plan/tunnels.ts), recorded on each stack it planned with one. */
export async function planTenantStacks(
  specs: readonly TenantSpec[], identity: PlanIdentity, hub: HubReference, tunnels: Readonly<Record<string, string>> = {},
): Promise<StackPlanOutcome[]> {
  const outcomes: StackPlanOutcome[] = [];
  for (const spec of specs) {
    const address = tunnels[spec.slug];
    const options = tenantRunOptions(spec, identity, hub.outputs, hub.secretOutputs, address);
    const outcome = await planStack(tenantProgram, { ...options, project: TENANT_PROJECT });
    const stack = outcome.stack && address !== undefined ? { ...outcome.stack, tunnelAddress: { address, allocatedBy: "plan" as const } } : outcome.stack;
    outcomes.push({ stack, errors: outcome.errors });
  }
  return outcomes;
}
