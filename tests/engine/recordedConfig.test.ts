/**
 * Per-stack config outlives the order flow's operations, on the built CLI. Every operation of the local
 * workspace runs in a new work folder, which held only the keys the flow wrote: a setting an operator
 * put on one tenant's stack (`hubStack`, a per-stack secret such as `backupRcloneConfig`, the estate's
 * endpoints and image pins) was gone after the next `tenant up`. Now the stack's recorded config comes
 * back first; the flow's own keys it no longer states (release pins, `protect`) are removed.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OrderFlow } from "../../automation/orders/flow";
import type { Order } from "../../automation/orders/schema";
import { StackTenantStore } from "../../automation/orders/store";
import { LocalTenantWorkspace } from "../../automation/workspace/local";
import type { StackConfig, TenantWorkspace } from "../../automation/workspace/types";
import type { ReleaseOverride } from "../../tenants/release";
import type { TenantSpec } from "../../tenants/schema";
import { SECRETS } from "../automation/support";
import { EngineEnv, REPO, engineEnv, pulumi } from "./lib/engine";
import { SettingsWorkspace } from "./lib/settings";

const ORG = "organization";
const SLUG = "kept-one";
const PROGRAM = join(REPO, "tests", "engine", "programs", "settings");
const RCLONE = "[offsite]\ntype = s3\naccess_key_id = kept-one-only-7f2e\n";
const PINS: ReleaseOverride = { openclaw: { repository: "code.letsbe.solutions/letsbe/openclaw", tag: "2026.3.1", digest: `sha256:${"a".repeat(64)}` } };
const spec = (tools: TenantSpec["tools"]): TenantSpec => ({
  slug: SLUG, domain: "kept-one.eu.letsbe.biz", region: "eu", tier: "build", provider: "hetzner", group: "general",
  tools, contactEmail: "ops@kept-one.example", createdAt: "2026-12-01",
});
let engine: EngineEnv;

/** A machine of its own (store, work folder); only the backend is shared. */
function flowOn(wrap: (local: LocalTenantWorkspace) => TenantWorkspace = (local) => local): { flow: OrderFlow; workspace: TenantWorkspace } {
  const workRoot = mkdtempSync(join(tmpdir(), "letsbe-kept-"));
  const workspace = wrap(new LocalTenantWorkspace({ programDir: PROGRAM, envVars: engine.env, workRoot }));
  const store = new StackTenantStore({ envVars: engine.env, org: ORG, workRoot });
  return { flow: new OrderFlow({ workspace, store, org: ORG, secrets: SECRETS, attempts: 1, tenantBaseDomain: () => undefined }), workspace };
}

function outputs(): Record<string, unknown> {
  const dir = mkdtempSync(join(tmpdir(), "letsbe-kept-out-"));
  writeFileSync(join(dir, "Pulumi.yaml"), "name: letsbe-tenant\nruntime: nodejs\n");
  return JSON.parse(pulumi(engine, ["stack", "output", "--json", "--show-secrets", "--stack", SLUG], dir)) as Record<string, unknown>;
}

const order = (tools: TenantSpec["tools"], release?: ReleaseOverride): Order =>
  ({ orderId: "order-kept-one", spec: spec(tools), providerChoice: "hetzner", allowOverflow: false, ...(release ? { release } : {}) });

beforeAll(() => {
  engine = engineEnv();
});

afterAll(() => {
  if (engine) rmSync(engine.backendDir, { recursive: true, force: true });
});

describe("a stack's own config, across operations of the order flow on fresh machines", () => {
  it("the provision records the per-stack settings it was given", async () => {
    const settings: StackConfig = { "letsbe-tenant:hubStack": { value: "staging" }, "letsbe-tenant:backupRcloneConfig": { value: RCLONE, secret: true } };
    const { flow } = flowOn((local) => new SettingsWorkspace(local, () => settings));
    const outcome = await flow.provision(order(["nextcloud"], PINS));
    expect(outcome.reason, outcome.reason).toBeUndefined();
    expect(outputs()).toEqual({ tools: ["nextcloud"], release: PINS, protect: null, hubStack: "staging", backupRcloneConfig: RCLONE });
  });

  it("a CI runner's changed spec is applied, and the settings it knows nothing of are kept, the secret still a secret", async () => {
    const outcome = await flowOn().flow.provision(order(["nextcloud", "ghost"]));
    expect(outcome.reason, outcome.reason).toBeUndefined();
    expect(outputs()).toEqual({ tools: ["nextcloud", "ghost"], release: PINS, protect: null, hubStack: "staging", backupRcloneConfig: RCLONE });
    const dir = mkdtempSync(join(tmpdir(), "letsbe-kept-export-"));
    writeFileSync(join(dir, "Pulumi.yaml"), "name: letsbe-tenant\nruntime: nodejs\n");
    expect(pulumi(engine, ["stack", "export", "--stack", SLUG], dir)).not.toContain("kept-one-only-7f2e");
  });

  it("the flow's own keys it leaves out are removed: protection back on after a decommission's up, pins back to the catalog's", async () => {
    const { flow, workspace } = flowOn();
    const record = { slug: SLUG, orderId: "order-kept-one", spec: spec(["nextcloud", "ghost"]), release: PINS, status: "active" as const, updatedAt: "2026-12-01T00:00:00Z" };
    await workspace.up({ slug: SLUG, config: { ...flow.stackConfig(record), "letsbe-tenant:protect": { value: "false" } } });
    expect(outputs()).toMatchObject({ protect: "false" });
    const moved = await flow.update(SLUG, undefined, "rollback-to-catalog");
    expect(moved.reason, moved.reason).toBeUndefined();
    expect(outputs()).toEqual({ tools: ["nextcloud", "ghost"], release: null, protect: null, hubStack: "staging", backupRcloneConfig: RCLONE });
  });
});
