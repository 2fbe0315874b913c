/**
 * Issue 13, part 4 on the real host: the tenant's daily backup dumps its databases through
 * their containers (the old one tarred live database folders and stopped at the first busy
 * volume), keeps going past a failing tool and says so in backup-status.json, goes off-site
 * with rclone, and is restored into a freshly bootstrapped host; the hub's backup is restored
 * for real too, from its off-site copy. rclone's off-site remote is a `local` one here (no
 * object store is reachable); the fresh host receives the off-site tree copied from the first.
 */
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { hubBackupStage } from "../../components/hub/backup";
import { renderSecretsFile } from "../../components/host/stages";
import { ImagePin, ReleasePins, SIDECAR_IMAGES, TOOLS, Tool, ToolId } from "../../tenants/catalog";
import { sequentialSteps } from "./lib/steps";
import { HostOptions, StackRelease, TenantHost, applyCompose, ensureEngine, psql, pushStandins, startTenantHost, stopEngineIfStarted, stopTenantHost } from "./lib/tenantHost";

const FIRST = `letsbe-backup-test-${process.pid}`;
const FRESH = `letsbe-restore-test-${process.pid}`;
const HEALTH = { intervalS: 2, timeoutS: 5, retries: 3, startPeriodS: 30 };
const OFFSITE = "/srv/letsbe-offsite";
const RCLONE_CONFIG = "[offsite]\ntype = local\n";
const OPTIONS: HostOptions = { backupRemote: `offsite:${OFFSITE}`, backupRcloneConfig: RCLONE_CONFIG };
const ITEMS = [
  "letsbe/openclaw:s1:healthy", "letsbe/safety-wrapper:s1:healthy", "letsbe/secrets-proxy:s1:healthy",
  "tools/nextcloud:s1:healthy", "sidecars/postgres:pg:postgres",
];
const { step } = sequentialSteps();

let first: TenantHost;
let fresh: TenantHost;
let firstBackup = "";

const stackOf = (pins: Record<string, ImagePin>): StackRelease => {
  const release: ReleasePins = { openclaw: pins["letsbe/openclaw:s1"], safetyWrapper: pins["letsbe/safety-wrapper:s1"], secretsProxy: pins["letsbe/secrets-proxy:s1"], policyBundle: "2026.11.1" };
  const catalog: Record<ToolId, Tool> = { ...TOOLS, nextcloud: { ...TOOLS.nextcloud, image: pins["tools/nextcloud:s1"] } };
  return { tools: ["nextcloud"], release, catalog, sidecars: { ...SIDECAR_IMAGES, postgres: pins["sidecars/postgres:pg"] } };
};
const volume = (name: string) => `$(docker volume inspect -f '{{.Mountpoint}}' letsbe_${name})`;
const status = async (host: TenantHost) => JSON.parse(await host.run("cat /opt/letsbe/backups/backup-status.json")) as {
  status: string; backup: string; items: Record<string, { kind: string; status: string; error?: string }>; remote_sync: { status: string; error?: string };
};

describe("daily backups that restore", () => {
  beforeAll(async () => {
    ensureEngine();
    first = await startTenantHost(FIRST, OPTIONS);
  });

  afterAll(() => {
    stopTenantHost(first, FIRST);
    stopTenantHost(fresh, FRESH);
    stopEngineIfStarted();
  });

  step("installs the backup's off-site settings (HostParams.backupRemote, the BACKUP_RCLONE_CONFIG secret) root-only, and rclone, from the layout stage", async () => {
    expect(await first.run("cat /etc/letsbe/backup.env")).toBe(
      `# Managed by LetsBe bootstrap.\nRCLONE_REMOTE=offsite:${OFFSITE}\nRCLONE_CONFIG=/etc/letsbe/backup-rclone.conf\nKEEP_DAYS=7\n`);
    expect(await first.run("stat -c '%a %U' /etc/letsbe/backup.env /etc/letsbe/backup-rclone.conf")).toBe("600 root\n600 root\n");
    expect(await first.run("cat /etc/letsbe/backup-rclone.conf")).toBe(RCLONE_CONFIG);
    expect(await first.run("command -v rclone")).toBe("/usr/bin/rclone\n");
    expect(await first.run("systemctl is-active letsbe-backup.timer")).toBe("active\n");
  });

  step("runs the tenant's stack on a real PostgreSQL with rows and files in it", async () => {
    const result = await applyCompose(first, stackOf(pushStandins(FIRST, ITEMS)), HEALTH);
    expect(result.code, result.stderr).toBe(0);
    await psql(first, "CREATE TABLE notes (id integer PRIMARY KEY, body text NOT NULL); INSERT INTO notes VALUES (1, 'kept'), (2, 'also kept')");
    await first.run(`echo precious > ${volume("nextcloud-data")}/marker`);
  });

  step("backs up every other tool past one that fails, reports the failure in backup-status.json and fails the unit", async () => {
    await first.run("docker stop $(docker compose -p letsbe ps -q nextcloud-db) >/dev/null");
    try {
      const run = await first.session.exec("systemctl start letsbe-backup.service");
      expect(run.code).not.toBe(0);
      const report = await status(first);
      expect(report.status).toBe("failed");
      expect(report.items["nextcloud-db"]).toEqual({ kind: "postgres-dump", status: "failed", error: "service nextcloud-db has no running container" });
      // Services after it, in name order, were still backed up.
      for (const name of ["letsbe_nextcloud-data", "letsbe_openclaw-data", "letsbe_safety-wrapper-data", "letsbe_secrets-proxy-data", "secrets"]) {
        expect(report.items[name]?.status, name).toBe("success");
      }
      expect(report.remote_sync.status).toBe("success");
      expect(await first.run(`test -e /opt/letsbe/backups/daily/${report.backup}/COMPLETE && echo complete || echo incomplete`)).toBe("incomplete\n");
    } finally {
      await first.run("cd /opt/letsbe/stack/current && docker compose -p letsbe --project-directory . up -d --wait nextcloud-db >/dev/null 2>&1");
    }
  });

  step("dumps the database instead of copying its live folder, and mirrors the backup off-site", async () => {
    await new Promise((resolve) => setTimeout(resolve, 1100)); // backup names have second resolution
    const run = await first.session.exec("systemctl start letsbe-backup.service");
    expect(run.code, run.stderr).toBe(0);
    const report = await status(first);
    expect(report.status).toBe("success");
    firstBackup = report.backup;
    const local = (await first.run(`cd /opt/letsbe/backups/daily/${firstBackup} && LC_ALL=C ls`)).trim().split("\n");
    expect(local).toEqual(["COMPLETE", "SHA256SUMS", "items.json", "letsbe_nextcloud-data.tar.gz", "letsbe_openclaw-data.tar.gz",
      "letsbe_safety-wrapper-data.tar.gz", "letsbe_secrets-proxy-data.tar.gz", "manifest.json", "nextcloud-db.sql.gz", "secrets.tar"]);
    expect(await first.run(`gzip -dc /opt/letsbe/backups/daily/${firstBackup}/nextcloud-db.sql.gz | grep -c -e '^CREATE TABLE public.notes' -e '^COPY public.notes'`)).toBe("2\n");
    expect((await first.run(`cd ${OFFSITE}/${firstBackup} && LC_ALL=C ls`)).trim().split("\n")).toEqual(local);
    expect(await first.run(`cd ${OFFSITE}/${firstBackup} && sha256sum --quiet -c SHA256SUMS && echo verified`)).toBe("verified\n");
  });

  describe("the hub's backup, restored for real", () => {
    const HUB_OFFSITE = "/srv/hub-offsite";
    const hubDb = (sql: string) => first.run(`docker exec letsbe-hub-db psql -v ON_ERROR_STOP=1 -Atq -U letsbe_hub -d letsbe_hub -c "${sql}"`);
    const startedAt = () => first.run("docker inspect -f '{{.State.StartedAt}}' letsbe-hub");

    step("installs the hub backup stage and dumps a live hub database off-site", async () => {
      // As the stage resources run it: its files copied, its command with the secret on stdin.
      const stage = hubBackupStage({ rcloneRemote: `offsite:${HUB_OFFSITE}` });
      for (const file of stage.files) await first.session.upload(file.remotePath, file.content);
      const install = await first.session.exec(stage.command, renderSecretsFile({ BACKUP_RCLONE_CONFIG: RCLONE_CONFIG }, stage.secrets));
      expect(install.code, install.stderr).toBe(0);
      await first.run("docker run -d --name letsbe-hub-db -e POSTGRES_USER=letsbe_hub -e POSTGRES_DB=letsbe_hub -e POSTGRES_PASSWORD=hub-db-password 127.0.0.1:5000/sidecars/postgres:pg >/dev/null");
      await first.run("docker run -d --name letsbe-hub 127.0.0.1:5000/tools/nextcloud:s1 >/dev/null");
      await first.run("for i in $(seq 1 60); do docker exec letsbe-hub-db psql -Atq -U letsbe_hub -d letsbe_hub -c 'SELECT 1' >/dev/null 2>&1 && exit 0; sleep 1; done; exit 1");
      await hubDb("CREATE TABLE tenants (slug text PRIMARY KEY, plan text); INSERT INTO tenants VALUES ('acme', 'pro'), ('bakery', 'basic')");
      const run = await first.session.exec("systemctl start letsbe-hub-backup.service");
      expect(run.code, run.stderr).toBe(0);
      const report = JSON.parse(await first.run("cat /var/lib/letsbe/hub-backup/backup-status.json"));
      expect(report.databases.letsbe_hub.status).toBe("success");
      expect(report.remote_sync.status).toBe("success");
      expect(await first.run(`ls ${HUB_OFFSITE}/daily | grep -c '^hub_.*\\.sql\\.gz$'`)).toBe("1\n");
    });

    step("refuses a dump that does not load and leaves the live database as it was", async () => {
      await first.run("printf 'CREATE TABLE broken (;\\n' | gzip > /root/hub_20260101_000000.sql.gz");
      const result = await first.session.exec("letsbe-hub-restore /root/hub_20260101_000000.sql.gz");
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("hub_20260101_000000.sql.gz did not load; the live database letsbe_hub is unchanged");
      expect(await hubDb("SELECT slug || ':' || plan FROM tenants ORDER BY slug")).toBe("acme:pro\nbakery:basic\n");
    });

    step("restores the off-site dump over a damaged database, stopping the hub only for the swap", async () => {
      await hubDb("DELETE FROM tenants WHERE slug = 'acme'; UPDATE tenants SET plan = 'gone'; CREATE TABLE stray (x int)");
      const before = await startedAt();
      const result = await first.session.exec("letsbe-hub-restore --from-remote");
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/LETSBE_HUB_RESTORED hub_\d{8}_\d{6}\.sql\.gz\n$/);
      expect(await hubDb("SELECT slug || ':' || plan FROM tenants ORDER BY slug")).toBe("acme:pro\nbakery:basic\n");
      expect(await hubDb("SELECT coalesce(to_regclass('stray')::text, 'absent')")).toBe("absent\n");
      expect(await first.run("docker inspect -f '{{.State.Running}}' letsbe-hub")).toBe("true\n");
      expect(await startedAt()).not.toBe(before);
    });
  });

  describe("into a freshly bootstrapped host", () => {
    step("restores the newest complete off-site backup: rows, files and the passwords they were made with", async () => {
      fresh = await startTenantHost(FRESH, OPTIONS);
      const result = await applyCompose(fresh, stackOf(pushStandins(FRESH, ITEMS)), HEALTH);
      expect(result.code, result.stderr).toBe(0);
      expect(await psql(fresh, "SELECT coalesce(to_regclass('notes')::text, 'absent')")).toBe("absent\n");
      // What an operator's rclone would fetch from the object store: the first host's off-site tree.
      const tree = execFileSync("docker", ["cp", `${FIRST}:${OFFSITE}`, "-"], { maxBuffer: 1 << 30 });
      execFileSync("docker", ["exec", FRESH, "mkdir", "-p", "/srv"]);
      execFileSync("docker", ["cp", "-", `${FRESH}:/srv`], { input: tree });

      const restore = await fresh.session.exec("bash /opt/letsbe/stack/restore.sh --from-remote");
      expect(restore.code, `${restore.stdout}\n${restore.stderr}`).toBe(0);
      expect(restore.stdout).toContain(`LETSBE_RESTORED ${firstBackup}\n`);
      expect(await psql(fresh, "SELECT id || ':' || body FROM notes ORDER BY id")).toBe("1:kept\n2:also kept\n");
      expect(await fresh.run(`cat ${volume("nextcloud-data")}/marker`)).toBe("precious\n");
      expect(await fresh.run("cat /opt/letsbe/secrets/nextcloud.env")).toBe(await first.run("cat /opt/letsbe/secrets/nextcloud.env"));
      // The database takes the restored password over the network, as the tool connects.
      expect(await fresh.run(`docker exec "$(docker compose -p letsbe ps -q nextcloud-db)" sh -c 'PGPASSWORD="$POSTGRES_PASSWORD" psql -Atq -h 127.0.0.1 -U nextcloud -d nextcloud -c "SELECT count(*) FROM notes"'`)).toBe("2\n");
      expect(await fresh.run("docker compose -p letsbe ps --format '{{.Health}}' | sort -u")).toBe("healthy\n");
    });
  });
});
