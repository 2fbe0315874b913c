/** Which workspace runs operations and where the fleet's record is, chosen by configuration (environment variables). */
import { join } from "node:path";
import { z } from "zod";
import { InvalidInputError, zodProblems } from "../../tenants/schema";
import { StackTenantStore, TenantStore } from "../orders/store";
import { LocalTenantWorkspace } from "./local";
import { RemoteTenantWorkspace } from "./remote";
import { TenantWorkspace } from "./types";

const envSchema = z.object({
  /** `local` (default): this machine's Pulumi CLI; `remote`: Pulumi Deployments. */
  LETSBE_WORKSPACE: z.enum(["local", "remote"]).default("local"),
  LETSBE_ORG: z.string().min(1).default("letsbe"),
  /** local: parent of the per-operation work directories. */
  LETSBE_WORK_ROOT: z.string().optional(),
  /** local: `org/` prefix for stack names on Pulumi Cloud; empty for a file backend. */
  LETSBE_STACK_PREFIX: z.string().optional(),
  /** remote: repository URL and the commit (or branch) to run. */
  LETSBE_REMOTE_REPO: z.url().optional(),
  LETSBE_REMOTE_COMMIT: z.string().regex(/^[0-9a-f]{7,40}$/, "must be a git commit hash").optional(),
  LETSBE_REMOTE_BRANCH: z.string().optional(),
  LETSBE_REMOTE_GIT_TOKEN: z.string().optional(),
});

export type WorkspaceEnv = z.output<typeof envSchema>;

export function readWorkspaceEnv(env: NodeJS.ProcessEnv): WorkspaceEnv {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) throw new InvalidInputError(zodProblems("environment", parsed.error));
  const data = parsed.data;
  if (data.LETSBE_WORKSPACE === "remote" && !data.LETSBE_REMOTE_REPO) {
    throw new InvalidInputError([{ source: "environment", path: "LETSBE_REMOTE_REPO", message: "required when LETSBE_WORKSPACE is remote" }]);
  }
  return data;
}

/** Environment variables forwarded to the Pulumi CLI or the remote runner. */
const FORWARDED = ["PULUMI_BACKEND_URL", "PULUMI_ACCESS_TOKEN", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE", "HCLOUD_TOKEN", "CLOUDFLARE_API_TOKEN"];

/**
 * Where operations run and the fleet's record: the two things the order flow is handed. Production
 * takes them from the environment (ENV_BACKEND); a caller may hand its own (the tests' simulated one).
 */
export interface Backend {
  readonly workspace: (env: NodeJS.ProcessEnv, programRoot: string) => Promise<TenantWorkspace>;
  readonly store: (env: NodeJS.ProcessEnv, dataDir: string) => TenantStore;
}

/** `programRoot` is the folder of compiled code holding `stacks/tenant` (dist/ when run from the CLI). */
export async function createWorkspace(env: NodeJS.ProcessEnv, programRoot: string): Promise<TenantWorkspace> {
  const settings = readWorkspaceEnv(env);
  const forwarded = Object.fromEntries(FORWARDED.filter((k) => env[k] !== undefined).map((k) => [k, env[k] as string]));
  switch (settings.LETSBE_WORKSPACE) {
    case "local":
      return new LocalTenantWorkspace({
        programDir: join(programRoot, "stacks", "tenant"),
        workRoot: settings.LETSBE_WORK_ROOT,
        stackPrefix: settings.LETSBE_STACK_PREFIX,
        envVars: forwarded,
        // The guardrails judge every tenant preview and update, as `pulumi preview --policy-pack policy` does.
        policyPacks: [join(programRoot, "..", "policy")],
      });
    case "remote":
      return new RemoteTenantWorkspace({
        repoUrl: settings.LETSBE_REMOTE_REPO as string,
        commitHash: settings.LETSBE_REMOTE_COMMIT,
        branch: settings.LETSBE_REMOTE_BRANCH,
        org: settings.LETSBE_ORG,
        gitToken: settings.LETSBE_REMOTE_GIT_TOKEN,
        envVars: forwarded,
      });
  }
}

/**
 * Where the fleet's record lives: the Pulumi backend the workspace's stacks are in (the stacks' config
 * and tags), so the service, an operator's CLI and CI see one fleet.
 */
export function createTenantStore(env: NodeJS.ProcessEnv): TenantStore {
  const settings = readWorkspaceEnv(env);
  const forwarded = Object.fromEntries(FORWARDED.filter((k) => env[k] !== undefined).map((k) => [k, env[k] as string]));
  switch (settings.LETSBE_WORKSPACE) {
    case "local":
      return new StackTenantStore({ envVars: forwarded, stackPrefix: settings.LETSBE_STACK_PREFIX, org: settings.LETSBE_ORG, workRoot: settings.LETSBE_WORK_ROOT });
    case "remote":
      // Remote stacks are Pulumi Cloud stacks of the organization: the same record, read with the CLI here.
      return new StackTenantStore({ envVars: forwarded, stackPrefix: `${settings.LETSBE_ORG}/`, org: settings.LETSBE_ORG });
  }
}

export const ENV_BACKEND: Backend = { workspace: createWorkspace, store: createTenantStore };
