/**
 * The host stages as Pulumi resources, one mechanism for every stage of every host (`createStage`):
 * a `remote.CopyToRemote` per file, then one `remote.Command`, chained in order. A stage's trigger
 * is the hash of what it is plus the server's identity (id and install time): a changed stage
 * re-runs alone, and a replaced or reinstalled server runs every stage again. No stage has a
 * delete step, so the order in which the engine removes them never matters. First of all, one
 * command records the host key at install; every later connection is pinned to it.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { RenderedCompose } from "../compose/render";
import { parseApplyResult, planComposeStage } from "../compose/stage";
import type { Vps } from "../vps";
import { BASE_STAGES, BaseStage, HostParams, RECORD_HOST_KEY_COMMAND, Stage, StageSecret, planBaseStages, renderSecretsFile } from "./stages";

export { BASE_STAGES, HostParams } from "./stages";

/** What the stages need of their server: the resource, its id and (Netcup) its install time. */
export type StageServer = Pick<Vps, "server" | "serverId" | "installedAt">;

/**
 * The server's identity in every trigger: a Hetzner replacement has a new id, a Netcup one (the
 * same named server reinstalled) a new install time; `pulumi refresh` of a server reinstalled
 * outside Pulumi shows the new time too, so the next `up` bootstraps it again.
 */
export function serverIdentity(server: StageServer): pulumi.Output<string> {
  return pulumi.interpolate`${server.serverId}@${server.installedAt ?? "-"}`;
}

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
   * The server the stages configure. The first stage waits for it, and its identity is in every
   * trigger: a replacement (a blank disk, often at the same address) runs every stage again.
   */
  readonly server: StageServer;
  /** Other resources the first stage waits for. */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
  /**
   * A WireGuard spoke (components/hub/wireguard.ts createWireguardSpoke): given the pinned public
   * connection and the host-key record, makes first contact and returns the tunnel connection
   * every stage then uses, and what the first stage waits for. Default - none (public address).
   */
  readonly viaTunnel?: (pinned: pulumi.Output<command.types.input.remote.ConnectionArgs>, hostKey: command.remote.Command)
    => { readonly connection: pulumi.Output<command.types.input.remote.ConnectionArgs>; readonly ready: pulumi.Resource };
}

export interface BaseStagesResult {
  /** The connection pinned to the host key recorded at install: what every later command uses. */
  readonly connection: pulumi.Output<command.types.input.remote.ConnectionArgs>;
  /** Records the host key, right after install (and again when the server is replaced). */
  readonly hostKey: command.remote.Command;
  readonly stages: Readonly<Record<BaseStage, command.remote.Command>>;
  /** The last stage: whatever needs a bootstrapped host depends on it. */
  readonly done: command.remote.Command;
  /** The server's identity the stages' triggers carry; later stages on this host take it too. */
  readonly identity: pulumi.Output<string>;
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

/** The secrets file a stage reads on stdin, from the values it names (secret throughout). */
export function stageSecrets(names: readonly string[], values: Readonly<Record<string, pulumi.Input<string>>>): pulumi.Output<string> | undefined {
  if (names.length === 0) return undefined;
  const missing = names.filter((n) => !(n in values));
  if (missing.length > 0) throw new Error(`stage secrets ${missing.join(", ")} have no value`);
  return pulumi.secret(pulumi.all(Object.fromEntries(names.map((n) => [n, values[n]]))).apply((plain) => renderSecretsFile(plain, names)));
}

export interface StageResourceArgs {
  readonly connection: pulumi.Input<command.types.input.remote.ConnectionArgs>;
  /** `serverIdentity(server)`: part of every trigger. */
  readonly identity: pulumi.Input<string>;
  /** The stage's secrets file (`stageSecrets`), when it names any. */
  readonly stdin?: pulumi.Input<string>;
  /** What the copies and the command wait for (the previous stage). */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

/**
 * One stage as resources: `<name>-<file>` copies, then `<name>` runs. Neither has a delete step
 * (a server being replaced may not answer; its wipe removes what the stages made).
 */
export function createStage(name: string, stage: Stage, args: StageResourceArgs, opts: pulumi.CustomResourceOptions = {}): command.remote.Command {
  const triggers = [stage.trigger, args.identity];
  const copies = stage.files.map((file) => new command.remote.CopyToRemote(`${name}-${file.name}`, {
    connection: args.connection,
    source: new pulumi.asset.StringAsset(file.content),
    remotePath: file.remotePath,
    triggers,
  }, { ...opts, dependsOn: args.dependsOn }));
  return new command.remote.Command(name, {
    connection: args.connection,
    create: stage.command,
    ...(args.stdin ? { stdin: args.stdin } : {}),
    triggers,
    // Stage output can echo paths and package names, never secrets; keep it for operators.
    logging: "stdoutAndStderr",
  }, { ...opts, dependsOn: [...copies, ...args.dependsOn] });
}

/** The hardening and base stages, usable for any Debian 13 host (tenant or hub). */
export function createBaseStages(name: string, args: BaseStagesArgs, opts: pulumi.CustomResourceOptions = {}): BaseStagesResult {
  const identity = serverIdentity(args.server);
  // The one connection that takes whatever answers: right after install, before any secret is
  // sent. It runs once per server installation (its trigger is the identity alone).
  const hostKey = new command.remote.Command(`${name}-host-key`, {
    connection: hostConnection(args.connection),
    create: RECORD_HOST_KEY_COMMAND,
    triggers: [identity],
  }, { ...opts, dependsOn: [args.server.server, ...(args.dependsOn ?? [])] });
  const pinned = pinnedConnection(args.connection, hostKey.stdout);
  const tunnel = args.viaTunnel?.(pinned, hostKey);
  const connection = tunnel ? tunnel.connection : pinned;
  const values: Record<StageSecret, pulumi.Input<string>> = {
    CLOUDFLARE_DNS_TOKEN: args.secrets.cloudflareDnsToken,
    REGISTRATION_TOKEN: args.secrets.registrationToken ?? "",
    BACKUP_RCLONE_CONFIG: args.secrets.backupRcloneConfig ?? "",
  };
  const stages: Partial<Record<BaseStage, command.remote.Command>> = {};
  let previous: pulumi.Input<pulumi.Resource>[] = [tunnel ? tunnel.ready : hostKey];
  for (const plan of planBaseStages(args.params)) {
    const run = createStage(`${name}-${plan.name}`, plan, { connection, identity, stdin: stageSecrets(plan.secrets, values), dependsOn: previous }, opts);
    stages[plan.name] = run;
    previous = [run];
  }
  const all = stages as Record<BaseStage, command.remote.Command>;
  return { connection, hostKey, stages: all, done: all[BASE_STAGES[BASE_STAGES.length - 1]], identity };
}

/** Base stages, then the compose stage (which also waits for `compose.dependsOn`, e.g. DNS). */
export function createHostStages(name: string, args: HostStagesArgs, opts: pulumi.CustomResourceOptions = {}): HostStagesResult {
  const base = createBaseStages(name, args, opts);
  const plan = planComposeStage(args.compose.rendered, args.compose.waitTimeoutS);
  const compose = createStage(`${name}-compose`, plan, {
    connection: base.connection,
    identity: base.identity,
    dependsOn: [base.done, ...(args.compose.dependsOn ?? [])],
  }, opts);
  const result = compose.stdout.apply((stdout) => parseApplyResult(stdout));
  const release = result.apply((r) => r?.release ?? args.compose.rendered.manifest.release);
  const previousRelease = result.apply((r) => r?.previousRelease ?? null);
  return { base, compose, release, previousRelease };
}
