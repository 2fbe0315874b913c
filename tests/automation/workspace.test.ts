import { execFileSync } from "node:child_process";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isRetryable } from "../../automation/orders/errors";
import { OrderFlow } from "../../automation/orders/flow";
import { parseOrder } from "../../automation/orders/schema";
import { MemoryTenantStore } from "../../automation/orders/store";
import { LocalTenantWorkspace, translateError } from "../../automation/workspace/local";
import { RemoteTenantWorkspace } from "../../automation/workspace/remote";
import { createWorkspace, readWorkspaceEnv } from "../../automation/workspace/select";
import { busyError } from "../../automation/workspace/simulated";
import { StackBusyError } from "../../automation/workspace/types";
import { InvalidInputError } from "../../tenants/schema";
import { SECRETS, orderInput, testHubs } from "./support";

function pulumiOnPath(): boolean {
  try {
    execFileSync("pulumi", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
const HAS_PULUMI = pulumiOnPath();
if (!HAS_PULUMI) {
  console.warn("SKIP LocalWorkspace integration test: no `pulumi` binary on PATH (the Pulumi CLI cannot be installed on this machine); the test runs where it is installed.");
}

describe("workspace selection", () => {
  it("chooses by LETSBE_WORKSPACE and validates what each kind needs", async () => {
    expect(readWorkspaceEnv({}).LETSBE_WORKSPACE).toBe("local");
    expect(await createWorkspace({}, "/opt/letsbe")).toBeInstanceOf(LocalTenantWorkspace);
    expect(await createWorkspace({ LETSBE_WORKSPACE: "remote", LETSBE_REMOTE_REPO: "https://code.letsbe.solutions/letsbe/infra.git", LETSBE_REMOTE_COMMIT: "0123abc" }, "/x"))
      .toBeInstanceOf(RemoteTenantWorkspace);
    expect(() => readWorkspaceEnv({ LETSBE_WORKSPACE: "remote" })).toThrow(/LETSBE_REMOTE_REPO: required/);
    expect(() => readWorkspaceEnv({ LETSBE_WORKSPACE: "cloud" })).toThrow(InvalidInputError);
    expect(() => readWorkspaceEnv({ LETSBE_WORKSPACE: "remote", LETSBE_REMOTE_REPO: "https://x.example/r.git", LETSBE_REMOTE_COMMIT: "main" })).toThrow(/commit hash/);
    expect((await createWorkspace({ LETSBE_WORKSPACE: "simulated" }, "/x")).kind).toBe("simulated");
  });

  it("turns Pulumi's ConcurrentUpdateError into a retryable StackBusyError, and leaves others alone", () => {
    const translated = translateError("busy-one", busyError("busy-one"));
    expect(translated).toBeInstanceOf(StackBusyError);
    expect(isRetryable(translated)).toBe(true);
    expect(isRetryable(busyError("busy-one"))).toBe(true);
    const other = new Error("hcloud: server type cpx31 unavailable in nbg1");
    expect(translateError("x", other)).toBe(other);
    expect(isRetryable(other)).toBe(false);
    expect(isRetryable(new Error("Hetzner answered 503 Service Unavailable"))).toBe(true);
    expect(isRetryable(new Error("NETCUP_POOL_EMPTY: no free Netcup server of product \"RS 2000 G12\""))).toBe(false);
  });
});

describe("LocalWorkspace with the file backend", () => {
  it.skipIf(!HAS_PULUMI)("previews, brings up and destroys a tenant stack with the real CLI in a temporary folder", async () => {
    const root = join(__dirname, "..", "..");
    execFileSync("npx", ["tsc", "-p", "tsconfig.json"], { cwd: root, stdio: "ignore" });
    const backend = mkdtempSync(join(tmpdir(), "letsbe-backend-"));
    const envVars = { PULUMI_BACKEND_URL: `file://${backend}`, PULUMI_CONFIG_PASSPHRASE: "integration-test" };
    // The file backend's only organization is `organization`; a hub stack there serves the contract.
    const hubs = await testHubs();
    const hub = await LocalWorkspace.createOrSelectStack(
      { stackName: "prod-eu", projectName: "letsbe-hub", program: async () => hubs.eu.outputs },
      { envVars },
    );
    await hub.up();
    const workspace = new LocalTenantWorkspace({ programDir: join(root, "dist", "stacks", "tenant"), envVars });
    const flow = new OrderFlow({ workspace, store: new MemoryTenantStore(), org: "organization", secrets: SECRETS, attempts: 1 });
    const order = parseOrder(orderInput("cli-one"));
    const preview = await flow.preview("cli-one", "preview-cli-one", undefined, order.spec);
    expect(preview.reason).toBeUndefined();
    expect(preview.changes.create).toBeGreaterThan(10);
  }, 600_000);
});
