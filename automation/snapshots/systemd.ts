/**
 * The hub's timer for the snapshot job, beside the hub's own backup timer: it runs the compiled
 * CLI daily with the region's provider tokens as systemd credentials (files readable by this
 * unit only, never in its environment or on a command line) and may write only the backup status
 * folder the Hub's monitoring reads.
 */
import { BACKUP_STATUS_DIR } from "../../components/hub/services";

export const SNAPSHOT_UNIT = "letsbe-snapshots";

export interface SnapshotUnitArgs {
  /** Where the compiled tree (dist/) is installed on the hub. */
  readonly distDir: string;
  /** Credential files (one token each, mode 0600); a provider without one is not snapshotted. */
  readonly netcupTokenFile?: string;
  readonly hcloudTokenFile?: string;
  /** systemd OnCalendar. Default - 04:00 UTC, after the tenants' own backups (02:00) and the hub's (03:00). */
  readonly schedule?: string;
  readonly node?: string;
}

export function renderSnapshotService(args: SnapshotUnitArgs): string {
  const credentials = [
    ...(args.netcupTokenFile ? [`LoadCredential=netcup-refresh-token:${args.netcupTokenFile}`, "Environment=LETSBE_SECRET_NETCUP_REFRESH_TOKEN_FILE=%d/netcup-refresh-token"] : []),
    ...(args.hcloudTokenFile ? [`LoadCredential=hcloud-token:${args.hcloudTokenFile}`, "Environment=LETSBE_SECRET_HCLOUD_TOKEN_FILE=%d/hcloud-token"] : []),
  ];
  return [
    "[Unit]",
    "Description=LetsBe daily VPS snapshots (staggered by site, 3 kept)",
    "Wants=network-online.target",
    "After=network-online.target",
    "",
    "[Service]",
    "Type=oneshot",
    ...credentials,
    "Environment=CI=1",
    `ExecStart=${args.node ?? "/usr/bin/node"} ${args.distDir}/automation/cli/index.js fleet snapshots --status-file ${BACKUP_STATUS_DIR}/snapshot-status.json`,
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
