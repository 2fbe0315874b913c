/**
 * Hub database backups (seed 001 §2.3, §8.3): a systemd timer runs the backup script daily;
 * it dumps the database, rotates daily/weekly/monthly dumps, mirrors them off-site with rclone
 * and writes backup-status.json for monitoring. `letsbe-hub-restore` loads a dump back (local or
 * off-site), stopping the hub's containers only for the swap.
 */
import * as pulumi from "@pulumi/pulumi";
import type { Stage } from "../host/stages";
import { BACKUP_DIR, BACKUP_STATUS_DIR, BACKUP_STATUS_FILE, HUB_DB, HUB_SERVICES } from "./services";
import { hubScript, hubStage } from "./stage";

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
export function renderBackupEnv(args: HubBackupSettings): string {
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

/** Settings of the backup as the stage's plain data (the rclone config is its one secret). */
export type HubBackupSettings = Omit<HubBackupArgs, "rcloneConfig">;

/**
 * The stage that installs the backup: scripts (backup, restore), settings, units as files; the
 * rclone config, which holds the off-site credentials, as the secret BACKUP_RCLONE_CONFIG.
 */
export function hubBackupStage(args: HubBackupSettings): Stage {
  return hubStage("backup", {
    files: {
      backup: hubScript("backup.sh"),
      restore: hubScript("restore.sh"),
      env: renderBackupEnv(args),
      service: renderBackupService(),
      timer: renderBackupTimer(args),
    },
    params: {
      LB_BACKUP_SCRIPT: BACKUP_SCRIPT_PATH,
      LB_RESTORE_SCRIPT: RESTORE_SCRIPT_PATH,
      LB_BACKUP_ENV: BACKUP_ENV_PATH,
      LB_RCLONE_CONFIG: RCLONE_CONFIG_PATH,
      LB_UNIT: BACKUP_UNIT,
      LB_STATUS_DIR: BACKUP_STATUS_DIR,
    },
    secrets: ["BACKUP_RCLONE_CONFIG"],
  });
}
