/**
 * Builds CrossGuard's argument shapes from a type token and props, runs one policy, and
 * returns the messages it reported, as the analyzer would (one validation call per resource).
 */
import {
  PolicyResource, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationPolicy,
} from "@pulumi/policy";
import { SecretAwareArgs } from "../../policy/secretsAreSecret";

export interface Fixture {
  readonly type: string;
  readonly name: string;
  readonly props: Record<string, unknown>;
  /** Default - a tenant stack `acme-bakery`. */
  readonly stack?: string;
  /** Default - `letsbe-tenant`. */
  readonly project?: string;
  readonly protect?: boolean;
  readonly dependencies?: readonly string[];
  /** Input paths that were secrets; undefined models CrossGuard, which cannot tell. */
  readonly secretPaths?: readonly string[];
  /** The stack's tags. Default - none. */
  readonly stackTags?: Readonly<Record<string, string>>;
}

export const urnOf = (f: Pick<Fixture, "type" | "name" | "stack" | "project">): string =>
  `urn:pulumi:${f.stack ?? "acme-bakery"}::${f.project ?? "letsbe-tenant"}::${f.type}::${f.name}`;

class NotApplicable extends Error {}

const common = {
  stackTags: new Map<string, string>() as ReadonlyMap<string, string>,
  getConfig: <T extends object>() => ({}) as T,
  notApplicable: (reason?: string): never => {
    throw new NotApplicable(reason);
  },
  isType: () => false,
  asType: () => undefined,
};

export interface Outcome {
  readonly messages: string[];
  readonly urns: (string | undefined)[];
  /** The reason, when the policy declared itself not applicable. */
  readonly notApplicable?: string;
}

async function collect(run: (report: ReportViolation) => unknown): Promise<Outcome> {
  const messages: string[] = [];
  const urns: (string | undefined)[] = [];
  try {
    await run((message, urn) => {
      messages.push(String(message));
      urns.push(urn);
    });
  } catch (error) {
    if (error instanceof NotApplicable) return { messages, urns, notApplicable: error.message };
    throw error;
  }
  return { messages, urns };
}

export function resourceArgs(f: Fixture): SecretAwareArgs {
  return {
    ...common,
    type: f.type,
    name: f.name,
    urn: urnOf(f),
    props: f.props,
    opts: { protect: f.protect ?? false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] },
    ...(f.secretPaths ? { secretPaths: f.secretPaths } : {}),
    ...(f.stackTags ? { stackTags: new Map(Object.entries(f.stackTags)) } : {}),
  } as SecretAwareArgs;
}

export function checkResource(policy: ResourceValidationPolicy, f: Fixture): Promise<Outcome> {
  const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource!];
  return collect(async (report) => {
    for (const validate of validations) await validate(resourceArgs(f) as ResourceValidationArgs, report);
  });
}

export function checkStack(policy: StackValidationPolicy, fixtures: readonly Fixture[]): Promise<Outcome> {
  const resources: PolicyResource[] = fixtures.map((f) => ({
    ...resourceArgs(f),
    dependencies: [],
    propertyDependencies: {},
  }));
  fixtures.forEach((f, i) => {
    resources[i]!.dependencies = (f.dependencies ?? []).map((u) => resources.find((r) => r.urn === u)).filter((r): r is PolicyResource => !!r);
  });
  return collect((report) => policy.validateStack({ ...common, resources }, report));
}
