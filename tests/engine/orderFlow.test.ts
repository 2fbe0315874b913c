/**
 * The order flow through the real Automation API: LocalWorkspace drives the built CLI on the tenant
 * program, with the policy pack, against a file backend holding a hub stack that exports the contract.
 */
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { OrderFlow } from "../../automation/orders/flow";
import { parseOrder } from "../../automation/orders/schema";
import { MemoryTenantStore } from "../../automation/orders/store";
import { LocalTenantWorkspace } from "../../automation/workspace/local";
import { SECRETS, orderInput, testHubs } from "../automation/support";
import { EngineEnv, REPO, engineEnv } from "./lib/engine";

let engine: EngineEnv;

beforeAll(async () => {
  engine = engineEnv();
  const hubs = await testHubs();
  const hub = await LocalWorkspace.createOrSelectStack(
    { stackName: "prod-eu", projectName: "letsbe-hub", program: async () => hubs.eu.outputs },
    { envVars: engine.env },
  );
  await hub.up();
});

function flowWith(policyPacks: string[] = [join(REPO, "policy")]): OrderFlow {
  const workspace = new LocalTenantWorkspace({ programDir: join(REPO, "dist", "stacks", "tenant"), envVars: engine.env, policyPacks });
  // The file backend's only organization is `organization`.
  return new OrderFlow({ workspace, store: new MemoryTenantStore(), org: "organization", secrets: SECRETS, attempts: 1 });
}

describe("order flow on the real engine", () => {
  it("previews a new hetzner tenant with the policy pack: every resource to create, no finding", async () => {
    const order = parseOrder(orderInput("cli-one"));
    const preview = await flowWith().preview("cli-one", "preview-cli-one", undefined, order.spec);
    expect(preview.reason).toBeUndefined();
    expect(preview.ok).toBe(true);
    expect(preview.changes.create).toBeGreaterThan(10);
  });
});
