/**
 * Hub database backups (seed 001 §2.3, §8.3): a systemd timer runs the backup script daily;
 * it dumps the database, rotates daily/weekly/monthly dumps, mirrors them off-site with rclone
 * and writes backup-status.json for monitoring. `letsbe-hub-restore` loads a dump back (local or
 * off-site), stopping the hub's containers only for the swap.
 */
import * as pulumi from "@pulumi/pulumi";
import { BACKUP_DIR, BACKUP_STATUS_DIR, BACKUP_STATUS_FILE, HUB_DB, HUB_SERVICES } from "./services";
import { StageScript, hubScript } from "./stage";

export interface HubBackupArgs {
  /** rclone destination, `remote:bucket/path`. */
  readonly rcloneRemote: string;
  /** rclone.conf defining that remote with its credentials (secret). */
  readonly rcloneConfig: pulumi.Input<string>;
  /** systemd OnCalendar. Default - `*-*-* 03:00:00`. */
  readonly schedule?: string;
  /** Daily dumps kept. Default - 14. */
  readonly keepDaily?: number;
  /** Weekly dumps kept (first dump of each ISO week). Default - 8. */
  readonly keepWeekly?: number;
  /** Monthly dumps kept (first dump of each month). Default - 3. */
  readonly keepMonthly?: number;
}

export const BACKUP_SCRIPT_PATH = "/usr/local/sbin/letsbe-hub-backup";
export const RESTORE_SCRIPT_PATH = "/usr/local/sbin/letsbe-hub-restore";
export const BACKUP_ENV_PATH = "/etc/letsbe/hub-backup.env";
export const RCLONE_CONFIG_PATH = "/etc/letsbe/rclone.conf";
export const BACKUP_UNIT = "letsbe-hub-backup";

/** The script's settings, as systemd reads them from the EnvironmentFile. */
export function renderBackupEnv(args: HubBackupArgs): string {
  const env: Record<string, string | number> = {
    BACKUP_DIR,
    STATUS_FILE: BACKUP_STATUS_FILE,
    DB_CONTAINER: HUB_SERVICES.postgres.containerName,
    DB_USER: HUB_DB.user,
    DB_NAME: HUB_DB.name,
    // Stopped by the restore while the restored database takes the live one's place.
    APP_CONTAINERS: `"${(["hubWebApi", "hubWorker", "notifications"] as const).map((id) => HUB_SERVICES[id].containerName).join(" ")}"`,
    RCLONE_REMOTE: args.rcloneRemote,
    RCLONE_CONFIG: RCLONE_CONFIG_PATH,
    KEEP_DAILY: args.keepDaily ?? 14,
    KEEP_WEEKLY: args.keepWeekly ?? 8,
    KEEP_MONTHLY: args.keepMonthly ?? 3,
  };
  return ["# letsbe-hub backup settings; managed by Pulumi", ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ""].join("\n");
}

export function renderBackupService(): string {
  return [
    "[Unit]",
    "Description=LetsBe hub database backup (pg_dump, rotation, rclone off-site copy)",
    "Wants=network-online.target docker.service",
    "After=network-online.target docker.service",
    "",
    "[Service]",
    "Type=oneshot",
    `EnvironmentFile=${BACKUP_ENV_PATH}`,
    `ExecStart=${BACKUP_SCRIPT_PATH}`,
    "Nice=10",
    "IOSchedulingClass=best-effort",
    "IOSchedulingPriority=7",
    "",
  ].join("\n");
}

export function renderBackupTimer(args: Pick<HubBackupArgs, "schedule">): string {
  return [
    "[Unit]",
    "Description=Daily LetsBe hub database backup",
    "",
    "[Timer]",
    `OnCalendar=${args.schedule ?? "*-*-* 03:00:00"}`,
    // A hub that was down at 03:00 backs up when it comes back.
    "Persistent=true",
    "RandomizedDelaySec=5m",
    "",
    "[Install]",
    "WantedBy=timers.target",
    "",
  ].join("\n");
}

/** The stage that installs the backup: scripts (backup, restore), settings, secret rclone config, units. */
export function hubBackupStage(args: HubBackupArgs): StageScript {
  return {
    title: "letsbe-hub backup: backup and restore scripts, rclone config, systemd timer",
    vars: { TIMER_UNIT: `${BACKUP_UNIT}.timer`, STATUS_DIR: BACKUP_STATUS_DIR },
    files: [
      { path: BACKUP_SCRIPT_PATH, mode: "0755", content: hubScript("backup.sh") },
      { path: RESTORE_SCRIPT_PATH, mode: "0755", content: hubScript("restore.sh") },
      { path: BACKUP_ENV_PATH, mode: "0600", content: renderBackupEnv(args) },
      { path: RCLONE_CONFIG_PATH, mode: "0600", content: pulumi.secret(args.rcloneConfig) },
      { path: `/etc/systemd/system/${BACKUP_UNIT}.service`, mode: "0644", content: renderBackupService() },
      { path: `/etc/systemd/system/${BACKUP_UNIT}.timer`, mode: "0644", content: renderBackupTimer(args) },
    ],
    body: hubScript("backup-install.sh"),
  };
}
