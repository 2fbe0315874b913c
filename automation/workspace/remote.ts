/**
 * Pulumi Deployments: the operation runs on Pulumi's runners from this repository at a given
 * commit, so the order flow and rollouts scale past one machine without a scheduler of our own.
 * The stack's config (secrets included) travels as a secret environment variable and is
 * written by a pre-run command, because a remote stack has no config API of its own.
 */
import { RemoteStack, RemoteWorkspace } from "@pulumi/pulumi/automation";
import { DECOMMISSION_TAG } from "../../policy/lib/tags";
import { TENANT_PROJECT } from "../../contracts/hub";
import { OperationResult, StackOperation, TenantWorkspace } from "./types";
import { translateError } from "./local";

export interface RemoteTenantWorkspaceOptions {
  /** Git URL of this repository. */
  readonly repoUrl: string;
  /** Commit to run; pins the program exactly. Either this or `branch`. */
  readonly commitHash?: string;
  /** Branch to run when no commit is given. */
  readonly branch?: string;
  /** Path of the tenant project in the repository. Default - `stacks/tenant`. */
  readonly projectPath?: string;
  /** Organization owning the tenant stacks (`letsbe`): stacks are named `org/letsbe-tenant/slug`. */
  readonly org: string;
  /** Personal access token for a private repository (secret). */
  readonly gitToken?: string;
  /** Environment for the runner (cloud tokens); all passed as secrets. */
  readonly envVars?: Readonly<Record<string, string>>;
  /** Commands before the operation, e.g. installing dependencies at the repository root. Default - `npm ci` there. */
  readonly preRunCommands?: readonly string[];
}

const CONFIG_ENV = "LETSBE_STACK_CONFIG";

export class RemoteTenantWorkspace implements TenantWorkspace {
  readonly kind = "remote";

  constructor(private readonly options: RemoteTenantWorkspaceOptions) {}

  up(op: StackOperation): Promise<OperationResult> {
    if (op.replace?.length) return Promise.reject(new Error(`stack ${op.slug}: replacing resources is not offered by Pulumi Deployments' remote up; run it with LETSBE_WORKSPACE=local`));
    return this.withStack(op, async (stack) => {
      const result = await stack.up({ onEvent: op.onEvent });
      return { outputs: result.outputs, changes: { ...(result.summary.resourceChanges ?? {}) } };
    });
  }

  preview(op: StackOperation): Promise<OperationResult> {
    return this.withStack(op, async (stack) => {
      const result = await stack.preview({ onEvent: op.onEvent });
      return { outputs: {}, changes: { ...result.changeSummary } };
    });
  }

  destroy(op: StackOperation): Promise<OperationResult> {
    return this.withStack(op, async (stack) => {
      const result = await stack.destroy({ onEvent: op.onEvent });
      return { outputs: {}, changes: { ...(result.summary.resourceChanges ?? {}) } };
    });
  }

  refresh(op: StackOperation): Promise<OperationResult> {
    return this.withStack(op, async (stack) => {
      const result = await stack.refresh({ onEvent: op.onEvent });
      return { outputs: {}, changes: { ...(result.summary.resourceChanges ?? {}) } };
    });
  }

  private async withStack(op: StackOperation, run: (stack: RemoteStack) => Promise<OperationResult>): Promise<OperationResult> {
    const o = this.options;
    const stackName = remoteStackName(o.org, op.slug);
    const envVars: Record<string, { secret: string }> = { [CONFIG_ENV]: { secret: JSON.stringify(op.config) } };
    for (const [key, value] of Object.entries(o.envVars ?? {})) envVars[key] = { secret: value };
    try {
      const stack = await RemoteWorkspace.createOrSelectStack({
        stackName,
        url: o.repoUrl,
        projectPath: o.projectPath ?? "stacks/tenant",
        ...(o.commitHash ? { commitHash: o.commitHash } : { branch: o.branch ?? "refs/heads/main" }),
        ...(o.gitToken ? { auth: { personalAccessToken: o.gitToken } } : {}),
      }, {
        envVars,
        preRunCommands: [
          ...(o.preRunCommands ?? ["npm ci --prefix ../.."]),
          `pulumi config set-all --stack ${stackName} --json "$${CONFIG_ENV}"`,
          ...(op.decommission ? [`pulumi stack tag set ${DECOMMISSION_TAG} ${op.decommission} --stack ${stackName}`] : []),
        ],
      });
      // The runner honours no client-side signal; cancel() asks the service to stop the update.
      const cancel = () => void stack.cancel().catch(() => undefined);
      op.signal?.addEventListener("abort", cancel, { once: true });
      try {
        return await run(stack);
      } finally {
        op.signal?.removeEventListener("abort", cancel);
      }
    } catch (error) {
      throw translateError(op.slug, error);
    }
  }
}

/** RemoteWorkspace takes only fully qualified names (`org/project/stack`); `org/slug` is refused before anything runs. */
export function remoteStackName(org: string, slug: string): string {
  return `${org}/${TENANT_PROJECT}/${slug}`;
}
