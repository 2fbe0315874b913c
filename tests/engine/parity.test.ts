/**
 * The offline plan checked by the engine: `pulumi preview` of the hub stack and of each example
 * tenant lists exactly the resources (type, name, parent) the offline plan lists for them.
 */
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { OrderFlow } from "../../automation/orders/flow";
import { MemoryTenantStore } from "../../automation/orders/store";
import type { PlanReport } from "../../automation/plan/types";
import { LocalTenantWorkspace } from "../../automation/workspace/local";
import { HUB_SECRET_CONFIG, PROVIDER_SECRET_CONFIG, TENANT_SECRET_CONFIG, placeholders } from "../../contracts/secrets";
import { loadTenantSpecs } from "../../tenants/load";
import { EngineEnv, REPO, engineEnv } from "./lib/engine";
import { PreviewRecorder, plannedResources } from "./lib/preview";
import { upContractHub } from "./lib/hub";
import { hubWorkDir } from "./lib/hubStack";

const ORG = "organization";
let engine: EngineEnv;
let report: PlanReport;

beforeAll(async () => {
  engine = engineEnv();
  const out = join(mkdtempSync(join(tmpdir(), "letsbe-parity-")), "plan.json");
  execFileSync("node", [join(REPO, "dist", "automation", "plan", "cli.js"), "--stack", "prod-eu", "--org", ORG, "--json", out], { cwd: REPO, stdio: "ignore" });
  report = JSON.parse(readFileSync(out, "utf8")) as PlanReport;
  // The tenants' preview meets the hub the plan planned them against: its WireGuard network included.
  await upContractHub(engine, { wireguard: report.stacks.find((s) => s.project === "letsbe-hub")?.outputs.wireguard });
});

/** A work folder for the hub program as an operator's checkout has it: Pulumi.yaml, the stack's config file, secrets set. */
async function hubStack(stack: string) {
  const dir = hubWorkDir(stack);
  copyFileSync(join(REPO, `Pulumi.${stack}.yaml`), join(dir, `Pulumi.${stack}.yaml`));
  // Its own backend folder: the tenants' fixture hub stack of the same name lives in the other.
  mkdirSync(join(engine.backendDir, "hub-preview"));
  const ws = await LocalWorkspace.create({ workDir: dir, envVars: { ...engine.env, PULUMI_BACKEND_URL: `${engine.env.PULUMI_BACKEND_URL}/hub-preview` } });
  await ws.createStack(stack);
  const secrets = placeholders([...HUB_SECRET_CONFIG, ...PROVIDER_SECRET_CONFIG]);
  for (const [key, value] of Object.entries(secrets)) await ws.setConfig(stack, key, { value, secret: true });
  return Stack.select(stack, ws);
}

describe("the offline plan lists what the engine previews", () => {
  it("hub prod-eu: the same resources, type, name and parent", async () => {
    const planned = report.stacks.find((s) => s.project === "letsbe-hub" && s.stack === "prod-eu");
    expect(planned).toBeDefined();
    const recorder = new PreviewRecorder();
    const stack = await hubStack("prod-eu");
    await stack.preview({ onEvent: recorder.onEvent });
    expect(recorder.resources()).toEqual(plannedResources(planned!));
  });

  it("every eu example tenant: the same resources, type, name and parent", async () => {
    const specs = loadTenantSpecs(join(REPO, "tenants")).specs.map((s) => s.spec).filter((s) => s.region === "eu");
    expect(specs.length).toBeGreaterThan(1);
    const workspace = new LocalTenantWorkspace({ programDir: join(REPO, "dist", "stacks", "tenant"), envVars: engine.env });
    const secrets = placeholders([...TENANT_SECRET_CONFIG, ...PROVIDER_SECRET_CONFIG]);
    const flow = new OrderFlow({ workspace, store: new MemoryTenantStore(), org: ORG, secrets, attempts: 1 });
    for (const spec of specs) {
      const planned = report.stacks.find((s) => s.project === "letsbe-tenant" && s.stack === spec.slug);
      expect(planned, spec.slug).toBeDefined();
      const recorder = new PreviewRecorder();
      // The plan's own tunnel address, as an order would have recorded one.
      expect(planned?.tunnelAddress?.allocatedBy, spec.slug).toBe("plan");
      const config = flow.stackConfig({ slug: spec.slug, orderId: "parity", spec, status: "active", updatedAt: "2026-11-22T00:00:00Z", tunnelAddress: planned?.tunnelAddress?.address });
      await workspace.preview({ slug: spec.slug, config, onEvent: recorder.onEvent });
      expect(recorder.resources(), spec.slug).toEqual(plannedResources(planned!));
    }
  });
});
