/**
 * The executor behind the Automation API boundary (TenantWorkspace), so the order flow and the
 * rollout drive it exactly as they drive LocalWorkspace: `up` and `destroy` per stack, with the
 * whole stack config written by the flow. Config the flow does not write (the stack's own
 * settings, as an operator keeps them in Pulumi.<stack>.yaml) comes from `stackSettings`.
 */
import { TENANT_PROJECT, hubStackReferenceName } from "../../../stacks/contract";
import type { OperationResult, StackOperation, StackOutput, TenantWorkspace } from "../../../automation/workspace/types";
import { requireDist } from "../../netcup/helpers";
import { Action, ExecutorOptions, StackExecutor, Step } from "./executor";

export interface HubReference {
  readonly outputs: Record<string, unknown>;
  readonly secretOutputs: readonly string[];
}

type ProgramModule = typeof import("../../../stacks/tenant/program");

export class ExecutorWorkspace implements TenantWorkspace {
  readonly kind = "e2e-executor";
  readonly executors = new Map<string, StackExecutor>();
  /** Every operation run, with its steps (a rollout's failing up and its rollback both show). */
  readonly history: Array<{ readonly slug: string; readonly op: "up" | "destroy"; readonly ok: boolean; readonly steps: readonly Step[] }> = [];

  constructor(
    private readonly hubs: Readonly<Record<string, HubReference>>,
    private readonly stackSettings: (slug: string) => Record<string, string>,
    private readonly executorOptions: ExecutorOptions,
  ) {}

  executor(slug: string): StackExecutor {
    let executor = this.executors.get(slug);
    if (!executor) {
      executor = new StackExecutor(this.executorOptions);
      this.executors.set(slug, executor);
    }
    return executor;
  }

  async up(op: StackOperation): Promise<OperationResult> {
    const config: Record<string, string> = { ...this.stackSettings(op.slug) };
    const secretKeys: string[] = [];
    for (const [key, entry] of Object.entries(op.config)) {
      config[key] = entry.value;
      if (entry.secret) secretKeys.push(key);
    }
    const org = config[`${TENANT_PROJECT}:hubOrg`] ?? "";
    const stackReferences = Object.fromEntries(Object.entries(this.hubs).map(([region, hub]) => [
      hubStackReferenceName(org, region), { outputs: hub.outputs, secretOutputNames: [...hub.secretOutputs] },
    ]));
    // The compiled program: the Netcup provider it serializes is what a deployment would ship.
    const { tenantProgram } = requireDist<ProgramModule>("stacks/tenant/program");
    const executor = this.executor(op.slug);
    const result = await this.recorded(op.slug, "up", executor, () => executor.up(tenantProgram, {
      project: TENANT_PROJECT, stack: op.slug, organization: org, config, secretConfigKeys: secretKeys, stackReferences,
    }));
    const problems = executor.consistencyProblems();
    if (problems.length > 0) throw new Error(`stack ${op.slug}: recorded resources disagree with what was created: ${problems.join("; ")}`);
    const outputs: Record<string, StackOutput> = {};
    for (const [key, value] of Object.entries(result.plainOutputs)) outputs[key] = { value, secret: result.secretOutputs.includes(key) };
    return { outputs, changes: countActions(executor.steps.map((s) => s.action)) };
  }

  preview(): Promise<OperationResult> {
    return Promise.reject(new Error("the e2e executor does not preview (the offline plan does)"));
  }

  async destroy(op: StackOperation): Promise<OperationResult> {
    const executor = this.executor(op.slug);
    const steps = await this.recorded(op.slug, "destroy", executor, () => executor.destroy());
    return { outputs: {}, changes: countActions(steps.map((s) => s.action)) };
  }

  async refresh(op: StackOperation): Promise<OperationResult> {
    throw new Error(`stack ${op.slug}: the executor does not read resources back; refresh runs on the engine tier`);
  }

  private async recorded<T>(slug: string, op: "up" | "destroy", executor: StackExecutor, body: () => Promise<T>): Promise<T> {
    try {
      const result = await body();
      this.history.push({ slug, op, ok: true, steps: executor.steps });
      return result;
    } catch (error) {
      this.history.push({ slug, op, ok: false, steps: executor.steps });
      throw error;
    }
  }
}

function countActions(actions: readonly Action[]): Record<string, number> {
  const changes: Record<string, number> = {};
  for (const action of actions) changes[action] = (changes[action] ?? 0) + 1;
  return changes;
}
