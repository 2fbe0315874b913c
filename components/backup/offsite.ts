/**
 * A tenant's own off-site backup credential: a subaccount of the region's Hetzner Storage Box,
 * chrooted to `tenants/<slug>`, SFTP only, with a generated password (a Pulumi secret), and the
 * host stage that turns it into the backup's rclone remote. No tenant can read, overwrite or
 * delete another tenant's backups with what its host holds (README, Security).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import * as command from "@pulumi/command";
import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { z } from "zod";
import { StageResourceArgs, createStage, stageSecrets } from "../host";
import { BOOTSTRAP_DIR, Stage, bundleScript, stage, stageCommand } from "../host/stages";

/** The rclone remote the backup writes to, and the folder inside the subaccount's home. */
export const OFFSITE_REMOTE = "letsbe-offsite";
export const OFFSITE_BACKUP_REMOTE = `${OFFSITE_REMOTE}:daily`;
/** A Storage Box's port 22 speaks SFTP alone (23 adds a restricted shell the backup does not need). */
export const OFFSITE_SFTP_PORT = 22;

/** A Storage Box id as stack config gives it (a string of digits), checked and made a number. */
export const storageBoxIdSchema = z.string()
  .regex(/^[1-9]\d{0,15}$/, "must be the Storage Box's id, a whole number")
  .transform(Number)
  .pipe(z.number().max(Number.MAX_SAFE_INTEGER, "is larger than any Storage Box id"));

/** The subaccount's home: one folder per tenant, never inside another's (a slug holds no `/`). */
export function offsiteHomeDirectory(slug: string): string {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(slug)) throw new Error(`offsite home directory: slug "${slug}" is not a plain label`);
  return `tenants/${slug}`;
}

export interface OffsiteCredentialArgs {
  /** The region's Storage Box. */
  readonly storageBoxId: number;
  readonly slug: string;
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * Whether the box may be reached from outside Hetzner's network: a Netcup tenant (or any host
   * not at Hetzner) needs it. Default - true.
   */
  readonly reachableExternally?: boolean;
}

export interface OffsiteCredential {
  readonly subaccount: hcloud.StorageBoxSubaccount;
  /** The subaccount's password (secret). */
  readonly password: pulumi.Output<string>;
  /** SFTP host (the subaccount's FQDN) and user. */
  readonly host: pulumi.Output<string>;
  readonly user: pulumi.Output<string>;
  readonly homeDirectory: string;
}

/**
 * The password keeps Hetzner's Storage Box policy (12-128 characters, upper, lower, digit and
 * special, from its alphabet); the special characters are ones rclone's config and a shell
 * both take literally.
 */
export const OFFSITE_PASSWORD_SPECIAL = "-_.,:+=!?@%";

export function createOffsiteCredential(name: string, args: OffsiteCredentialArgs, opts: pulumi.CustomResourceOptions = {}): OffsiteCredential {
  const homeDirectory = offsiteHomeDirectory(args.slug);
  const password = new random.RandomPassword(`${name}-password`, {
    length: 40, special: true, overrideSpecial: OFFSITE_PASSWORD_SPECIAL, minUpper: 2, minLower: 2, minNumeric: 2, minSpecial: 2,
  }, { ...opts, additionalSecretOutputs: ["result"] });
  const subaccount = new hcloud.StorageBoxSubaccount(name, {
    storageBoxId: args.storageBoxId,
    name: `letsbe-${args.slug}`.slice(0, 50),
    description: `LetsBe tenant ${args.slug}: daily backup`,
    homeDirectory,
    password: password.result,
    // SFTP only: no Samba, no WebDAV; writable, since the backup prunes its old days.
    accessSettings: { sshEnabled: true, sambaEnabled: false, webdavEnabled: false, readonly: false, reachableExternally: args.reachableExternally ?? true },
    labels: { ...args.labels, tenant: args.slug, "managed-by": "letsbe" },
  }, opts);
  return { subaccount, password: pulumi.secret(password.result), host: subaccount.server, user: subaccount.username, homeDirectory };
}

function offsiteScriptPath(): string {
  const candidates = [join(__dirname, "offsite.sh"), join(__dirname, "..", "..", "..", "components", "backup", "offsite.sh")];
  const found = candidates.find((file) => existsSync(file));
  if (!found) throw new Error(`offsite.sh not found (looked in ${candidates.join(", ")})`);
  return found;
}

/**
 * The stage writing the rclone remote. Host, user and password come on its standard input (the
 * password is the secret; host and user ride along so the plan is the same before the
 * subaccount exists), port and remote name as parameters.
 */
export const OFFSITE_STAGE_INPUTS = ["OFFSITE_HOST", "OFFSITE_USER", "OFFSITE_PASSWORD"] as const;

export function planOffsiteStage(port = OFFSITE_SFTP_PORT): Stage {
  const label = "offsite";
  const remotePath = `${BOOTSTRAP_DIR}/${label}.sh`;
  const params = { LB_OFFSITE_PORT: String(port), LB_OFFSITE_REMOTE: OFFSITE_REMOTE };
  return stage(label, [{ name: "script", remotePath, content: bundleScript(label, offsiteScriptPath()) }], stageCommand(label, remotePath, params, true), OFFSITE_STAGE_INPUTS);
}

export interface OffsiteStageArgs extends Omit<StageResourceArgs, "stdin"> {
  readonly credential: Pick<OffsiteCredential, "host" | "user" | "password">;
  readonly port?: number;
}

/** The offsite stage as resources on a bootstrapped host (after its base stages, which install rclone). */
export function createOffsiteStage(name: string, args: OffsiteStageArgs, opts: pulumi.CustomResourceOptions = {}): command.remote.Command {
  const { host, user, password } = args.credential;
  return createStage(name, planOffsiteStage(args.port), {
    connection: args.connection,
    identity: args.identity,
    stdin: stageSecrets(OFFSITE_STAGE_INPUTS, { OFFSITE_HOST: host, OFFSITE_USER: user, OFFSITE_PASSWORD: password }),
    dependsOn: args.dependsOn,
  }, opts);
}

/** The tenant's off-site settings: the region's Storage Box (its subaccount is made here). */
export interface OffsiteSettings {
  readonly storageBoxId: number;
}

export interface TenantOffsite {
  /** What the layout stage writes as the backup's `remote:path`. */
  readonly backupRemote?: string;
  /** An operator-supplied rclone.conf (only without `offsite`). */
  readonly backupRcloneConfig?: pulumi.Input<string>;
  /** Adds the offsite stage to the bootstrapped host (nothing without `offsite`). */
  attach(base: { readonly connection: StageResourceArgs["connection"]; readonly identity: pulumi.Input<string>; readonly done: pulumi.Resource }): command.remote.Command | undefined;
}

/**
 * The Tenant's off-site choice: its own subaccount when `offsite` is given (then no other remote
 * or rclone.conf may be), else the operator's `backupRemote` and rclone.conf as given.
 */
export function tenantOffsite(name: string, args: { slug: string; labels?: Record<string, string>; offsite?: OffsiteSettings; backupRemote?: string; backupRcloneConfig?: pulumi.Input<string> }, parent: pulumi.Resource): TenantOffsite {
  if (!args.offsite) return { backupRemote: args.backupRemote, backupRcloneConfig: args.backupRcloneConfig, attach: () => undefined };
  if (args.backupRemote !== undefined || args.backupRcloneConfig !== undefined) {
    throw new Error(`tenant "${args.slug}": an off-site Storage Box and an explicit backupRemote/backupRcloneConfig exclude each other`);
  }
  const credential = createOffsiteCredential(`${name}-offsite`, { storageBoxId: args.offsite.storageBoxId, slug: args.slug, labels: args.labels }, { parent });
  return {
    backupRemote: OFFSITE_BACKUP_REMOTE,
    attach: (base) => createOffsiteStage(`${name}-host-offsite`, { connection: base.connection, identity: base.identity, credential, dependsOn: [base.done] }, { parent }),
  };
}
