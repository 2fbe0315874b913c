/**
 * The policy pack on the real engine: `pulumi preview --policy-pack policy` of a deliberately broken
 * tenant (protection off in a production stack) reports the findings the offline plan's judge reports
 * for the same stack, and fails on the mandatory ones.
 */
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { OrderFlow } from "../../automation/orders/flow";
import { MemoryTenantStore } from "../../automation/orders/store";
import { judgeStack } from "../../automation/plan/judge";
import { runUnderMocks } from "../../automation/plan/mockRuntime";
import { tenantRunOptions } from "../../automation/plan/stackConfig";
import { LocalTenantWorkspace } from "../../automation/workspace/local";
import { hubReferencesFromRepo } from "../../automation/plan/hubReferences";
import { TENANT_PROJECT } from "../../contracts/hub";
import { PROVIDER_SECRET_CONFIG, TENANT_SECRET_CONFIG, placeholders } from "../../contracts/secrets";
import { tenantProgram } from "../../stacks/tenant/program";
import { loadTenantSpecs } from "../../tenants/load";
import { EngineEnv, REPO, engineEnv } from "./lib/engine";
import { PreviewRecorder } from "./lib/preview";
import { urnParts } from "./standins/generic";
import { upContractHub } from "./lib/hub";

const ORG = "organization";
const GATE = "pins-verified-for-production";
const BROKEN = { "letsbe-tenant:protect": "false" };
let engine: EngineEnv;

beforeAll(async () => {
  engine = engineEnv();
  await upContractHub(engine);
});

const nameOf = (urn = "") => urnParts(urn).name;

describe("the policy pack on the real engine", () => {
  it("finds what the offline plan finds on a broken tenant, and fails the preview on the mandatory ones", async () => {
    const spec = loadTenantSpecs(join(REPO, "tenants")).specs.map((s) => s.spec).find((s) => s.slug === "acme-bakery")!;
    const hubs = await hubReferencesFromRepo(ORG);
    const options = tenantRunOptions(spec, { org: ORG }, hubs[spec.region].outputs, hubs[spec.region].secretOutputs);
    const run = await runUnderMocks(tenantProgram, { ...options, config: { ...options.config, ...BROKEN }, project: TENANT_PROJECT });
    const offline = (await judgeStack({ project: TENANT_PROJECT, stack: spec.slug, resources: run.resources, outputs: {} }))
      // CrossGuard unwraps secrets before policies run, so only the plan can judge secret-ness.
      .filter((v) => v.policy !== "secrets-are-secret")
      .map((v) => `${v.policy} ${v.level}: ${nameOf(v.urn)}`).sort();
    expect(offline.filter((v) => v.startsWith("stateful-protected mandatory")).length).toBeGreaterThanOrEqual(3);

    const workspace = new LocalTenantWorkspace({ programDir: join(REPO, "dist", "stacks", "tenant"), envVars: engine.env, policyPacks: [join(REPO, "policy")] });
    const secrets = placeholders([...TENANT_SECRET_CONFIG, ...PROVIDER_SECRET_CONFIG]);
    const flow = new OrderFlow({ workspace, store: new MemoryTenantStore(), org: ORG, secrets, attempts: 1 });
    const config = { ...flow.stackConfig({ slug: spec.slug, orderId: "policy", spec, status: "active", updatedAt: "2026-11-22T00:00:00Z" }), "letsbe-tenant:protect": { value: "false" } };
    const recorder = new PreviewRecorder();
    await expect(workspace.preview({ slug: spec.slug, config, onEvent: recorder.onEvent })).rejects.toThrow(/mandatory|policy/i);
    const mandatory = (list: string[]) => list.filter((v) => v.includes(" mandatory: ") && !v.startsWith(GATE)).sort();
    expect(mandatory(recorder.violations)).toEqual(mandatory(offline));
    // The production gate is the CLI's alone (the plan is no preview): no `pins verify` record here.
    expect(recorder.violations.filter((v) => v.startsWith(GATE))).toEqual([`${GATE} mandatory: acme-bakery-host-compose-compose`]);
    // Nothing beyond the plan: dns-sanity judges a record whose address is still unknown in a preview
    // (before the server exists) instead of stopping at CrossGuard's "can't be known" note.
    const extra = recorder.violations.filter((v) => !offline.includes(v) && !v.startsWith(GATE));
    expect(extra).toEqual([]);
    expect(offline.filter((v) => !recorder.violations.includes(v))).toEqual([]);
  });
});
