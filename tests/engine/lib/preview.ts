/**
 * Resource lists of a preview, as `type::name <- parent type::name`, from the engine's events and
 * from the offline plan's report, so the two can be compared resource by resource.
 */
import type { EngineEvent } from "@pulumi/pulumi/automation";
import type { PlannedStack } from "../../../automation/plan/types";
import { urnParts } from "../standins/generic";

const IGNORED = (type: string) => type === "pulumi:pulumi:Stack" || type.startsWith("pulumi:providers:");

function key(urn: string, parent: string | undefined): string {
  const self = urnParts(urn);
  const up = parent ? urnParts(parent) : undefined;
  const parentKey = !up || up.type === "pulumi:pulumi:Stack" ? "stack" : `${up.type}::${up.name}`;
  return `${self.type}::${self.name} <- ${parentKey}`;
}

export class PreviewRecorder {
  private readonly seen = new Map<string, string>();
  /** Policy findings the engine reported: `policy level: resource name`. */
  readonly violations: string[] = [];
  /** The same with the engine's message, for findings a test must explain. */
  readonly messages = new Map<string, string>();

  readonly onEvent = (event: EngineEvent): void => {
    const meta = event.resourcePreEvent?.metadata;
    if (meta) {
      const state = meta.new ?? meta.old;
      if (!IGNORED(meta.type)) this.seen.set(meta.urn, key(meta.urn, state?.parent));
    }
    const policy = event.policyEvent;
    if (policy) {
      // A stack-level finding names no resource, as in the offline plan (the engine names the Stack).
      const at = urnParts(policy.resourceUrn ?? "");
      const finding = `${policy.policyName} ${policy.enforcementLevel}: ${at.type === "pulumi:pulumi:Stack" ? "" : at.name}`;
      this.violations.push(finding);
      this.messages.set(finding, policy.message);
    }
  };

  resources(): string[] {
    return [...this.seen.values()].sort();
  }
}

export function plannedResources(stack: PlannedStack): string[] {
  return stack.resources.filter((r) => !IGNORED(r.type)).map((r) => key(r.urn, r.parent)).sort();
}

export function plannedViolations(stack: PlannedStack): string[] {
  return stack.violations.map((v) => `${v.policy} ${v.level}: ${urnParts(v.urn ?? "").name}`).sort();
}

interface CliPreviewStep { readonly op: string; readonly urn: string }

/**
 * Resource name -> operation of a `pulumi preview --json`, for every resource that is not left as
 * it is (the CLI lists no step for most of those; a `same` or `read` one is dropped here too).
 * Replacement steps count as `replace`; the Stack itself is left out.
 */
export function changedResources(stdout: string): Record<string, string> {
  const steps = (JSON.parse(stdout) as { steps?: CliPreviewStep[] }).steps ?? [];
  const ops: Record<string, string> = {};
  for (const s of steps) {
    const op = ["create-replacement", "delete-replaced", "replace"].includes(s.op) ? "replace" : s.op;
    // A StackReference (the hub's) is read on every run; a read changes nothing.
    if (op !== "same" && op !== "read" && !s.urn.includes("::pulumi:pulumi:Stack::")) ops[urnParts(s.urn).name] = op;
  }
  return ops;
}
