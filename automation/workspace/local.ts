/**
 * The default workspace: Pulumi's LocalWorkspace running the tenant program on this machine
 * with the Pulumi CLI. Every operation gets its own work directory (Pulumi.yaml naming the
 * program, plus the stack's config file), so concurrent operations share no workspace files.
 */
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ConcurrentUpdateError, Deployment, LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { DECOMMISSION_TAG } from "../../policy/lib/tags";
import { TENANT_PROJECT } from "../../contracts/hub";
import { EngineDiagnostics } from "./diagnostics";
import { clearingDeadLocks } from "./locks";
import { restoreRecordedConfig, setStackConfig } from "./stackConfig";
import { EngineEvent, OperationResult, StackBusyError, StackOperation, TenantWorkspace } from "./types";

export interface LocalTenantWorkspaceOptions {
  /** Folder holding the tenant program's entry point (compiled `index.js` or `index.ts`). */
  readonly programDir: string;
  /** Run the entry point with TypeScript (ts-node). Default - false (compiled JavaScript). */
  readonly typescript?: boolean;
  /** Parent of the per-operation work directories. Default - the OS temp folder. */
  readonly workRoot?: string;
  /**
   * Environment for the CLI: PULUMI_BACKEND_URL, PULUMI_ACCESS_TOKEN or PULUMI_CONFIG_PASSPHRASE, cloud tokens.
   * With the few variables of this process in CHILD_ENV_INHERITED, it is all the CLI child sees.
   */
  readonly envVars?: Readonly<Record<string, string>>;
  /** Stack name prefix with the organization (`letsbe/`) for the Pulumi Cloud backend. Default - none. */
  readonly stackPrefix?: string;
  /** Policy pack folders every preview and update carries (`pulumi --policy-pack`). Default - none. */
  readonly policyPacks?: readonly string[];
}

/**
 * What the CLI child inherits from this process: what the CLI, the Node.js language host and the
 * providers need to run on this machine. Everything else (the service's API token, LETSBE_SECRET_*, CI
 * tokens) stays here; the backend's credentials come only as given (`envVars`).
 * - PULUMI_HOME: where `pulumi login` keeps the current backend and where the plugins are (default
 *   ~/.pulumi); without it an operator's login and plugins are not found.
 * - PULUMI_SKIP_UPDATE_CHECK, PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION, PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES:
 *   how this machine reaches (or does not reach) the network for updates and plugins.
 * Left out on purpose: SSH_AUTH_SOCK (the bootstrap connects with the provisioning key from stack
 * config; the agent's other keys stay away from the child), XDG_* (read by neither the CLI v3.248.0
 * nor Node.js), NODE_OPTIONS (it would load this process's hooks into the program).
 */
export const CHILD_ENV_INHERITED = [
  "PATH", "HOME", "USER", "LOGNAME", "TMPDIR", "LANG", "LC_ALL", "LC_CTYPE", "TZ",
  "SSL_CERT_FILE", "SSL_CERT_DIR", "NODE_EXTRA_CA_CERTS", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "https_proxy", "http_proxy", "no_proxy",
  "PULUMI_HOME",
  "PULUMI_SKIP_UPDATE_CHECK", "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION", "PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES",
] as const;

export class LocalTenantWorkspace implements TenantWorkspace {
  readonly kind = "local";
  private command: Promise<PulumiCommand> | undefined;

  constructor(private readonly options: LocalTenantWorkspaceOptions) {}

  up(op: StackOperation): Promise<OperationResult> {
    return this.withStack(op, "up", async (stack, onEvent) => {
      if (op.replace?.length) await stack.importStack(unprotected(await stack.exportStack(), op.replace));
      const replace = op.replace?.length ? { replace: [...op.replace] } : {};
      const result = await stack.up({ onEvent, signal: op.signal, ...replace, ...this.policyOptions() });
      return { outputs: result.outputs, changes: { ...(result.summary.resourceChanges ?? {}) } };
    });
  }

  preview(op: StackOperation): Promise<OperationResult> {
    return this.withStack(op, "preview", async (stack, onEvent) => {
      const result = await stack.preview({ onEvent, signal: op.signal, ...this.policyOptions() });
      return { outputs: {}, changes: { ...result.changeSummary } };
    });
  }

  destroy(op: StackOperation): Promise<OperationResult> {
    return this.withStack(op, "destroy", async (stack, onEvent) => {
      const result = await stack.destroy({ onEvent, signal: op.signal });
      await stack.workspace.removeStack(stack.name);
      return { outputs: {}, changes: { ...(result.summary.resourceChanges ?? {}) } };
    });
  }

  refresh(op: StackOperation): Promise<OperationResult> {
    return this.withStack(op, "refresh", async (stack, onEvent) => {
      const result = await stack.refresh({ onEvent, signal: op.signal });
      return { outputs: {}, changes: { ...(result.summary.resourceChanges ?? {}) } };
    });
  }

  /** The CLI child's whole environment. */
  childEnv(): Record<string, string> {
    const inherited = Object.fromEntries(CHILD_ENV_INHERITED.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k] as string]));
    return { ...inherited, ...(this.options.envVars ?? {}) };
  }

  private policyOptions(): { policyPacks?: string[] } {
    return this.options.policyPacks?.length ? { policyPacks: [...this.options.policyPacks] } : {};
  }

  private async withStack(
    op: StackOperation, operation: string, run: (stack: Stack, onEvent: (event: EngineEvent) => void) => Promise<OperationResult>,
  ): Promise<OperationResult> {
    const workDir = mkdtempSync(join(this.options.workRoot ?? tmpdir(), `letsbe-${op.slug}-`));
    const diagnostics = new EngineDiagnostics();
    const onEvent = (event: EngineEvent) => {
      diagnostics.onEvent(event);
      op.onEvent?.(event);
    };
    const envVars = this.childEnv();
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
          envVars,
          pulumiCommand: await this.pulumiCommand(envVars),
        },
      );
      await restoreRecordedConfig(stack, op.config);
      await setStackConfig(stack, op.config, envVars);
      if (op.decommission) await stack.setTag(DECOMMISSION_TAG, op.decommission);
      // A lock left by a dead operation is cleared as the CLI says (`pulumi cancel`), then this one runs.
      return await clearingDeadLocks(() => stack.cancel(), () => run(stack, onEvent));
    } catch (error) {
      throw translateError(op.slug, diagnostics.explain(operation, op.slug, error));
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  }


/** The CLI on the PATH, found once per workspace, run with no more environment than it is given. */
  private pulumiCommand(envVars: Readonly<Record<string, string>>): Promise<PulumiCommand> {
    this.command ??= PulumiCommand.get({ skipVersionCheck: !!envVars[SKIP_VERSION_CHECK] }).then(onlyGivenEnv);
    this.command.catch(() => { this.command = undefined; });
    return this.command;
  }
}

const SKIP_VERSION_CHECK = "PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK";
/** Variables the SDK's run() sets itself after it is called: never unset. */
const SDK_SET = new Set(["PULUMI_AUTOMATION_API", "PATH"]);

type Run = (args: string[], cwd: string, env: Record<string, string>, ...rest: unknown[]) => Promise<unknown>;

/**
 * The SDK runs the CLI with this process's whole environment under the one it is given (execa's
 * `extendEnv`; LocalWorkspace has no option against it). `env -u NAME` drops each inherited variable
 * the SDK was not given, by name, so no value reaches the child's arguments. Wraps the SDK's internal
 * `run`, which every workspace and stack command goes through (cmd.js, cli/*.js; checked by a unit test).
 */
export function onlyGivenEnv(base: PulumiCommand): PulumiCommand {
  const baseRun = (base as unknown as { run: Run }).run;
  if (typeof baseRun !== "function") throw new Error("@pulumi/pulumi's PulumiCommand has no run(): the CLI's environment cannot be limited");
  // "env" is not an absolute path, so the SDK leaves the given PATH alone.
  const wrapped = Object.create(base, { command: { value: "env", enumerable: true } }) as PulumiCommand & { run: Run };
  wrapped.run = (args, cwd, env, ...rest) => {
    const unset = Object.keys(process.env).filter((name) => !(name in env) && !SDK_SET.has(name)).flatMap((name) => ["-u", name]);
    return baseRun.call(wrapped, [...unset, base.command, ...args], cwd, env, ...rest);
  };
  return wrapped;
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
