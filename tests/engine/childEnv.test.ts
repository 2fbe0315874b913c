/**
 * The CLI child's environment on an operator's machine, with the built CLI: a `pulumi login` kept under
 * a PULUMI_HOME of the operator's own is the backend the fleet record is read from, though the workspace
 * is given no backend variable (before, PULUMI_HOME was dropped and the child looked in ~/.pulumi).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { StackTenantStore, TenantRecord } from "../../automation/orders/store";
import { parseTenantSpec } from "../../tenants/schema";
import { TEST_PASSPHRASE, engineEnv } from "./lib/engine";

const ORG = "organization"; // the file backend's only organization

const RECORD: TenantRecord = {
  slug: "home-one", orderId: "ord-home-one", status: "active", updatedAt: "2026-12-01T10:00:00.000Z",
  spec: parseTenantSpec({
    slug: "home-one", domain: "home-one.eu.letsbe.biz", region: "eu", tier: "build", provider: "hetzner", group: "canary",
    tools: ["nextcloud"], contactEmail: "owner@home-one.example", createdAt: "2026-11-20",
  }, "test record"),
};

describe("local workspace's CLI child on an operator's machine (built CLI)", () => {
  it("finds the backend an operator logged in to under their own PULUMI_HOME", async () => {
    const engine = engineEnv();
    // The service wrote the record with the backend given explicitly.
    await new StackTenantStore({ envVars: engine.env, org: ORG, workRoot: mkdtempSync(join(tmpdir(), "letsbe-home-w-")) }).put(RECORD);

    // The operator logged in under a PULUMI_HOME of their own; their HOME holds no .pulumi.
    const pulumiHome = mkdtempSync(join(tmpdir(), "letsbe-operator-pulumi-home-"));
    const home = mkdtempSync(join(tmpdir(), "letsbe-operator-home-"));
    execFileSync("pulumi", ["login", `file://${engine.backendDir}`], {
      env: { PATH: engine.env.PATH, HOME: home, PULUMI_HOME: pulumiHome, PULUMI_SKIP_UPDATE_CHECK: "true" }, stdio: "pipe",
    });

    const saved = { HOME: process.env.HOME, PULUMI_HOME: process.env.PULUMI_HOME };
    Object.assign(process.env, { HOME: home, PULUMI_HOME: pulumiHome });
    try {
      const reader = new StackTenantStore({
        envVars: { PULUMI_CONFIG_PASSPHRASE: TEST_PASSPHRASE, PULUMI_SKIP_UPDATE_CHECK: "true" },
        org: ORG, workRoot: mkdtempSync(join(tmpdir(), "letsbe-home-r-")),
      });
      const records = await reader.list();
      expect(records.map((r) => [r.slug, r.orderId, r.spec.tools])).toEqual([["home-one", "ord-home-one", ["nextcloud"]]]);
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });
});
