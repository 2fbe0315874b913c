/** Shared fixtures of the automation tests: hub outputs, orders, a flow over the simulated workspace. */
import { hubReferencesFromRepo } from "../../automation/plan/hubReferences";
import { SimulatedWorkspace, SimulatedWorkspaceOptions } from "./simulatedWorkspace";
import { HubReference } from "../../automation/plan/planStacks";
import { OrderFlow, OrderFlowOptions } from "../../automation/orders/flow";
import { MemoryTenantStore } from "../../automation/orders/store";
import { OrderEvent } from "../../automation/orders/states";
import { FAKE_PRIVATE_KEY } from "../fixtures/keys";

export const ORG = "letsbe";
/** Distinctive values, so a test can search any record or stream for them. */
export const SECRETS: Record<string, string> = {
  "letsbe-tenant:provisioningPrivateKey": FAKE_PRIVATE_KEY,
  "letsbe-tenant:netcupRefreshToken": "netcup-refresh-S3CR3T-token",
  "letsbe-tenant:registrationToken": "hub-registration-S3CR3T-token",
};
export const SECRET_VALUES = Object.values(SECRETS);

let hubs: Promise<Record<string, HubReference>> | undefined;
export function testHubs(): Promise<Record<string, HubReference>> {
  hubs ??= hubReferencesFromRepo(ORG);
  return hubs;
}

export function orderInput(slug: string, overrides: Record<string, unknown> = {}, tenant: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    orderId: `ord-${slug}`,
    tenant: {
      slug,
      domain: `${slug}.eu.letsbe.biz`,
      region: "eu",
      tier: "build",
      provider: "hetzner",
      tools: ["nextcloud", "calcom"],
      contactEmail: `owner@${slug}.example`,
      createdAt: "2026-11-01",
      ...tenant,
    },
    ...overrides,
  };
}

export async function simulatedFlow(
  workspace: Partial<SimulatedWorkspaceOptions> = {},
  flow: Partial<OrderFlowOptions> = {},
): Promise<{ flow: OrderFlow; workspace: SimulatedWorkspace; store: MemoryTenantStore }> {
  const ws = new SimulatedWorkspace({ hubs: await testHubs(), ...workspace });
  const store = new MemoryTenantStore();
  const orderFlow = new OrderFlow({
    workspace: ws, store, org: ORG, secrets: SECRETS, retryDelayMs: 5, maxRetryDelayMs: 20, ...flow,
  });
  return { flow: orderFlow, workspace: ws, store };
}

export function collector(): { events: OrderEvent[]; listener: (e: OrderEvent) => void; states: () => string[] } {
  const events: OrderEvent[] = [];
  return {
    events,
    listener: (e) => events.push(e),
    states: () => events.map((e) => e.state).filter((s, i, all) => i === 0 || all[i - 1] !== s),
  };
}
