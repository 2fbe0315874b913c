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
process.once("message", (input: WorkerInput) => {
  const reply = (message: object) => process.send?.(message, () => process.exit(0));
  planTenantStacks(input.specs, input.identity, input.hub, input.tunnels).then(
    (outcomes) => reply({ outcomes }),
    (error: unknown) => reply({ error: error instanceof Error ? error.stack ?? error.message : String(error) }),
  );
});
