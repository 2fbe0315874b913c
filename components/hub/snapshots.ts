/**
 * The daily VPS snapshot job on the hub (automation/snapshots): a stage that installs Debian's
 * Node.js, the job as one bundled file, the region's provider tokens root-only, and a systemd
 * service + timer beside the hub's backup timer. The tokens reach the stage on stdin only and
 * the job as systemd credentials (never in a unit's environment or on a command line); the job
 * may write only the backup status folder, where the Hub's monitoring reads snapshot-status.json.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import type { Stage } from "../host/stages";
import { BACKUP_STATUS_DIR } from "./services";
import { hubStage } from "./stage";

export const SNAPSHOT_UNIT = "letsbe-snapshots";
/** The bundle `npm run build` makes (automation/snapshots/bundle.ts), relative to the checkout. */
export const SNAPSHOT_JOB_BUNDLE = join("dist", "snapshots", "letsbe-snapshots.js");
export const SNAPSHOT_JOB_PATH = "/opt/letsbe/snapshots/letsbe-snapshots.js";
/** Root-only folder (0700) of the token files (0600), one per provider. */
export const SNAPSHOT_SECRETS_DIR = "/etc/letsbe/snapshots";
export const SNAPSHOT_STATUS_FILE = `${BACKUP_STATUS_DIR}/snapshot-status.json`;
export const SNAPSHOT_PROVIDERS = ["netcup", "hetzner"] as const;
export type SnapshotProviderName = (typeof SNAPSHOT_PROVIDERS)[number];

/** The stage secret, the token file and the systemd credential of each provider. */
const TOKENS: Readonly<Record<SnapshotProviderName, { secret: string; file: string; credential: string; env: string }>> = {
  netcup: { secret: "NETCUP_REFRESH_TOKEN", file: "netcup-refresh-token", credential: "netcup-refresh-token", env: "LETSBE_SECRET_NETCUP_REFRESH_TOKEN_FILE" },
  hetzner: { secret: "HCLOUD_TOKEN", file: "hcloud-token", credential: "hcloud-token", env: "LETSBE_SECRET_HCLOUD_TOKEN_FILE" },
};

/** The stage secret each provider's token travels as. */
export function snapshotSecretName(provider: SnapshotProviderName): string {
  return TOKENS[provider].secret;
}

export interface SnapshotUnitArgs {
  /** The providers snapshotted; each needs its token. */
  readonly providers: readonly SnapshotProviderName[];
  /** systemd OnCalendar. Default - 04:00 UTC, after the tenants' own backups (02:00) and the hub's (03:00). */
  readonly schedule?: string;
  /** Snapshots kept per server (`--keep`). Default - the job's, 3. */
  readonly keep?: number;
  /** Seconds between two snapshots of one site or datacenter (`--gap`). Default - the job's, 60. */
  readonly gapSeconds?: number;
  /** Sites or datacenters at once (`--parallel`). Default - the job's, 4. */
  readonly parallel?: number;
  /** Vendor endpoints; default - the vendors' own (the job's defaults). */
  readonly netcupApiUrl?: string;
  readonly netcupTokenUrl?: string;
  readonly hcloudEndpoint?: string;
  /** Default - /usr/bin/node (Debian's nodejs). */
  readonly node?: string;
  /** Default - SNAPSHOT_JOB_PATH. */
  readonly jobPath?: string;
}

export function renderSnapshotService(args: SnapshotUnitArgs): string {
  const providers = SNAPSHOT_PROVIDERS.filter((p) => args.providers.includes(p));
  const credentials = providers.flatMap((p) => [
    `LoadCredential=${TOKENS[p].credential}:${SNAPSHOT_SECRETS_DIR}/${TOKENS[p].file}`,
    `Environment=${TOKENS[p].env}=%d/${TOKENS[p].credential}`,
  ]);
  const endpoints = ([["NETCUP_API_URL", args.netcupApiUrl], ["NETCUP_TOKEN_URL", args.netcupTokenUrl], ["HCLOUD_ENDPOINT", args.hcloudEndpoint]] as const)
    .flatMap(([name, url]) => (url ? [`Environment=${name}=${url}`] : []));
  const flags = [
    ["--keep", args.keep], ["--gap", args.gapSeconds], ["--parallel", args.parallel],
  ].flatMap(([flag, value]) => (value === undefined ? [] : [` ${flag} ${value}`])).join("");
  return [
    "[Unit]",
    "Description=LetsBe daily VPS snapshots (staggered by site, 3 kept)",
    "Wants=network-online.target",
    "After=network-online.target",
    "",
    "[Service]",
    "Type=oneshot",
    ...credentials,
    ...endpoints,
    "Environment=CI=1",
    `ExecStart=${args.node ?? "/usr/bin/node"} ${args.jobPath ?? SNAPSHOT_JOB_PATH} fleet snapshots --status-file ${SNAPSHOT_STATUS_FILE}${flags}`,
    // A run staggered over a large fleet takes hours; a day is the bound.
    "TimeoutStartSec=23h",
    "NoNewPrivileges=yes",
    "PrivateTmp=yes",
    "ProtectSystem=strict",
    "ProtectHome=yes",
    `ReadWritePaths=${BACKUP_STATUS_DIR}`,
    "",
  ].join("\n");
}

export function renderSnapshotTimer(args: Pick<SnapshotUnitArgs, "schedule">): string {
  return [
    "[Unit]",
    "Description=Daily LetsBe VPS snapshots",
    "",
    "[Timer]",
    `OnCalendar=${args.schedule ?? "*-*-* 04:00:00 UTC"}`,
    // A hub that was down at the hour runs the job when it is back.
    "Persistent=true",
    "",
    "[Install]",
    "WantedBy=timers.target",
    "",
  ].join("\n");
}

/** The bundled job from the checkout (`npm run build` makes it); fails naming the file. */
export function readSnapshotJob(): string {
  const candidates = [join(__dirname, "..", "..", SNAPSHOT_JOB_BUNDLE), join(__dirname, "..", "..", "..", SNAPSHOT_JOB_BUNDLE)];
  const found = candidates.find((file) => existsSync(file));
  if (!found) throw new Error(`snapshot job bundle ${SNAPSHOT_JOB_BUNDLE} not found (looked in ${candidates.join(", ")}): npm run build makes it`);
  return readFileSync(found, "utf8");
}

/**
 * The stage `hub-snapshots`: the job file is in its trigger, so a changed job re-installs.
 * Secrets: the token of each provider snapshotted, on stdin.
 */
export function hubSnapshotsStage(args: SnapshotUnitArgs, job: string): Stage {
  if (args.providers.length === 0) throw new Error("snapshots: providers must name netcup, hetzner or both");
  const providers = SNAPSHOT_PROVIDERS.filter((p) => args.providers.includes(p));
  return hubStage("snapshots", {
    files: {
      job,
      service: renderSnapshotService(args),
      timer: renderSnapshotTimer(args),
    },
    params: {
      LB_JOB_PATH: args.jobPath ?? SNAPSHOT_JOB_PATH,
      LB_SNAPSHOT_SECRETS_DIR: SNAPSHOT_SECRETS_DIR,
      // "SECRET:file" per provider snapshotted; the others' token files are removed.
      LB_SNAPSHOT_TOKENS: providers.map((p) => `${TOKENS[p].secret}:${TOKENS[p].file}`).join(" "),
      LB_SNAPSHOT_STALE: SNAPSHOT_PROVIDERS.filter((p) => !providers.includes(p)).map((p) => TOKENS[p].file).join(" "),
      LB_UNIT: SNAPSHOT_UNIT,
      LB_STATUS_DIR: BACKUP_STATUS_DIR,
    },
    secrets: providers.map((p) => TOKENS[p].secret),
  });
}

export interface HubSnapshotsArgs extends SnapshotUnitArgs {
  /** The region's Netcup SCP refresh token (secret); required with provider netcup. */
  readonly netcupRefreshToken?: pulumi.Input<string>;
  /** The region's Hetzner Cloud project token (secret); required with provider hetzner. */
  readonly hcloudToken?: pulumi.Input<string>;
  /** The bundled job. Default - the checkout's build (readSnapshotJob). */
  readonly job?: string;
}

/** The stage with the secret values it names, for the hub's list of stages. */
export function hubSnapshotsRun(args: HubSnapshotsArgs): { stage: Stage; secrets: Record<string, pulumi.Input<string>> } {
  const tokens: Record<SnapshotProviderName, pulumi.Input<string> | undefined> = { netcup: args.netcupRefreshToken, hetzner: args.hcloudToken };
  const secrets: Record<string, pulumi.Input<string>> = {};
  for (const provider of args.providers) {
    const token = tokens[provider];
    if (token === undefined) throw new Error(`snapshots: provider ${provider} needs its token (${TOKENS[provider].secret})`);
    secrets[TOKENS[provider].secret] = token;
  }
  return { stage: hubSnapshotsStage(args, args.job ?? readSnapshotJob()), secrets };
}
