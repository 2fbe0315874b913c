/**
 * The backup script run for real with bash, against stand-ins for `docker` and `rclone` on
 * PATH (the only two commands that need a live host): rotation, the off-site call and the
 * status report are the script's own behaviour.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { hubBackupStage, renderBackupEnv, renderBackupTimer } from "../../components/hub/backup";
import { hubScript } from "../../components/hub/stage";

let root: string;
let backupDir: string;
let statusFile: string;
let rcloneLog: string;

function stub(name: string, body: string): void {
  const file = join(root, "bin", name);
  writeFileSync(file, `#!/bin/bash\n${body}\n`);
  chmodSync(file, 0o755);
}

function run(env: Record<string, string> = {}) {
  const script = join(root, "backup.sh");
  writeFileSync(script, hubScript("backup.sh"));
  return spawnSync("bash", [script], {
    encoding: "utf8",
    env: {
      PATH: `${join(root, "bin")}:/usr/bin:/bin`,
      BACKUP_DIR: backupDir,
      STATUS_FILE: statusFile,
      DB_CONTAINER: "letsbe-hub-db",
      DB_USER: "letsbe_hub",
      DB_NAME: "letsbe_hub",
      RCLONE_REMOTE: "offsite:letsbe-hub-backups-eu",
      RCLONE_CONFIG: "/etc/letsbe/rclone.conf",
      RCLONE_LOG: rcloneLog,
      ...env,
    },
  });
}

function seed(tier: string, names: string[]): void {
  mkdirSync(join(backupDir, tier), { recursive: true });
  for (const name of names) writeFileSync(join(backupDir, tier, name), "old dump");
}

const dumps = (tier: string) => readdirSync(join(backupDir, tier)).sort();
const status = () => JSON.parse(readFileSync(statusFile, "utf8"));

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "hub-backup-"));
  backupDir = join(root, "backups");
  statusFile = join(root, "status", "backup-status.json");
  rcloneLog = join(root, "rclone.log");
  mkdirSync(join(root, "bin"));
  stub("docker", 'echo "-- dump of $*"');
  stub("rclone", 'echo "$*" >> "$RCLONE_LOG"');
});

describe("hub backup script", () => {
  it("dumps, keeps 14 daily / 8 weekly / 3 monthly, mirrors off-site and reports success", () => {
    seed("daily", Array.from({ length: 20 }, (_, i) => `hub_202601${String(i + 1).padStart(2, "0")}_030000.sql.gz`));
    seed("weekly", Array.from({ length: 10 }, (_, i) => `hub_2025-W${String(i + 10).padStart(2, "0")}.sql.gz`));
    seed("monthly", ["hub_2025-01.sql.gz", "hub_2025-02.sql.gz", "hub_2025-03.sql.gz", "hub_2025-04.sql.gz"]);

    const result = run();
    expect(result.status, result.stderr).toBe(0);

    const daily = dumps("daily");
    expect(daily).toHaveLength(14);
    const today = daily[daily.length - 1];
    expect(today).toMatch(/^hub_\d{8}_\d{6}\.sql\.gz$/);
    expect(daily[0]).toBe("hub_20260108_030000.sql.gz");
    const plain = spawnSync("gzip", ["-dc", join(backupDir, "daily", today)], { encoding: "utf8" }).stdout;
    expect(plain).toBe("-- dump of exec letsbe-hub-db pg_dump -U letsbe_hub --no-owner letsbe_hub\n");

    // This week's and this month's first dump are promoted, then the oldest fall off.
    expect(dumps("weekly")).toHaveLength(8);
    expect(dumps("weekly")[7]).toMatch(/^hub_\d{4}-W\d{2}\.sql\.gz$/);
    expect(dumps("monthly")).toHaveLength(3);
    expect(dumps("monthly")[2]).toMatch(/^hub_\d{4}-\d{2}\.sql\.gz$/);

    expect(readFileSync(rcloneLog, "utf8").trim()).toBe(
      `--config /etc/letsbe/rclone.conf sync ${backupDir} offsite:letsbe-hub-backups-eu --max-delete 3 --include hub_*.sql.gz`,
    );
    const report = status();
    expect(report.databases.letsbe_hub).toEqual({ status: "success", size_mb: 0 });
    expect(report.remote_sync).toEqual({ status: "success", uploaded_mb: 0 });
    expect(report.retention).toEqual({ daily: 14, weekly: 8, monthly: 3 });
    expect(Date.parse(report.last_run)).not.toBeNaN();
    expect(report.duration_seconds).toBeGreaterThanOrEqual(0);
  });

  it("a second run the same week promotes nothing new", async () => {
    expect(run().status).toBe(0);
    const weekly = dumps("weekly");
    await new Promise((resolve) => setTimeout(resolve, 1100)); // dump names have second resolution
    expect(run().status).toBe(0);
    expect(dumps("weekly")).toEqual(weekly);
    expect(dumps("daily").length).toBe(2);
  });

  it("reports a failed dump, leaves no partial file, skips the off-site sync and fails the unit", () => {
    stub("docker", 'echo "pg_dump: error: connection to server failed: \\"quoted\\"" >&2; exit 1');
    const result = run();
    expect(result.status).not.toBe(0);
    expect(existsSync(join(backupDir, "daily")) ? dumps("daily") : []).toEqual([]);
    expect(existsSync(rcloneLog)).toBe(false);
    const report = status();
    expect(report.databases.letsbe_hub).toEqual({ status: "failed", error: 'pg_dump: error: connection to server failed: "quoted"' });
    expect(report.remote_sync.status).toBe("skipped");
  });

  it("reports a failed off-site sync while keeping the local dump", () => {
    stub("rclone", 'echo "Failed to sync: too many deletes" >&2; exit 1');
    const result = run();
    expect(result.status).not.toBe(0);
    expect(dumps("daily")).toHaveLength(1);
    expect(status().remote_sync).toEqual({ status: "failed", error: "Failed to sync: too many deletes" });
    expect(status().databases.letsbe_hub.status).toBe("success");
  });
});

describe("hub backup installation", () => {
  it("runs daily at 03:00, catching up after downtime", () => {
    expect(renderBackupTimer({})).toContain("OnCalendar=*-*-* 03:00:00\nPersistent=true");
  });

  it("passes the rotation and remote to the script and keeps credentials root-only", () => {
    const env = renderBackupEnv({ rcloneRemote: "offsite:b/eu" });
    expect(env).toContain("KEEP_DAILY=14\nKEEP_WEEKLY=8\nKEEP_MONTHLY=3");
    expect(env).toContain("RCLONE_REMOTE=offsite:b/eu\n");
    expect(env).toContain("DB_CONTAINER=letsbe-hub-db\n");
    // The restore stops exactly the hub's application containers for the swap, never the database.
    expect(env).toContain('APP_CONTAINERS="letsbe-hub letsbe-hub-worker letsbe-hub-notifications"\n');
    const stage = hubBackupStage({ rcloneRemote: "offsite:b/eu" });
    expect(stage.files.map((f) => f.name)).toEqual(["script", "backup", "restore", "env", "service", "timer"]);
    // The rclone config is no file of the stage: it comes on stdin, a secret.
    expect(stage.secrets).toEqual(["BACKUP_RCLONE_CONFIG"]);
    expect(stage.command).toContain("LB_RCLONE_CONFIG='/etc/letsbe/rclone.conf' ");
    expect(stage.command).toContain("LB_BACKUP_ENV='/etc/letsbe/hub-backup.env' ");
    const script = stage.files[0].content;
    expect(script).toContain('lb_secret BACKUP_RCLONE_CONFIG | lb_put "$LB_RCLONE_CONFIG" 0600 root:root');
    expect(script).toContain('lb_put "$LB_BACKUP_ENV" 0600 root:root');
    expect(script).toContain('lb_put "$LB_BACKUP_SCRIPT" 0755 root:root');
  });
});

describe("hub restore script", () => {
  const restore = (...args: string[]) => {
    const script = join(root, "restore.sh");
    writeFileSync(script, hubScript("restore.sh"));
    return spawnSync("bash", [script, ...args], {
      encoding: "utf8",
      env: {
        PATH: `${join(root, "bin")}:/usr/bin:/bin`, HUB_BACKUP_ENV: join(root, "absent.env"), BACKUP_DIR: backupDir,
        DB_CONTAINER: "letsbe-hub-db", DB_USER: "letsbe_hub", DB_NAME: "letsbe_hub", DOCKER_LOG: join(root, "docker.log"),
      },
    });
  };

  beforeEach(() => stub("docker", 'echo "$*" >> "$DOCKER_LOG"'));

  it.each([
    [["--bogus"], "unknown option --bogus"],
    [["notes.txt"], "'notes.txt' is not a hub dump (hub_*.sql.gz)"],
    [["hub_20260101_000000.sql.gz", "hub_20260102_000000.sql.gz"], "one dump at most"],
  ])("exits 2 on %j, naming the problem, and touches no container", (args, message) => {
    const result = restore(...args);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(message);
    expect(existsSync(join(root, "docker.log"))).toBe(false);
  });

  it("fails before touching the database when the dump named is not there", () => {
    const result = restore("hub_20260101_000000.sql.gz");
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`no dump hub_20260101_000000.sql.gz in ${backupDir}`);
    expect(existsSync(join(root, "docker.log"))).toBe(false);
  });
});
