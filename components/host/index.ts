/**
 * The host stages as Pulumi resources: per stage one `remote.CopyToRemote` (the bundled
 * script) and one `remote.Command` (running it), chained in order. A stage's trigger is the
 * hash of its script and parameters only, so a change re-runs that stage and nothing else;
 * the compose stage hashes the rendered project, so a tool-set change re-runs only it. First of
 * all, one command records the host key at install; every later connection is pinned to it.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { RenderedCompose } from "../compose/render";
import { parseApplyResult, planComposeStage } from "../compose/stage";
import { BASE_STAGES, BaseStage, HostParams, RECORD_HOST_KEY_COMMAND, StagePlan, StageSecret, planBaseStages, renderSecretsFile } from "./stages";

export { BASE_STAGES, HostParams } from "./stages";

export interface HostConnectionArgs {
  /** Address the host is reached on. */
  readonly host: pulumi.Input<string>;
  /** SSH port. Default - 22. */
  readonly port?: number;
  /** Default - "root" (the provisioning key is installed for root). */
  readonly user?: string;
  /** OpenSSH private key of the provisioning key pair; kept secret. */
  readonly privateKey: pulumi.Input<string>;
}

export interface HostSecrets {
  /** Zone-scoped Cloudflare token for DNS-01 (Zone.DNS edit on the tenant's zone). */
  readonly cloudflareDnsToken: pulumi.Input<string>;
  /** Token the host registers with the Hub. Optional for hosts that do not register. */
  readonly registrationToken?: pulumi.Input<string>;
  /** rclone.conf defining the remote of `HostParams.backupRemote` (the daily backup's off-site copy). */
  readonly backupRcloneConfig?: pulumi.Input<string>;
}

export interface BaseStagesArgs {
  readonly connection: HostConnectionArgs;
  readonly params: HostParams;
  readonly secrets: HostSecrets;
  /**
   * The server the stages configure. The first stage waits for it, and its replacement (a blank
   * disk, often at the same address, so no stage input changes) replaces every stage with it.
   */
  readonly server: pulumi.Resource;
  /** Other resources the first stage waits for. */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

export interface BaseStagesResult {
  /** The connection pinned to the host key recorded at install: what every later command uses. */
  readonly connection: pulumi.Output<command.types.input.remote.ConnectionArgs>;
  /** Records the host key, right after install (and again when the server is replaced). */
  readonly hostKey: command.remote.Command;
  readonly stages: Readonly<Record<BaseStage, command.remote.Command>>;
  /** The last stage: whatever needs a bootstrapped host depends on it. */
  readonly done: command.remote.Command;
}

export interface ComposeStageArgs {
  readonly rendered: RenderedCompose;
  /** How long `up --wait` may take, seconds. Default - 600. */
  readonly waitTimeoutS?: number;
  /** Resources the compose stage waits for besides the bootstrap (the DNS records). */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

export interface HostStagesArgs extends BaseStagesArgs {
  readonly compose: ComposeStageArgs;
}

export interface HostStagesResult {
  readonly base: BaseStagesResult;
  readonly compose: command.remote.Command;
  /** The release pins the host runs once the compose stage succeeded (apply.sh's report). */
  readonly release: pulumi.Output<unknown>;
  /** The release pins the host ran before this apply, as apply.sh reported (null on a first apply). */
  readonly previousRelease: pulumi.Output<unknown>;
}

export function hostConnection(args: HostConnectionArgs): pulumi.Output<command.types.input.remote.ConnectionArgs> {
  return pulumi.output({
    host: args.host,
    port: args.port ?? 22,
    user: args.user ?? "root",
    privateKey: pulumi.secret(args.privateKey),
    // A freshly installed server may still be booting.
    dialErrorLimit: 30,
    perDialTimeout: 15,
  });
}

/** The connection, checking the host key recorded at install on every dial. */
export function pinnedConnection(args: HostConnectionArgs, hostKey: pulumi.Input<string>): pulumi.Output<command.types.input.remote.ConnectionArgs> {
  return pulumi.all([hostConnection(args), hostKey]).apply(([connection, key]) => ({ ...connection, hostKey: String(key ?? "").trim() }));
}

function secretsInput(plan: StagePlan, secrets: HostSecrets): pulumi.Output<string> | undefined {
  if (plan.secrets.length === 0) return undefined;
  const values = pulumi.all([secrets.cloudflareDnsToken, secrets.registrationToken ?? "", secrets.backupRcloneConfig ?? ""]).apply(([cf, reg, rclone]) =>
    renderSecretsFile({ CLOUDFLARE_DNS_TOKEN: cf, REGISTRATION_TOKEN: reg, BACKUP_RCLONE_CONFIG: rclone } satisfies Record<StageSecret, string>, plan.secrets));
  return pulumi.secret(values);
}

/** The hardening and base stages, usable for any Debian 13 host (tenant or hub). */
export function createBaseStages(name: string, args: BaseStagesArgs, opts: pulumi.CustomResourceOptions = {}): BaseStagesResult {
  opts = { ...opts, replaceWith: [args.server] };
  // The one connection that takes whatever answers: right after install, before any secret is
  // sent. It runs once per server (no trigger; the server's replacement replaces it).
  const hostKey = new command.remote.Command(`${name}-host-key`, {
    connection: hostConnection(args.connection),
    create: RECORD_HOST_KEY_COMMAND,
  }, { ...opts, dependsOn: [args.server, ...(args.dependsOn ?? [])] });
  const connection = pinnedConnection(args.connection, hostKey.stdout);
  const stages: Partial<Record<BaseStage, command.remote.Command>> = {};
  let previous: pulumi.Input<pulumi.Resource>[] = [hostKey];
  for (const plan of planBaseStages(args.params)) {
    const copy = new command.remote.CopyToRemote(`${name}-${plan.name}-script`, {
      connection,
      source: new pulumi.asset.StringAsset(plan.script),
      remotePath: plan.remotePath,
      triggers: [plan.trigger],
    }, { ...opts, dependsOn: previous });
    const stdin = secretsInput(plan, args.secrets);
    const run = new command.remote.Command(`${name}-${plan.name}`, {
      connection,
      create: plan.command,
      ...(stdin ? { stdin } : {}),
      triggers: [plan.trigger],
      // Stage output can echo paths and package names, never secrets; keep it for operators.
      logging: "stdoutAndStderr",
    }, { ...opts, dependsOn: [copy, ...previous] });
    stages[plan.name] = run;
    previous = [run];
  }
  const all = stages as Record<BaseStage, command.remote.Command>;
  return { connection, hostKey, stages: all, done: all[BASE_STAGES[BASE_STAGES.length - 1]] };
}

/** The compose project: its files copied, then applied with the health gate, after bootstrap and DNS. */
export function createComposeStage(
  name: string,
  connection: pulumi.Input<command.types.input.remote.ConnectionArgs>,
  args: ComposeStageArgs & { readonly after: pulumi.Input<pulumi.Resource>[] },
  opts: pulumi.CustomResourceOptions = {},
): command.remote.Command {
  const plan = planComposeStage(args.rendered, args.waitTimeoutS);
  const waitFor = [...args.after, ...(args.dependsOn ?? [])];
  const copies = plan.files.map((file) => new command.remote.CopyToRemote(`${name}-compose-${file.name}`, {
    connection,
    source: new pulumi.asset.StringAsset(file.content),
    remotePath: file.remotePath,
    triggers: [plan.trigger],
  }, { ...opts, dependsOn: waitFor }));
  return new command.remote.Command(`${name}-compose`, {
    connection,
    create: plan.command,
    triggers: [plan.trigger],
    logging: "stdoutAndStderr",
  }, { ...opts, dependsOn: [...copies, ...waitFor] });
}

/** Base stages, then the compose stage (which also waits for `compose.dependsOn`, e.g. DNS). */
export function createHostStages(name: string, args: HostStagesArgs, opts: pulumi.CustomResourceOptions = {}): HostStagesResult {
  const base = createBaseStages(name, args, opts);
  const compose = createComposeStage(name, base.connection, { ...args.compose, after: [base.done] }, { ...opts, replaceWith: [args.server] });
  const result = compose.stdout.apply((stdout) => parseApplyResult(stdout));
  const release = result.apply((r) => r?.release ?? args.compose.rendered.manifest.release);
  const previousRelease = result.apply((r) => r?.previousRelease ?? null);
  return { base, compose, release, previousRelease };
}
