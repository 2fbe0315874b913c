/**
 * The region's Storage Box in the hub contract (`settings.offsiteStorageBoxId`): the hub exports
 * it, a tenant stack reading that contract makes its own subaccount on it, and a malformed id
 * stops the hub naming the setting.
 */
import { describe, expect, it } from "vitest";
import { runUnderMocks } from "../../automation/plan/mockRuntime";
import { hubRunOptions, tenantRunOptions } from "../../automation/plan/stackConfig";
import { repoRoot } from "../../automation/repoRoot";
import { hubStackOutputsSchema } from "../../contracts/hub";
import { hubProgram } from "../../stacks/hub/program";
import { tenantProgram } from "../../stacks/tenant/program";
import { specFixture } from "../helpers/fixtures";

function runHub(offsiteStorageBoxId: unknown) {
  const options = hubRunOptions(repoRoot(), "prod-eu", { org: "letsbe" });
  const raw = options.config?.["letsbe-hub:settings"];
  const settings = { ...((typeof raw === "string" ? JSON.parse(raw) : raw) as Record<string, unknown>), offsiteStorageBoxId };
  return runUnderMocks(hubProgram, { ...options, config: { ...options.config, "letsbe-hub:settings": settings } });
}

describe("the region's Storage Box in the hub contract", () => {
  it("is exported by the hub and makes each tenant's subaccount on it", async () => {
    const hub = await runHub(31337);
    const outputs = hubStackOutputsSchema.parse(hub.plainOutputs);
    expect(outputs.offsiteStorageBoxId).toBe(31337);
    const spec = specFixture();
    const options = tenantRunOptions(spec, { org: "letsbe" }, hub.plainOutputs, []);
    const config = Object.fromEntries(Object.entries(options.config ?? {}).filter(([k]) => k !== "letsbe-tenant:backupRcloneConfig"));
    const tenant = await runUnderMocks(tenantProgram, { ...options, config, secretConfigKeys: (options.secretConfigKeys ?? []).filter((k) => k !== "letsbe-tenant:backupRcloneConfig") });
    const subs = tenant.resources.filter((r) => r.type === "hcloud:index/storageBoxSubaccount:StorageBoxSubaccount");
    expect(subs.map((r) => [r.plainInputs.storageBoxId, r.plainInputs.homeDirectory])).toEqual([[31337, "tenants/acme-bakery"]]);
  });

  it("a malformed id stops the hub, naming the setting", async () => {
    await expect(runHub("box-1")).rejects.toThrow(/letsbe-hub:settings.*offsiteStorageBoxId/s);
  });
});
