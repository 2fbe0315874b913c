/**
 * The default workspace: Pulumi's LocalWorkspace running the tenant program on this machine
 * with the Pulumi CLI. Every operation gets its own work directory (Pulumi.yaml naming the
 * program, plus the stack's config file), so concurrent operations share no workspace files.
 */
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ConcurrentUpdateError, Deployment, LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { DECOMMISSION_TAG } from "../../policy/lib/tags";
import { TENANT_PROJECT } from "../../stacks/contract";
import { OperationResult, StackBusyError, StackOperation, TenantWorkspace } from "./types";

export interface LocalTenantWorkspaceOptions {
  /** Folder holding the tenant program's entry point (compiled `index.js` or `index.ts`). */
  readonly programDir: string;
  /** Run the entry point with TypeScript (ts-node). Default - false (compiled JavaScript). */
  readonly typescript?: boolean;
  /** Parent of the per-operation work directories. Default - the OS temp folder. */
  readonly workRoot?: string;
  /** Environment for the CLI: PULUMI_BACKEND_URL, PULUMI_ACCESS_TOKEN or PULUMI_CONFIG_PASSPHRASE, cloud tokens. */
  readonly envVars?: Readonly<Record<string, string>>;
  /** Stack name prefix with the organization (`letsbe/`) for the Pulumi Cloud backend. Default - none. */
  readonly stackPrefix?: string;
  /** Policy pack folders every preview and update carries (`pulumi --policy-pack`). Default - none. */
  readonly policyPacks?: readonly string[];
}

export class LocalTenantWorkspace implements TenantWorkspace {
  readonly kind = "local";

  constructor(private readonly options: LocalTenantWorkspaceOptions) {}

  up(op: StackOperation): Promise<OperationResult> {
    return this.withStack(op, async (stack) => {
      if (op.replace?.length) await stack.importStack(unprotected(await stack.exportStack(), op.replace));
      const replace = op.replace?.length ? { replace: [...op.replace] } : {};
      const result = await stack.up({ onEvent: op.onEvent, signal: op.signal, ...replace, ...this.policyOptions() });
      return { outputs: result.outputs, changes: { ...(result.summary.resourceChanges ?? {}) } };
    });
  }

  preview(op: StackOperation): Promise<OperationResult> {
    return this.withStack(op, async (stack) => {
      const result = await stack.preview({ onEvent: op.onEvent, signal: op.signal, ...this.policyOptions() });
      return { outputs: {}, changes: { ...result.changeSummary } };
    });
  }

  destroy(op: StackOperation): Promise<OperationResult> {
    return this.withStack(op, async (stack) => {
      const result = await stack.destroy({ onEvent: op.onEvent, signal: op.signal });
      await stack.workspace.removeStack(stack.name);
      return { outputs: {}, changes: { ...(result.summary.resourceChanges ?? {}) } };
    });
  }

  refresh(op: StackOperation): Promise<OperationResult> {
    return this.withStack(op, async (stack) => {
      const result = await stack.refresh({ onEvent: op.onEvent, signal: op.signal });
      return { outputs: {}, changes: { ...(result.summary.resourceChanges ?? {}) } };
    });
  }

  private policyOptions(): { policyPacks?: string[] } {
    return this.options.policyPacks?.length ? { policyPacks: [...this.options.policyPacks] } : {};
  }

  private async withStack(op: StackOperation, run: (stack: Stack) => Promise<OperationResult>): Promise<OperationResult> {
    const workDir = mkdtempSync(join(this.options.workRoot ?? tmpdir(), `letsbe-${op.slug}-`));
    try {
      // A link keeps module resolution at the program's real location (its node_modules).
      symlinkSync(resolve(this.options.programDir), join(workDir, "program"), "dir");
      const stack = await LocalWorkspace.createOrSelectStack(
        { stackName: `${this.options.stackPrefix ?? ""}${op.slug}`, workDir },
        {
          workDir,
          projectSettings: {
            name: TENANT_PROJECT,
            runtime: { name: "nodejs", options: { typescript: this.options.typescript ?? false } },
            // The entry file, not the folder: for a folder the Node.js runtime takes `main` of the nearest
            // package.json above it, which is the repository's (the hub program).
            main: `program/${this.options.typescript ? "index.ts" : "index.js"}`,
          },
          envVars: { ...(this.options.envVars ?? {}) },
        },
      );
      await stack.setAllConfig({ ...op.config });
      if (op.decommission) await stack.setTag(DECOMMISSION_TAG, op.decommission);
      return await run(stack);
    } catch (error) {
      throw translateError(op.slug, error);
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  }
}

/** Pulumi's lock conflict becomes the flow's retryable StackBusyError. */
export function translateError(slug: string, error: unknown): unknown {
  if (error instanceof ConcurrentUpdateError) return new StackBusyError(slug, "the backend holds the stack's update lock");
  return error;
}

/** The state with `protect` lifted from the given resources: what `pulumi state unprotect <urn>` writes. */
export function unprotected(deployment: Deployment, urns: readonly string[]): Deployment {
  const state = deployment.deployment as { resources?: Array<Record<string, unknown>> };
  const resources = (state.resources ?? []).map((r) => (urns.includes(String(r.urn)) ? { ...r, protect: false } : r));
  return { ...deployment, deployment: { ...state, resources } };
}
