/**
 * A stack executor for tests: runs a program under the shared mock runtime and, through its
 * `answer` hook, carries each resource out as the engine and its providers would, in the
 * engine's own dependency order (a registration waits for what it depends on, so dependents
 * receive real outputs). Netcup servers go through their serialized dynamic provider;
 * `command:remote:*` resources run over SSH; every other resource is recorded with the mock
 * runtime's canned state. It keeps a state between operations, so an `up` re-runs only the
 * resources whose inputs changed, and `destroy` deletes in reverse order.
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import type { MockContext, MockAnswer } from "../../../automation/plan/mockState";
import type { MockRunOptions, MockRunResult, RecordedResource } from "../../../automation/plan/mockRuntime";
import { repoRoot } from "../../fakes/scp/spec";
import { requireDist } from "../../netcup/helpers";
import { Connection, Endpoint, ResolvedSource, copyToRemote, runCommand } from "./remote";

export const NETCUP_TYPE = "pulumi-nodejs:dynamic/netcup:Server";
export const COPY_TYPE = "command:remote:CopyToRemote";
export const COMMAND_TYPE = "command:remote:Command";
export const DNS_TYPE = "cloudflare:index/dnsRecord:DnsRecord";
/** Server resources whose host the harness supplies (the executor cannot create them). */
export const SUPPLIED_SERVER_TYPES = ["hcloud:index/server:Server"] as const;

export type Action = "create" | "update" | "same" | "delete" | "failed";

export interface StoredResource {
  /** `type::name`: unique in a tenant stack. */
  readonly key: string;
  readonly type: string;
  readonly name: string;
  readonly id: string;
  /** Inputs as the provider received them (plain, assets resolved). */
  readonly inputs: Record<string, unknown>;
  readonly state: Record<string, unknown>;
  /** From the registration: the engine's view. */
  urn?: string;
  dependencies: string[];
  parent?: string;
  protect: boolean;
}

export interface Step {
  readonly key: string;
  readonly action: Action;
  /** Whether the step ran against something real (SSH, the SCP API) or was only recorded. */
  readonly executed: boolean;
  readonly startedMs: number;
  readonly seconds: number;
}

export interface ExecutorOptions {
  /** Where to reach an address a resource reported over SSH (the host container's port). */
  readonly endpointFor: (address: string) => Endpoint;
  /** Gives a recorded server resource its host (the Hetzner path); dependents wait for it. */
  readonly supplyHost?: (resource: StoredResource) => Promise<void>;
  /** Takes the supplied host away when its server resource is deleted. */
  readonly releaseHost?: (resource: StoredResource) => Promise<void>;
}

interface DynamicProvider {
  check(olds: unknown, news: unknown): Promise<{ inputs?: Record<string, unknown>; failures?: Array<{ property: string; reason: string }> }>;
  create(inputs: unknown): Promise<{ id: string; outs?: Record<string, unknown> }>;
  diff(id: string, olds: unknown, news: unknown): Promise<{ changes?: boolean; replaces?: string[] }>;
  update(id: string, olds: unknown, news: unknown): Promise<{ outs?: Record<string, unknown> }>;
  delete(id: string, props: unknown): Promise<void>;
}

type Runtime = typeof import("../../../automation/plan/mockRuntime");
type MockStateModule = typeof import("../../../automation/plan/mockState");

/** The compiled runtime (what a deployment runs; also what Pulumi serializes the provider from). */
export function distRuntime(): { runUnderMocks: Runtime["runUnderMocks"]; mockState: MockStateModule["mockState"] } {
  return {
    runUnderMocks: requireDist<Runtime>("automation/plan/mockRuntime").runUnderMocks,
    mockState: requireDist<MockStateModule>("automation/plan/mockState").mockState,
  };
}

/** Loads a serialized `__provider` the way the dynamic-provider host does. */
export function loadProvider(text: unknown): DynamicProvider {
  if (typeof text !== "string") throw new Error("the dynamic resource carries no serialized __provider");
  const load = createRequire(join(repoRoot(), "package.json"))("require-from-string") as (code: string) => { handler(): DynamicProvider };
  return load(text).handler();
}

/** Inputs with assets and archives resolved to what their provider reads. */
async function resolveInputs(value: unknown): Promise<unknown> {
  if (Array.isArray(value)) return Promise.all(value.map(resolveInputs));
  if (value === null || typeof value !== "object") return value;
  const obj = value as Record<string, unknown>;
  // A secret arrives wrapped; the provider receives its value.
  if (obj[SIG_KEY] === SECRET_SIG) return resolveInputs(obj.value);
  if (obj.__pulumiAsset === true || obj.__pulumiArchive === true) {
    const source: { -readonly [K in keyof ResolvedSource]: ResolvedSource[K] } = { kind: obj.__pulumiAsset === true ? "asset" : "archive" };
    const text = await obj.text;
    const path = await obj.path;
    if (typeof text === "string") source.text = text;
    if (typeof path === "string") source.path = path;
    return source;
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(obj).sort()) out[key] = await resolveInputs(obj[key]);
  return out;
}

const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
/** What a change of only these Command inputs does not re-run (the provider treats `logging` as output shaping). */
const withoutLogging = (inputs: Record<string, unknown>) => Object.fromEntries(Object.entries(inputs).filter(([k]) => k !== "logging"));

export class StackExecutor {
  readonly state = new Map<string, StoredResource>();
  /** Keys in the order their operations completed (dependencies before dependents). */
  private order: string[] = [];
  /** Steps of the last operation, in completion order. */
  steps: Step[] = [];

  constructor(private readonly options: ExecutorOptions) {}

  /** `up`: runs the program, carries out what changed, keeps the state; throws what failed. */
  async up(program: () => Promise<Record<string, unknown>>, run: MockRunOptions): Promise<MockRunResult> {
    const { runUnderMocks, mockState } = distRuntime();
    const context: MockContext = { stack: run.stack, project: run.project, created: new Map() };
    for (const stored of this.state.values()) context.created.set(stored.id, stored.state);
    const recorded: RecordedResource[] = [];
    const seen = new Set<string>();
    const failures: unknown[] = [];
    const began = Date.now();
    this.steps = [];

    const answer = async (args: pulumi.runtime.MockResourceArgs): Promise<MockAnswer | undefined> => {
      if (args.custom === false) return undefined;
      const key = `${args.type}::${args.name}`;
      seen.add(key);
      const previous = this.state.get(key);
      const inputs = (await resolveInputs(args.inputs)) as Record<string, unknown>;
      const started = Date.now();
      try {
        const { answer: result, action, executed } = await this.carryOut(args, inputs, previous, () => mockState(args.type, args.name, args.inputs, context));
        context.created.set(result.id, result.state);
        const stored: StoredResource = {
          key, type: args.type, name: args.name, id: result.id, inputs, state: result.state,
          dependencies: previous?.dependencies ?? [], protect: previous?.protect ?? false,
          ...(previous?.urn ? { urn: previous.urn } : {}),
        };
        this.state.set(key, stored);
        if (!this.order.includes(key)) this.order.push(key);
        if ((SUPPLIED_SERVER_TYPES as readonly string[]).includes(args.type) && this.options.supplyHost && action !== "same") {
          await this.options.supplyHost(stored);
        }
        this.steps.push({ key, action, executed, startedMs: started - began, seconds: (Date.now() - started) / 1000 });
        return result;
      } catch (error) {
        failures.push(error);
        this.steps.push({ key, action: "failed", executed: true, startedMs: started - began, seconds: (Date.now() - started) / 1000 });
        throw error;
      }
    };

    let result: MockRunResult | undefined;
    let programError: unknown;
    try {
      result = await runUnderMocks(program, { ...run, answer, recordInto: recorded });
    } catch (error) {
      programError = error;
    }
    this.absorbRegistrations(recorded);
    // The first resource that failed is the operation's error, as the engine reports it.
    if (failures.length > 0) throw failures[0];
    if (programError !== undefined || !result) throw programError;
    // Resources the program no longer declares are deleted, dependents first.
    for (const key of [...this.order].reverse()) if (!seen.has(key)) await this.deleteOne(key, began);
    return result;
  }

  /** `destroy`: every resource in reverse order; a protected one stops it, as in the engine. */
  async destroy(): Promise<Step[]> {
    const began = Date.now();
    this.steps = [];
    const protectedOnes = [...this.state.values()].filter((r) => r.protect).map((r) => r.urn ?? r.key);
    if (protectedOnes.length > 0) {
      throw new Error(`refusing to delete protected resources: ${protectedOnes.join(", ")} (run an up with protect=false first)`);
    }
    for (const key of [...this.order].reverse()) await this.deleteOne(key, began);
    return this.steps;
  }

  /**
   * Recorded cloud resources against what was created: every A/AAAA record must hold the
   * server's address. Empty when consistent.
   */
  consistencyProblems(): string[] {
    const resources = [...this.state.values()];
    const server = resources.find((r) => r.type === NETCUP_TYPE || (SUPPLIED_SERVER_TYPES as readonly string[]).includes(r.type));
    if (!server) return resources.some((r) => r.type === DNS_TYPE) ? ["DNS records exist but no server"] : [];
    const expected: Record<string, string> = {
      A: String(server.state.ipv4 ?? server.state.ipv4Address ?? ""),
      AAAA: String(server.state.ipv6 ?? server.state.ipv6Address ?? ""),
    };
    return resources.filter((r) => r.type === DNS_TYPE && String(r.inputs.type) in expected && r.inputs.content !== expected[String(r.inputs.type)])
      .map((r) => `${r.name}: ${String(r.inputs.type)} ${String(r.inputs.content)} is not the server's ${expected[String(r.inputs.type)]}`);
  }

  /** Keys in the order a destroy would delete them. */
  deletionOrder(): string[] {
    return [...this.order].reverse().filter((key) => this.state.has(key));
  }

  private async carryOut(
    args: pulumi.runtime.MockResourceArgs, inputs: Record<string, unknown>, previous: StoredResource | undefined, mock: () => MockAnswer,
  ): Promise<{ answer: MockAnswer; action: Action; executed: boolean }> {
    const kept = previous ? { id: previous.id, state: previous.state } : undefined;
    switch (args.type) {
      case NETCUP_TYPE: {
        const provider = loadProvider(inputs.__provider);
        const checked = await provider.check(previous?.inputs ?? {}, inputs);
        if (checked.failures && checked.failures.length > 0) {
          throw new Error(`${args.name}: check failed: ${checked.failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
        }
        const news = checked.inputs ?? inputs;
        if (!previous || !kept) {
          const created = await provider.create(news);
          return { answer: { id: created.id, state: { ...news, ...(created.outs ?? {}) } }, action: "create", executed: true };
        }
        const diff = await provider.diff(previous.id, previous.state, news);
        if (!diff.changes) return { answer: kept, action: "same", executed: false };
        if (diff.replaces && diff.replaces.length > 0) {
          throw new Error(`${args.name}: a replacement (${diff.replaces.join(", ")}) is not carried out by the test executor`);
        }
        const updated = await provider.update(previous.id, previous.state, news);
        return { answer: { id: previous.id, state: { ...news, ...(updated.outs ?? {}) } }, action: "update", executed: true };
      }
      case COPY_TYPE: {
        if (kept && previous && same(previous.inputs, inputs)) return { answer: kept, action: "same", executed: false };
        const connection = inputs.connection as Connection;
        await copyToRemote(connection, this.options.endpointFor(connection.host), inputs.source as ResolvedSource, String(inputs.remotePath));
        return { answer: { id: previous?.id ?? `copy-${args.name}`, state: { ...args.inputs } }, action: previous ? "update" : "create", executed: true };
      }
      case COMMAND_TYPE: {
        if (kept && previous && same(withoutLogging(previous.inputs), withoutLogging(inputs))) return { answer: kept, action: "same", executed: false };
        const connection = inputs.connection as Connection;
        const environment = { ...((inputs.environment as Record<string, string> | undefined) ?? {}) };
        // addPreviousOutputInEnv (default true): an update sees the last run's output.
        if (previous && inputs.addPreviousOutputInEnv !== false) {
          environment.PULUMI_COMMAND_STDOUT = String(previous.state.stdout ?? "");
          environment.PULUMI_COMMAND_STDERR = String(previous.state.stderr ?? "");
        }
        const output = await runCommand(connection, this.options.endpointFor(connection.host), String(inputs.create ?? ""), environment,
          typeof inputs.stdin === "string" ? inputs.stdin : undefined);
        return { answer: { id: previous?.id ?? `command-${args.name}`, state: { ...args.inputs, ...output } }, action: previous ? "update" : "create", executed: true };
      }
      default: {
        if (kept && previous && same(previous.inputs, inputs)) return { answer: kept, action: "same", executed: false };
        return { answer: mock(), action: previous ? "update" : "create", executed: false };
      }
    }
  }

  private async deleteOne(key: string, began: number): Promise<void> {
    const resource = this.state.get(key);
    if (!resource) return;
    const started = Date.now();
    let executed = false;
    if (resource.type === NETCUP_TYPE) {
      await loadProvider(resource.inputs.__provider).delete(resource.id, resource.state);
      executed = true;
    } else if (resource.type === COMMAND_TYPE && typeof resource.inputs.delete === "string") {
      const connection = resource.inputs.connection as Connection;
      await runCommand(connection, this.options.endpointFor(connection.host), resource.inputs.delete);
      executed = true;
    }
    if ((SUPPLIED_SERVER_TYPES as readonly string[]).includes(resource.type) && this.options.releaseHost) {
      await this.options.releaseHost(resource);
    }
    // CopyToRemote leaves the copied file on delete, as the provider does.
    this.state.delete(key);
    this.order = this.order.filter((k) => k !== key);
    this.steps.push({ key, action: "delete", executed, startedMs: started - began, seconds: (Date.now() - started) / 1000 });
  }

  /** Protect, parent and dependencies as the engine recorded them (by key). */
  private absorbRegistrations(recorded: readonly RecordedResource[]): void {
    const keyOfUrn = new Map(recorded.map((r) => [r.urn, `${r.type}::${r.name}`]));
    for (const registration of recorded) {
      const stored = this.state.get(`${registration.type}::${registration.name}`);
      if (!stored) continue;
      stored.urn = registration.urn;
      stored.protect = registration.protect;
      stored.dependencies = registration.dependencies.map((urn) => keyOfUrn.get(urn) ?? urn);
      if (registration.parent) stored.parent = keyOfUrn.get(registration.parent) ?? registration.parent;
    }
  }
}
