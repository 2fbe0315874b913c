import { LocalWorkspace, PulumiCommand, RemoteWorkspace } from "@pulumi/pulumi/automation";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { isRetryable } from "../../automation/orders/errors";
import { LocalTenantWorkspace, translateError } from "../../automation/workspace/local";
import { RemoteTenantWorkspace } from "../../automation/workspace/remote";
import { createWorkspace, readWorkspaceEnv } from "../../automation/workspace/select";
import { busyError } from "./simulatedWorkspace";
import { StackBusyError } from "../../automation/workspace/types";
import { InvalidInputError } from "../../tenants/schema";

describe("workspace selection", () => {
  it("chooses by LETSBE_WORKSPACE and validates what each kind needs", async () => {
    expect(readWorkspaceEnv({}).LETSBE_WORKSPACE).toBe("local");
    expect(await createWorkspace({}, "/opt/letsbe")).toBeInstanceOf(LocalTenantWorkspace);
    expect(await createWorkspace({ LETSBE_WORKSPACE: "remote", LETSBE_REMOTE_REPO: "https://code.letsbe.solutions/letsbe/infra.git", LETSBE_REMOTE_COMMIT: "0123abc" }, "/x"))
      .toBeInstanceOf(RemoteTenantWorkspace);
    expect(() => readWorkspaceEnv({ LETSBE_WORKSPACE: "remote" })).toThrow(/LETSBE_REMOTE_REPO: required/);
    expect(() => readWorkspaceEnv({ LETSBE_WORKSPACE: "cloud" })).toThrow(InvalidInputError);
    expect(() => readWorkspaceEnv({ LETSBE_WORKSPACE: "remote", LETSBE_REMOTE_REPO: "https://x.example/r.git", LETSBE_REMOTE_COMMIT: "main" })).toThrow(/commit hash/);
    // The tests' simulated workspace is no production choice.
    expect(() => readWorkspaceEnv({ LETSBE_WORKSPACE: "simulated" })).toThrow(/LETSBE_WORKSPACE: .*"local"\|"remote"|LETSBE_WORKSPACE: .*local.*remote/);
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

describe("production workspaces drive the Automation API as documented", () => {
  const config = { "letsbe-tenant:hubOrg": { value: "letsbe" }, "letsbe-tenant:registrationToken": { value: "reg-S3CR3T", secret: true } };

  it("LocalWorkspace: one work directory per operation, config set, events and signal passed, lock conflicts translated", async () => {
    // Plain config only: secrets go to the real CLI's stdin, proven in tests/engine/configArgs.test.ts.
    const plainConfig = { "letsbe-tenant:hubOrg": { value: "letsbe" }, "letsbe-tenant:region": { value: "eu" } };
    const seen: Array<{ workDir: string; settings: unknown; linked: boolean }> = [];
    const calls: string[] = [];
    const spy = vi.spyOn(LocalWorkspace, "createOrSelectStack").mockImplementation((async (args: { stackName: string; workDir: string }, opts: { projectSettings: unknown }) => {
      seen.push({ workDir: args.workDir, settings: opts.projectSettings, linked: existsSync(join(args.workDir, "program", "index.ts")) });
      return {
        name: args.stackName,
        // A new stack: no deployment, so no recorded config to restore (tests/engine/recordedConfig.test.ts).
        history: async () => [],
        setAllConfig: async (c: Record<string, unknown>) => { calls.push(`config ${Object.keys(c).join(",")}`); },
        up: async (o: { onEvent?: unknown; signal?: AbortSignal; policyPacks?: string[] }) => {
          calls.push(`up events=${typeof o.onEvent} signal=${o.signal instanceof AbortSignal} policy=${o.policyPacks?.join(",") ?? "none"}`);
          if (args.stackName.endsWith("locked")) throw busyError(args.stackName);
          return { outputs: { slug: { value: "x", secret: false } }, summary: { resourceChanges: { create: 3 } } };
        },
      };
    }) as never);
    // No CLI in this tier: the workspace looks it up once, before its first stack.
    const cli = vi.spyOn(PulumiCommand, "get").mockImplementation((async () => ({ command: "pulumi", version: null, run: async () => ({}) })) as never);
    try {
      const workspace = new LocalTenantWorkspace({ programDir: join(__dirname, "..", "..", "stacks", "tenant"), stackPrefix: "letsbe/", policyPacks: ["/repo/policy"] });
      const signal = new AbortController().signal;
      const result = await workspace.up({ slug: "one-a", config: plainConfig, signal, onEvent: () => undefined });
      expect(result).toEqual({ outputs: { slug: { value: "x", secret: false } }, changes: { create: 3 } });
      await expect(workspace.up({ slug: "locked", config: plainConfig })).rejects.toBeInstanceOf(StackBusyError);
      expect(calls).toEqual([
        "config letsbe-tenant:hubOrg,letsbe-tenant:region", "up events=function signal=true policy=/repo/policy",
        // Events always go to the workspace's own diagnostics collector, whether the caller listens or not.
        "config letsbe-tenant:hubOrg,letsbe-tenant:region", "up events=function signal=false policy=/repo/policy",
      ]);
      expect(spy.mock.calls.map((c) => (c[0] as { stackName: string }).stackName)).toEqual(["letsbe/one-a", "letsbe/locked"]);
      expect(seen[0].workDir).not.toBe(seen[1].workDir);
      expect(seen.every((s) => s.linked)).toBe(true);
      expect(seen[0].settings).toEqual({ name: "letsbe-tenant", runtime: { name: "nodejs", options: { typescript: false } }, main: "program/index.js" });
      // Work directories are removed after each operation.
      expect(seen.some((s) => existsSync(s.workDir))).toBe(false);
      expect(cli).toHaveBeenCalledTimes(1);
    } finally {
      cli.mockRestore();
      spy.mockRestore();
    }
  });

  it("RemoteWorkspace: the SDK's own validation accepts the options (fully qualified name), config travels as a secret variable", async () => {
    // The real RemoteWorkspace code path runs; it stops where the SDK would start the CLI against Pulumi Cloud.
    const reached = new Error("stopped where the SDK needs the Pulumi CLI and the service");
    const spy = vi.spyOn(LocalWorkspace, "create").mockImplementation((async () => { throw reached; }) as never);
    try {
      const workspace = new RemoteTenantWorkspace({ repoUrl: "https://code.letsbe.solutions/letsbe/infra.git", commitHash: "0123abcd", org: "letsbe", envVars: { HCLOUD_TOKEN: "hc-S3CR3T" } });
      await expect(workspace.up({ slug: "two-b", config })).rejects.toBe(reached);
      expect(spy).toHaveBeenCalledTimes(1);
      const opts = spy.mock.calls[0][0] as unknown as {
        remote: boolean; remoteGitProgramArgs: Record<string, unknown>; remoteEnvVars: Record<string, { secret: string }>; remotePreRunCommands: string[];
      };
      expect(opts.remote).toBe(true);
      expect(opts.remoteGitProgramArgs).toEqual({
        stackName: "letsbe/letsbe-tenant/two-b", url: "https://code.letsbe.solutions/letsbe/infra.git", projectPath: "stacks/tenant", commitHash: "0123abcd",
      });
      expect(JSON.parse(opts.remoteEnvVars.LETSBE_STACK_CONFIG.secret)).toEqual(config);
      expect(opts.remoteEnvVars.HCLOUD_TOKEN).toEqual({ secret: "hc-S3CR3T" });
      expect(opts.remotePreRunCommands.at(-1)).toBe('pulumi config set-all --stack letsbe/letsbe-tenant/two-b --json "$LETSBE_STACK_CONFIG"');
      // A branch instead of a commit passes the same validation.
      await expect(new RemoteTenantWorkspace({ repoUrl: "https://code.letsbe.solutions/letsbe/infra.git", org: "letsbe" }).preview({ slug: "two-c", config })).rejects.toBe(reached);
      expect((spy.mock.calls[1][0] as unknown as { remoteGitProgramArgs: Record<string, unknown> }).remoteGitProgramArgs).toMatchObject({ stackName: "letsbe/letsbe-tenant/two-c", branch: "refs/heads/main" });
    } finally {
      spy.mockRestore();
    }
  });

  it("RemoteWorkspace: the SDK refuses a name that is not fully qualified (what the old `org/slug` naming hit)", async () => {
    await expect(RemoteWorkspace.createOrSelectStack({ stackName: "letsbe/two-b", url: "https://code.letsbe.solutions/letsbe/infra.git", commitHash: "0123abcd" }))
      .rejects.toThrow('stack name "letsbe/two-b" must be fully qualified.');
  });
});
