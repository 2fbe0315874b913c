/**
 * Issue 13, part 4, for a tool on MySQL (Ghost), on the real host: the daily backup dumps the
 * MySQL sidecar through its container (mysqldump) and restore.sh loads it back over a damaged
 * database; a release that migrates the database and then fails its health gate is rolled back
 * to the old schema and rows from the apply's own dump. The database is a real MySQL-compatible
 * server: Debian's MariaDB in a stand-in image started as the official mysql image is.
 */
import { afterAll, beforeAll, describe, expect } from "vitest";
import { ImagePin, ReleasePins, SIDECAR_IMAGES, TOOLS, Tool, ToolId } from "../../tenants/catalog";
import { sequentialSteps } from "./lib/steps";
import { HostOptions, StackRelease, TenantHost, applyCompose, ensureEngine, pushStandins, startTenantHost, stopEngineIfStarted, stopTenantHost } from "./lib/tenantHost";

const NAME = `letsbe-mysql-test-${process.pid}`;
const HEALTH = { intervalS: 2, timeoutS: 5, retries: 3, startPeriodS: 30 };
const OPTIONS: HostOptions = { backupRemote: "offsite:/srv/letsbe-offsite", backupRcloneConfig: "[offsite]\ntype = local\n" };
const { step } = sequentialSteps();

let host: TenantHost;
let pins: Record<string, ImagePin> = {};
let v1: StackRelease;
let v2: StackRelease;

const stack = (ghost: ImagePin): StackRelease => {
  const release: ReleasePins = { openclaw: pins["letsbe/openclaw:s1"], safetyWrapper: pins["letsbe/safety-wrapper:s1"], secretsProxy: pins["letsbe/secrets-proxy:s1"], policyBundle: "2026.11.1" };
  const catalog: Record<ToolId, Tool> = { ...TOOLS, ghost: { ...TOOLS.ghost, image: ghost } };
  return { tools: ["ghost"], release, catalog, sidecars: { ...SIDECAR_IMAGES, mysql: pins["sidecars/mysql:8.4"] } };
};
const volume = (name: string) => `$(docker volume inspect -f '{{.Mountpoint}}' letsbe_${name})`;
/** SQL as the sidecar's root (its password read inside the container), tab-separated, no headers. */
const mysql = (sql: string, database = "ghost") =>
  host.run(`docker exec "$(docker compose -p letsbe ps -q ghost-db)" sh -c 'MYSQL_PWD="$MYSQL_ROOT_PASSWORD" exec mysql -uroot -N -B "$1" -e "$2"' sh ${database} "${sql.replace(/"/g, '\\"')}"`);
const status = async () => JSON.parse(await host.run("cat /opt/letsbe/backups/backup-status.json")) as {
  status: string; backup: string; items: Record<string, { kind: string; status: string; error?: string }>;
};

describe("a tool on MySQL: backup, restore and release rollback on the real host", () => {
  beforeAll(async () => {
    ensureEngine();
    host = await startTenantHost(NAME, OPTIONS);
    pins = pushStandins(NAME, [
      "letsbe/openclaw:s1:healthy", "letsbe/safety-wrapper:s1:healthy", "letsbe/secrets-proxy:s1:healthy",
      "tools/ghost:s1:mysql-tool", "tools/ghost:s2-migrating:mysql-migrate-broken", "sidecars/mysql:8.4:mysql",
    ]);
    v1 = stack(pins["tools/ghost:s1"]);
    v2 = stack(pins["tools/ghost:s2-migrating"]);
  });

  afterAll(() => {
    stopTenantHost(host, NAME);
    stopEngineIfStarted();
  });

  step("brings ghost up on its MySQL sidecar, whose tool user reaches the database over the network", async () => {
    const result = await applyCompose(host, v1, HEALTH);
    expect(result.code, result.stderr).toBe(0);
    expect(await host.run("docker compose -p letsbe ps --format '{{.Service}} {{.Health}}' ghost ghost-db | sort")).toBe("ghost healthy\nghost-db healthy\n");
    await mysql("CREATE TABLE notes (id integer PRIMARY KEY, body text NOT NULL); INSERT INTO notes VALUES (1, 'first'), (2, 'second')");
    await host.run(`echo precious > ${volume("ghost-data")}/marker`);
    // The tool's own credentials, as the tool connects (the env file's MYSQL_PASSWORD, ghost-db:3306).
    expect(await host.run(`docker exec "$(docker compose -p letsbe ps -q ghost)" sh -c 'MYSQL_PWD="$MYSQL_PASSWORD" exec mysql -h "$database__connection__host" -u "$database__connection__user" -N -B "$database__connection__database" -e "SELECT count(*) FROM notes"'`)).toBe("2\n");
  });

  step("the daily backup dumps the MySQL database through its container, and restore.sh loads it back over a damaged one", async () => {
    const run = await host.session.exec("systemctl start letsbe-backup.service");
    expect(run.code, run.stderr).toBe(0);
    const report = await status();
    expect(report.items["ghost-db"]).toMatchObject({ kind: "mysql-dump", status: "success" });
    expect(report.status).toBe("success");
    const dump = `/opt/letsbe/backups/daily/${report.backup}/ghost-db.sql.gz`;
    expect(await host.run(`gzip -dc ${dump} | grep -c -e '^CREATE TABLE \`notes\`' -e '^INSERT INTO \`notes\`'`)).toBe("2\n");
    // The dump, not a copy of the live data folder.
    expect(await host.run(`ls /opt/letsbe/backups/daily/${report.backup} | grep -c 'ghost-db-data' || true`)).toBe("0\n");

    await mysql("DELETE FROM notes WHERE id = 2; CREATE TABLE junk (x integer)");
    await host.run(`rm ${volume("ghost-data")}/marker`);
    const restore = await host.session.exec(`bash /opt/letsbe/stack/restore.sh ${report.backup}`);
    expect(restore.code, `${restore.stdout}\n${restore.stderr}`).toBe(0);
    expect(restore.stdout).toContain(`LETSBE_RESTORED ${report.backup}\n`);
    expect(await mysql("SELECT CONCAT(id, ':', body) FROM notes ORDER BY id")).toBe("1:first\n2:second\n");
    expect(await mysql("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'ghost' AND table_name = 'junk'")).toBe("0\n");
    expect(await host.run(`cat ${volume("ghost-data")}/marker`)).toBe("precious\n");
    expect(await host.run("docker compose -p letsbe ps --format '{{.Health}}' | sort -u")).toBe("healthy\n");
  });

  step("rolls a release that migrated its MySQL database back to the old schema and rows, from the apply's own dump", async () => {
    const result = await applyCompose(host, v2, HEALTH);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/unhealthy services: ghost;/);
    // The failed release did migrate: it says so where no snapshot reaches.
    expect(await mysql("SELECT count(*) FROM migrations", "standin_audit")).toBe("1\n");
    expect(await mysql("SELECT GROUP_CONCAT(column_name ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = 'ghost' AND table_name = 'notes'")).toBe("id,body\n");
    expect(await mysql("SELECT CONCAT(id, ':', body) FROM notes ORDER BY id")).toBe("1:first\n2:second\n");
    expect(await mysql("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'ghost' AND table_name = 'schema_v2'")).toBe("0\n");
    expect(await host.run(`cat ${volume("ghost-data")}/marker`)).toBe("precious\n");
    expect(result.stderr).toContain("database of ghost-db");
    const files = (await host.run("ls /opt/letsbe/backups/pre-update/*/")).trim().split("\n").sort();
    expect(files).toEqual(["ghost-db.sql.gz", "letsbe_ghost-data.tar"]);
    expect((await host.run("docker inspect -f '{{.Config.Image}}' $(docker compose -p letsbe ps -q ghost)")).trim())
      .toBe(`${v1.catalog.ghost.image.repository}:${v1.catalog.ghost.image.tag}@${pins["tools/ghost:s1"].digest}`);
    expect(await host.run("docker compose -p letsbe ps --format '{{.Health}}' | sort -u")).toBe("healthy\n");
  });
});
