/**
 * A workspace that runs the real tenant program under Pulumi's mock runtime and replays its
 * registrations as engine events, keeping each stack's resources in memory so a second `up`
 * reports `same` where the engine would. It creates nothing anywhere. A test double: it drives the
 * order flow, the service and rollouts in the unit tier (faults injected on request) and the
 * README's rehearsal (`npm run rehearse`); production selects only `local` or `remote`.
 */
import { createHash } from "node:crypto";
import { ConcurrentUpdateError } from "@pulumi/pulumi/automation";
import { TENANT_PROJECT, hubStackReferenceName } from "../../contracts/hub";
import { tenantProgram } from "../../stacks/tenant/program";
import { RecordedResource, runUnderMocks } from "../../automation/plan/mockRuntime";
import { HubReference } from "../../automation/plan/planStacks";
import { EngineEvent, OperationResult, StackOperation, StackOutput, TenantWorkspace } from "../../automation/workspace/types";

/** A failure to inject into one attempt. */
export type SimulatedFault =
  /** The engine fails on the first resource of `atType` (default: the server). */
  | { readonly kind: "fail"; readonly atType?: string; readonly message?: string }
  /** The operation never finishes until cancelled. */
  | { readonly kind: "hang" }
  /** The backend reports another update in progress (Pulumi's ConcurrentUpdateError). */
  | { readonly kind: "busy" }
  /** The operation fails before any step, with this message (a provider or CLI error). */
  | { readonly kind: "error"; readonly message: string };

export type SimulatedOp = "up" | "preview" | "destroy" | "refresh";

export interface SimulatedWorkspaceOptions {
  /** Hub outputs per region, served to the tenant program's StackReference. */
  readonly hubs: Readonly<Record<string, HubReference>>;
  /** Delay before each engine event, ms: makes operations overlap as real ones do. Default - 0. */
  readonly stepDelayMs?: number;
  /** Chooses a fault for an attempt; `call` counts this stack's operations from 1. */
  readonly fault?: (op: SimulatedOp, slug: string, call: number) => SimulatedFault | undefined;
}

interface StoredResource {
  readonly type: string;
  readonly custom: boolean;
  readonly protect: boolean;
  readonly hash: string;
}

export interface SimulatedRun {
  readonly slug: string;
  readonly op: SimulatedOp;
  readonly startedAt: number;
  endedAt?: number;
}

export class SimulatedWorkspace implements TenantWorkspace {
  readonly kind = "simulated";
  /** Every operation with its start and end (performance.now()), for inspection. */
  readonly runs: SimulatedRun[] = [];
  private readonly stacks = new Map<string, Map<string, StoredResource>>();
  private readonly outputs = new Map<string, Record<string, StackOutput>>();
  private readonly locked = new Set<string>();
  private readonly calls = new Map<string, number>();
  private activeCount = 0;
  /** Most operations that ever ran at once. */
  maxActive = 0;

  constructor(private readonly options: SimulatedWorkspaceOptions) {}

  /** URNs the stack holds now. */
  resources(slug: string): string[] {
    return [...(this.stacks.get(slug)?.keys() ?? [])];
  }

  up(op: StackOperation): Promise<OperationResult> {
    return this.locked_(op, "up", (fault) => this.runProgram(op, fault, true));
  }

  preview(op: StackOperation): Promise<OperationResult> {
    return this.locked_(op, "preview", (fault) => this.runProgram(op, fault, false));
  }

  destroy(op: StackOperation): Promise<OperationResult> {
    return this.locked_(op, "destroy", async (fault) => {
      const state = this.stacks.get(op.slug) ?? new Map<string, StoredResource>();
      const urns = [...state.keys()].reverse();
      const protectedUrns = urns.filter((urn) => state.get(urn)?.protect);
      // As the engine does: nothing is deleted while any resource is protected.
      if (protectedUrns.length > 0) throw new Error(`destroy refused: ${protectedUrns.length} protected resource(s), first ${protectedUrns[0]}`);
      let seq = 0;
      for (const urn of urns) {
        const stored = state.get(urn) as StoredResource;
        await this.step(op, seq++, { resourcePreEvent: { metadata: meta("delete", urn, stored.type) } });
        if (fault?.kind === "fail") throw this.failure(op, seq++, urn, stored.type, fault.message);
        state.delete(urn);
        await this.step(op, seq++, { resOutputsEvent: { metadata: meta("delete", urn, stored.type) } });
      }
      this.stacks.delete(op.slug);
      this.outputs.delete(op.slug);
      return { outputs: {}, changes: { delete: urns.length } };
    });
  }

  /** Nothing drifts in the simulation: every stored resource reads back as it is. */
  refresh(op: StackOperation): Promise<OperationResult> {
    return this.locked_(op, "refresh", async () => ({ outputs: {}, changes: { same: this.stacks.get(op.slug)?.size ?? 0 } }));
  }

  private async locked_(op: StackOperation, kind: SimulatedOp, body: (fault: SimulatedFault | undefined) => Promise<OperationResult>): Promise<OperationResult> {
    const call = (this.calls.get(op.slug) ?? 0) + 1;
    this.calls.set(op.slug, call);
    const fault = this.options.fault?.(kind, op.slug, call);
    if (fault?.kind === "busy" || this.locked.has(op.slug)) {
      throw busyError(op.slug);
    }
    if (fault?.kind === "error") throw new Error(fault.message);
    this.locked.add(op.slug);
    this.activeCount += 1;
    this.maxActive = Math.max(this.maxActive, this.activeCount);
    const run: SimulatedRun = { slug: op.slug, op: kind, startedAt: performance.now() };
    this.runs.push(run);
    try {
      if (fault?.kind === "hang") await hang(op.signal);
      return await body(fault);
    } finally {
      run.endedAt = performance.now();
      this.activeCount -= 1;
      this.locked.delete(op.slug);
    }
  }

  private async runProgram(op: StackOperation, fault: SimulatedFault | undefined, apply: boolean): Promise<OperationResult> {
    const config: Record<string, unknown> = {};
    const secretKeys: string[] = [];
    for (const [key, entry] of Object.entries(op.config)) {
      config[key] = entry.value;
      if (entry.secret) secretKeys.push(key);
    }
    const org = String(config[`${TENANT_PROJECT}:hubOrg`] ?? "");
    const stackReferences = Object.fromEntries(Object.entries(this.options.hubs).map(([region, hub]) => [
      hubStackReferenceName(org, region), { outputs: hub.outputs, secretOutputNames: [...hub.secretOutputs] },
    ]));
    const result = await runUnderMocks(tenantProgram, {
      project: TENANT_PROJECT, stack: op.slug, organization: org, config, secretConfigKeys: secretKeys, stackReferences, preview: !apply,
    });

    const previous = this.stacks.get(op.slug) ?? new Map<string, StoredResource>();
    const next = new Map<string, StoredResource>(apply ? previous : []);
    const changes: Record<string, number> = {};
    const count = (kind: string) => { changes[kind] = (changes[kind] ?? 0) + 1; };
    let seq = 0;
    const failAt = fault?.kind === "fail" ? fault.atType ?? "hcloud:index/server:Server" : undefined;
    const components: RecordedResource[] = [];
    const seen = new Set<string>();
    for (const resource of result.resources) {
      seen.add(resource.urn);
      const hash = hashInputs(resource.plainInputs);
      const before = previous.get(resource.urn);
      const kind = !before ? "create" : before.hash === hash ? "same" : "update";
      count(kind);
      await this.step(op, seq++, { resourcePreEvent: { metadata: meta(kind, resource.urn, resource.type) } });
      if (failAt !== undefined && resource.type === failAt) {
        if (apply) this.stacks.set(op.slug, next);
        throw this.failure(op, seq++, resource.urn, resource.type, fault?.kind === "fail" ? fault.message : undefined);
      }
      if (apply) next.set(resource.urn, { type: resource.type, custom: resource.custom, protect: resource.protect, hash });
      if (resource.custom) await this.step(op, seq++, { resOutputsEvent: { metadata: meta(kind, resource.urn, resource.type) } });
      else components.push(resource);
    }
    for (const urn of [...previous.keys()].reverse()) {
      if (seen.has(urn)) continue;
      const type = (previous.get(urn) as StoredResource).type;
      count("delete");
      await this.step(op, seq++, { resourcePreEvent: { metadata: meta("delete", urn, type) } });
      if (apply) next.delete(urn);
      await this.step(op, seq++, { resOutputsEvent: { metadata: meta("delete", urn, type) } });
    }
    for (const component of components.reverse()) {
      const kind = previous.has(component.urn) ? "same" : "create";
      await this.step(op, seq++, { resOutputsEvent: { metadata: meta(kind, component.urn, component.type) } });
    }
    const outputs: Record<string, StackOutput> = {};
    for (const [key, value] of Object.entries(result.plainOutputs)) {
      outputs[key] = { value, secret: result.secretOutputs.includes(key) };
    }
    if (apply) {
      this.stacks.set(op.slug, next);
      this.outputs.set(op.slug, outputs);
    }
    await this.step(op, seq++, { summaryEvent: summary(changes) });
    return { outputs, changes };
  }

  private async step(op: StackOperation, sequence: number, body: Omit<EngineEvent, "sequence" | "timestamp">): Promise<void> {
    const delay = this.options.stepDelayMs ?? 0;
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    if (op.signal?.aborted) throw new Error(`operation on ${op.slug} cancelled`);
    op.onEvent?.({ sequence, timestamp: Math.floor(Date.now() / 1000), ...body } as EngineEvent);
  }

  private failure(op: StackOperation, sequence: number, urn: string, type: string, message?: string): Error {
    const reason = message ?? `creating ${type} failed: the provider returned an error`;
    op.onEvent?.({
      sequence, timestamp: Math.floor(Date.now() / 1000),
      resOpFailedEvent: { metadata: meta("create", urn, type), status: 1, steps: 1 },
    } as EngineEvent);
    return new Error(`update failed at ${urn}: ${reason}`);
  }
}

function meta(op: string, urn: string, type: string) {
  return { op, urn, type, provider: "" } as unknown as NonNullable<EngineEvent["resourcePreEvent"]>["metadata"];
}

function summary(changes: Record<string, number>): EngineEvent["summaryEvent"] {
  return { maybeCorrupt: false, durationSeconds: 0, resourceChanges: changes, policyPacks: {} } as unknown as EngineEvent["summaryEvent"];
}

function hashInputs(inputs: unknown): string {
  return createHash("sha256").update(JSON.stringify(inputs)).digest("hex");
}

function hang(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_, reject) => {
    const cancel = () => reject(new Error("operation cancelled while hanging"));
    if (signal?.aborted) cancel();
    signal?.addEventListener("abort", cancel, { once: true });
  });
}

/** The error Pulumi's Automation API raises when a stack's lock is held (its own class). */
export function busyError(slug: string): ConcurrentUpdateError {
  const ctor = ConcurrentUpdateError as unknown as new (result: { stderr: string; toString(): string }) => ConcurrentUpdateError;
  const stderr = `error: [409] Conflict: Another update is currently in progress. (stack ${slug})`;
  return new ctor({ stderr, toString: () => `code: 255\n stderr: ${stderr}\n` });
}
