import { parentPort, workerData } from "node:worker_threads";
import { TenantSpec } from "../../tenants/schema";
import { HubReference, planTenantStacks } from "./planStacks";
import { PlanIdentity } from "./stackConfig";

interface WorkerInput {
  readonly specs: TenantSpec[];
  readonly identity: PlanIdentity;
  readonly hub: HubReference;
}

const input = workerData as WorkerInput;
planTenantStacks(input.specs, input.identity, input.hub).then(
  (outcomes) => parentPort?.postMessage({ outcomes }),
  (error: unknown) => parentPort?.postMessage({ error: error instanceof Error ? error.stack ?? error.message : String(error) }),
);
