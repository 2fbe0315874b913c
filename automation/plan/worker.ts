import { parentPort, workerData } from "node:worker_threads";
import { TenantSpec } from "../../tenants/schema";
import { HubReference, planTenantStacks } from "./planStacks";
import { PlanIdentity } from "./stackConfig";

interface WorkerInput {
  readonly specs: TenantSpec[];
  readonly identity: PlanIdentity;
  readonly hub: HubReference;
  readonly tunnels: Record<string, string>;
}

// The SDK captures a stack trace for every promise it makes, for leak diagnostics the plan
// never prints; without them planning takes about half the time.
Error.stackTraceLimit = 0;
const input = workerData as WorkerInput;
planTenantStacks(input.specs, input.identity, input.hub, input.tunnels).then(
  (outcomes) => parentPort?.postMessage({ outcomes }),
  (error: unknown) => parentPort?.postMessage({ error: error instanceof Error ? error.stack ?? error.message : String(error) }),
);
