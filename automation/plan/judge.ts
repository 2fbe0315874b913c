/**
 * Applies the CrossGuard pack to planned stacks, in process, with the same argument shapes the
 * pack's analyzer builds (ResourceValidationArgs per resource, StackValidationArgs per stack).
 * In process rather than over the analyzer's gRPC: it costs a fraction of a millisecond per stack
 * and it can tell the policies which inputs were secrets, which the analyzer protocol's
 * validation path cannot (the SDK unwraps secrets first). The pack over gRPC is proven by
 * tests/policy/analyzer.test.ts.
 */
import {
  EnforcementLevel, Policies, PolicyResource, PolicyResourceOptions, ReportViolation, ResourceValidationArgs,
  ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy,
} from "@pulumi/policy";
import { oneVpsPerTenant, sharedVpsAcrossStacks } from "../../policy/oneVpsPerTenant";
import { policies as packPolicies } from "../../policy/policies";
import { SecretAwareArgs } from "../../policy/secretsAreSecret";
import { RecordedResource } from "./mockRuntime";
import { PlannedStack, SECRET_MARK, UNKNOWN_MARK, Violation } from "./types";

export interface JudgedStack {
  readonly project: string;
  readonly stack: string;
  readonly resources: readonly RecordedResource[];
  readonly outputs: Record<string, unknown>;
}

/** Per-policy configuration, as `pulumi preview --policy-config` takes it. */
export type PolicyConfig = Readonly<Record<string, { readonly enforcementLevel?: EnforcementLevel } & Record<string, unknown>>>;

export interface JudgeOptions {
  /** Default - the pack's policies. */
  readonly policies?: Policies;
  readonly config?: PolicyConfig;
}

class NotApplicable extends Error {}
class UnknownValue extends Error {}

function containsUnknown(value: unknown): boolean {
  if (value === UNKNOWN_MARK) return true;
  if (value === null || typeof value !== "object") return false;
  return Object.values(value).some(containsUnknown);
}

/** Props as policies see them; the (costly) proxy only where something is unknown. */
const checkedProps = (props: Record<string, unknown>) => (containsUnknown(props) ? unknownChecking(props) : props);

/** Like CrossGuard's proxy: reading a value the plan could not know stops that policy. */
function unknownChecking<T>(value: T, path: readonly string[] = []): T {
  if (value === null || typeof value !== "object") return value;
  return new Proxy(value as object, {
    get(target, key) {
      const v: unknown = Reflect.get(target, key);
      if (typeof key === "symbol") return v;
      if (v === UNKNOWN_MARK) throw new UnknownValue(`value at .${[...path, key].join(".")} can't be known during preview`);
      const desc = Object.getOwnPropertyDescriptor(target, key);
      if (desc && desc.configurable === false && desc.writable === false) return v;
      return unknownChecking(v, [...path, key]);
    },
  }) as T;
}

function levelOf(policy: { name: string; enforcementLevel?: EnforcementLevel }, config: PolicyConfig): Violation["level"] {
  const level = config[policy.name]?.enforcementLevel ?? policy.enforcementLevel ?? "mandatory";
  return level === "remediate" ? "mandatory" : level; // as the analyzer reports a failed remediation
}

const isResourcePolicy = (p: Policies[number]): p is ResourceValidationPolicy => "validateResource" in p && p.validateResource !== undefined;
const isStackPolicy = (p: Policies[number]): p is StackValidationPolicy => "validateStack" in p;

function options(r: RecordedResource): PolicyResourceOptions {
  return {
    protect: r.protect,
    ignoreChanges: r.ignoreChanges,
    deleteBeforeReplace: r.deleteBeforeReplace,
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
    ...(r.parent ? { parent: r.parent } : {}),
  };
}

type ResourceClass = { __pulumiType?: string };
const typeChecks = (type: string, props: Record<string, unknown>) => ({
  isType: (cls: unknown) => (cls as ResourceClass).__pulumiType === type,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  asType: (cls: unknown): any => ((cls as ResourceClass).__pulumiType === type ? props : undefined),
});

const stackTags: ReadonlyMap<string, string> = new Map();
const throwNotApplicable = (reason?: string): never => {
  throw new NotApplicable(reason);
};

/** Applies the pack to one planned stack. */
export async function judgeStack(stack: JudgedStack, opts: JudgeOptions = {}): Promise<Violation[]> {
  const config = opts.config ?? {};
  const active = (opts.policies ?? packPolicies).filter((p) => levelOf(p, config) !== "disabled");
  const violations: Violation[] = [];
  const reporter = (policy: Policies[number], fallbackUrn?: string): ReportViolation => (message, urn) => {
    const at = urn ?? fallbackUrn;
    violations.push({ policy: policy.name, level: levelOf(policy, config), ...(at ? { urn: at } : {}), message });
  };
  const getConfig = (policy: Policies[number]) => <T extends object>(): T => ({ ...(config[policy.name] ?? {}) }) as T;

  const resourcePolicies = active.filter(isResourcePolicy);
  for (const r of stack.resources) {
    const props = checkedProps(r.plainInputs);
    for (const policy of resourcePolicies) {
      const args: SecretAwareArgs = {
        type: r.type, urn: r.urn, name: r.name, props, opts: options(r), stackTags,
        ...typeChecks(r.type, props),
        getConfig: getConfig(policy), notApplicable: throwNotApplicable,
        secretPaths: r.secretPaths,
      } as SecretAwareArgs;
      const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource!];
      for (const validate of validations) await run(policy, () => validate(args as ResourceValidationArgs, reporter(policy, r.urn)), violations, r.urn);
    }
  }

  const stackPolicies = active.filter(isStackPolicy);
  if (stackPolicies.length > 0) {
    const resources = policyResources(stack.resources);
    for (const policy of stackPolicies) {
      const args: StackValidationArgs = { resources, stackTags, getConfig: getConfig(policy), notApplicable: throwNotApplicable };
      await run(policy, () => policy.validateStack(args, reporter(policy)), violations);
    }
  }
  return violations;
}

async function run(policy: Policies[number], validation: () => void | Promise<void>, violations: Violation[], urn?: string): Promise<void> {
  try {
    await validation();
  } catch (error) {
    if (error instanceof UnknownValue) {
      // CrossGuard reports these as advisory, whatever the policy's level.
      violations.push({ policy: policy.name, level: "advisory", ...(urn ? { urn } : {}), message: `can't run policy during preview: ${error.message}` });
    } else if (!(error instanceof NotApplicable)) {
      throw error;
    }
  }
}

/** The stack's resources as StackValidationArgs carries them: parents and dependencies linked. */
function policyResources(recorded: readonly RecordedResource[]): PolicyResource[] {
  const byUrn = new Map<string, PolicyResource>();
  const resources = recorded.map((r) => {
    const props = checkedProps(r.plainInputs);
    const resource: PolicyResource = {
      type: r.type, urn: r.urn, name: r.name, props, opts: options(r),
      dependencies: [], propertyDependencies: {}, ...typeChecks(r.type, props),
    };
    byUrn.set(r.urn, resource);
    return resource;
  });
  recorded.forEach((r, i) => {
    const resource = resources[i]!;
    resource.dependencies = r.dependencies.map((u) => byUrn.get(u)).filter((d): d is PolicyResource => d !== undefined);
    if (r.parent && byUrn.has(r.parent)) resource.parent = byUrn.get(r.parent);
  });
  return resources;
}

/** The report's top-level inputs without its markers: "[secret]" in two stacks is no shared value. */
function withoutMarks(inputs: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(inputs).filter(([, v]) => v !== SECRET_MARK && v !== UNKNOWN_MARK));
}

/**
 * Policies over the whole plan, which CrossGuard (one stack at a time) cannot apply: no server
 * or address is shared between tenant stacks. Adds the findings to the stacks involved.
 */
export function judgePlan(stacks: readonly PlannedStack[], config: PolicyConfig = {}): void {
  const level = levelOf(oneVpsPerTenant, config);
  if (level === "disabled") return;
  const shared = sharedVpsAcrossStacks(stacks.map((s) => ({
    stack: s.stack,
    resources: s.resources.map((r) => ({ type: r.type, urn: r.urn, name: r.name, props: withoutMarks(r.inputs) })),
  })));
  for (const finding of shared) {
    finding.stacks.forEach((name, i) => {
      const others = finding.stacks.filter((s) => s !== name).join(", ");
      stacks.find((s) => s.stack === name)?.violations.push({
        policy: oneVpsPerTenant.name,
        level,
        urn: finding.urns[i],
        message: `${finding.claim} is also claimed by tenant stack(s) ${others}; no server is shared between tenants`,
      });
    });
  }
}

/**
 * For the bench CLI: mean wall time to judge one planned stack, in milliseconds. Each stack is
 * judged once (after one warm-up), so per-file work such as parsing compose files counts fully.
 */
export async function judgeCostMs(stacks: readonly JudgedStack[]): Promise<number> {
  if (stacks.length === 0) return 0;
  await judgeStack(stacks[0]!); // module loads, JIT
  const start = process.hrtime.bigint();
  for (const stack of stacks) await judgeStack(stack);
  return Number(process.hrtime.bigint() - start) / 1e6 / stacks.length;
}
