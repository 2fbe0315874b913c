/**
 * The offline plan: a hub stack and its region's tenants (or one tenant), each as its own
 * stack under the mock runtime, hub outputs feeding the tenants' StackReference.
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { fork } from "node:child_process";
import { hubStackName } from "../../contracts/hub";
import { LoadedSpec, loadTenantSpecs } from "../../tenants/load";
import { TenantSpec } from "../../tenants/schema";
import { judgePlan } from "./judge";
import { HubReference, StackPlanOutcome, planHubStack, planTenantStacks } from "./planStacks";
import { PlanIdentity, hubRunOptions } from "./stackConfig";
import { repoRoot } from "../repoRoot";
import { plannedHubNetwork, planTunnelAddresses } from "./tunnels";
import { PlanError, PlanReport, PlannedStack } from "./types";

export interface PlanOptions {
  /** A hub stack (`prod-eu`) or one tenant (`tenant:<slug>`). */
  readonly stack: string;
  /** Folder of tenant specs. Default - `tenants/` of the repository. */
  readonly tenantsDir?: string;
  /** Pulumi organization. Default - `letsbe`. */
  readonly org?: string;
  /** Worker processes for tenant stacks. Default - the machine's cores, one when few tenants. */
  readonly workers?: number;
  /** Called after each stack is planned (progress, streaming). */
  readonly onStack?: (stack: PlannedStack) => void;
}

export class PlanUsageError extends Error {}

/** Below this many tenants a worker's start-up costs more than it saves. */
const TENANTS_PER_WORKER_MIN = 24;

export async function plan(options: PlanOptions): Promise<PlanReport> {
  const root = repoRoot();
  const identity: PlanIdentity = { org: options.org ?? "letsbe" };
  const loaded = loadTenantSpecs(options.tenantsDir ?? join(root, "tenants"));
  const errors: PlanError[] = [...loaded.problems];

  let hubStack: string;
  let tenants: LoadedSpec[];
  let includeHub: boolean;
  if (options.stack.startsWith("tenant:")) {
    const slug = options.stack.slice("tenant:".length);
    const found = loaded.specs.find((s) => s.spec.slug === slug);
    if (!found) {
      const invalid = loaded.problems.some((p) => p.source.endsWith(`/${slug}.yaml`));
      if (!invalid) throw new PlanUsageError(`no tenant spec with slug "${slug}" in ${options.tenantsDir ?? "tenants/"}`);
      return { stacks: [], errors };
    }
    hubStack = hubStackName(found.spec.region);
    tenants = [found];
    includeHub = false;
  } else {
    hubStack = options.stack;
    tenants = [];
    includeHub = true;
  }
  if (!existsSync(join(root, `Pulumi.${hubStack}.yaml`))) {
    throw new PlanUsageError(`unknown stack "${hubStack}": no Pulumi.${hubStack}.yaml (use prod-eu, prod-us or tenant:<slug>)`);
  }

  const hub = await planHubStack(hubRunOptions(root, hubStack, identity));
  const stacks: PlannedStack[] = [];
  errors.push(...hub.errors);
  if (hub.stack && includeHub) {
    stacks.push(hub.stack);
    options.onStack?.(hub.stack);
  }
  if (hub.stack && hub.plainOutputs) {
    const region = hub.plainOutputs.region;
    if (includeHub) tenants = loaded.specs.filter((s) => s.spec.region === region);
    const reference: HubReference = { outputs: hub.plainOutputs, secretOutputs: hub.secretOutputs ?? [] };
    // Over every spec of the region, so one tenant planned alone gets the address the region's plan gives it.
    const tunnels = planTunnelAddresses(loaded.specs.map((s) => s.spec), String(region), plannedHubNetwork(hub.plainOutputs));
    const outcomes = await planTenants(tenants.map((t) => t.spec), identity, reference, tunnels, options.workers);
    for (const outcome of outcomes) {
      errors.push(...outcome.errors);
      if (outcome.stack) {
        stacks.push(outcome.stack);
        options.onStack?.(outcome.stack);
      }
    }
  }
  judgePlan(stacks); // policies across stacks: no server shared between tenants
  return { stacks, errors: sortErrors(errors) };
}

function sortErrors(errors: PlanError[]): PlanError[] {
  return [...errors].sort((a, b) => a.source.localeCompare(b.source) || a.path.localeCompare(b.path) || a.message.localeCompare(b.message));
}

async function planTenants(
  specs: TenantSpec[], identity: PlanIdentity, hub: HubReference, tunnels: Record<string, string>, workers?: number,
): Promise<StackPlanOutcome[]> {
  const count = Math.max(1, Math.min(workers ?? availableParallelism(), Math.floor(specs.length / TENANTS_PER_WORKER_MIN)));
  if (count <= 1) return planTenantStacks(specs, identity, hub, tunnels);
  // Contiguous slices keep the report in spec order whatever the worker count.
  const size = Math.ceil(specs.length / count);
  const slices = Array.from({ length: count }, (_, i) => specs.slice(i * size, (i + 1) * size)).filter((s) => s.length > 0);
  const results = await Promise.all(slices.map((slice) => runWorker(slice, identity, hub, tunnels)));
  return results.flat();
}

/**
 * A child process, not a worker thread: the SDK serializes a dynamic resource's provider through
 * the inspector, which a worker thread does not have.
 */
function runWorker(specs: TenantSpec[], identity: PlanIdentity, hub: HubReference, tunnels: Record<string, string>): Promise<StackPlanOutcome[]> {
  return new Promise((resolve, reject) => {
    const child = fork(join(__dirname, "worker.js"), [], { serialization: "advanced", stdio: ["ignore", "inherit", "inherit", "ipc"] });
    let settled = false;
    child.once("message", (message: { outcomes?: StackPlanOutcome[]; error?: string }) => {
      settled = true;
      child.kill();
      if (message.outcomes) resolve(message.outcomes);
      else reject(new Error(`plan worker failed: ${message.error}`));
    });
    child.once("error", (error) => { settled = true; reject(error); });
    child.once("exit", (code, signal) => {
      if (!settled) reject(new Error(`plan worker ended (${signal ?? `exit ${code}`}) without a result`));
    });
    child.send({ specs, identity, hub, tunnels });
  });
}
