/**
 * The order flow through the real Automation API: LocalWorkspace drives the built CLI on the tenant
 * program, with the policy pack, against a file backend holding a hub stack that exports the contract.
 */
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { OrderFlow } from "../../automation/orders/flow";
import { parseOrder } from "../../automation/orders/schema";
import { repoWireguardNetwork, withTunnelAddress } from "../../automation/orders/tunnel";
import { MemoryTenantStore } from "../../automation/orders/store";
import { LocalTenantWorkspace } from "../../automation/workspace/local";
import type { EngineEvent, TenantWorkspace } from "../../automation/workspace/types";
import { PreviewRecorder } from "./lib/preview";
import { SettingsWorkspace } from "./lib/settings";
import { SECRETS, orderInput } from "../automation/support";
import { EngineEnv, REPO, engineEnv } from "./lib/engine";
import { upContractHub } from "./lib/hub";

let engine: EngineEnv;

beforeAll(async () => {
  engine = engineEnv();
  await upContractHub(engine);
});

function workspaceWith(policyPacks: string[], onEvent?: (e: EngineEvent) => void): TenantWorkspace {
  const local = new LocalTenantWorkspace({ programDir: join(REPO, "dist", "stacks", "tenant"), envVars: engine.env, policyPacks });
  return new SettingsWorkspace(local, () => ({}), onEvent);
}

function flowWith(workspace: TenantWorkspace): OrderFlow {
  // The file backend's only organization is `organization`.
  return new OrderFlow({ workspace, store: new MemoryTenantStore(), org: "organization", secrets: SECRETS, attempts: 1 });
}

describe("a tunnel address before the hub exports its network (config merged, hub not up yet)", () => {
  it("keeps the tenant on its public SSH, warning with its name and address, as without an address", async () => {
    const order = parseOrder(orderInput("cli-wait"));
    // The flow's default source: the committed Pulumi.prod-eu.yaml; the contract hub exports no wireguard.
    const record = withTunnelAddress({ slug: "cli-wait", orderId: order.orderId, spec: order.spec, status: "active", updatedAt: "2026-12-01T00:00:00Z" }, [], repoWireguardNetwork("eu") as string, "test");
    expect(record.tunnelAddress).toBe("10.200.0.2");
    const warnings: string[] = [];
    const withAddress = new PreviewRecorder();
    const local = new LocalTenantWorkspace({ programDir: join(REPO, "dist", "stacks", "tenant"), envVars: engine.env });
    const flow = flowWith(local);
    await local.preview({ slug: "cli-wait", config: flow.stackConfig(record), onEvent: (e) => {
      withAddress.onEvent(e);
      if (e.diagnosticEvent?.severity === "warning") warnings.push(e.diagnosticEvent.message);
    } });
    expect(warnings.join("\n")).toContain("tenant \"cli-wait\" has tunnel address 10.200.0.2 but its hub exports no WireGuard network yet: SSH stays on the public address");
    expect(withAddress.resources().filter((r) => r.includes("-wg-"))).toEqual([]);
    const without = new PreviewRecorder();
    await local.preview({ slug: "cli-wait", config: flow.stackConfig({ ...record, tunnelAddress: undefined }), onEvent: without.onEvent });
    expect(withAddress.resources()).toEqual(without.resources());
  });
});

describe("order flow on the real engine", () => {
  it("previews a new hetzner tenant: every resource to create without the pack", async () => {
    const order = parseOrder(orderInput("cli-one"));
    const preview = await flowWith(workspaceWith([])).preview("cli-one", "preview-cli-one", undefined, order.spec);
    expect(preview.reason).toBeUndefined();
    expect(preview.ok).toBe(true);
    expect(preview.changes.create).toBeGreaterThan(10);
  });

  it("with the policy pack, stops it at the production pin gate alone: catalog images without a passing `pins verify`", async () => {
    const order = parseOrder(orderInput("cli-two"));
    const recorder = new PreviewRecorder();
    const preview = await flowWith(workspaceWith([join(REPO, "policy")], recorder.onEvent)).preview("cli-two", "preview-cli-two", undefined, order.spec);
    expect(preview.ok).toBe(false);
    expect(recorder.violations.filter((v) => v.includes(" mandatory: "))).toEqual(["pins-verified-for-production mandatory: cli-two-host-compose-compose"]);
  });
});
