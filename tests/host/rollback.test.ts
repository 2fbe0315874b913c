/**
 * Issue 13, part 4 on the real host: a tool upgrade that migrates its database and then fails
 * its health gate is rolled back with the database's old schema and rows (apply.sh used to
 * snapshot only the volumes of the service whose image changed, so the rollback ran the old
 * tool on the migrated schema), and an apply without room for its snapshot refuses to start.
 * The database is a real PostgreSQL (Debian's packages in a stand-in image).
 */
import { afterAll, beforeAll, describe, expect } from "vitest";
import { ImagePin, ReleasePins, SIDECAR_IMAGES, TOOLS, Tool, ToolId } from "../../tenants/catalog";
import { sequentialSteps } from "./lib/steps";
import { StackRelease, TenantHost, applyCompose, ensureEngine, psql, pushStandins, startTenantHost, stopEngineIfStarted, stopTenantHost } from "./lib/tenantHost";

const NAME = `letsbe-rollback-test-${process.pid}`;
const HEALTH = { intervalS: 2, timeoutS: 5, retries: 3, startPeriodS: 30 };
const { step } = sequentialSteps();

let host: TenantHost;
let pins: Record<string, ImagePin> = {};
let v1: StackRelease;
let v2: StackRelease;

const stack = (nextcloud: ImagePin): StackRelease => {
  const release: ReleasePins = { openclaw: pins["letsbe/openclaw:s1"], safetyWrapper: pins["letsbe/safety-wrapper:s1"], secretsProxy: pins["letsbe/secrets-proxy:s1"], policyBundle: "2026.11.1" };
  const catalog: Record<ToolId, Tool> = { ...TOOLS, nextcloud: { ...TOOLS.nextcloud, image: nextcloud } };
  return { tools: ["nextcloud"], release, catalog, sidecars: { ...SIDECAR_IMAGES, postgres: pins["sidecars/postgres:pg"] } };
};
const volume = (name: string) => `$(docker volume inspect -f '{{.Mountpoint}}' letsbe_${name})`;
const containerOf = (service: string) => host.run(`docker compose -p letsbe ps -q ${service}`);

describe("a release apply on a tenant host with a real PostgreSQL", () => {
  beforeAll(async () => {
    ensureEngine();
    host = await startTenantHost(NAME);
    pins = pushStandins(NAME, [
      "letsbe/openclaw:s1:healthy", "letsbe/safety-wrapper:s1:healthy", "letsbe/secrets-proxy:s1:healthy",
      "tools/nextcloud:s1:healthy", "tools/nextcloud:s2-migrating:pg-migrate-broken", "sidecars/postgres:pg:postgres",
    ]);
    v1 = stack(pins["tools/nextcloud:s1"]);
    v2 = stack(pins["tools/nextcloud:s2-migrating"]);
  });

  afterAll(() => {
    stopTenantHost(host, NAME);
    stopEngineIfStarted();
  });

  step("brings nextcloud up on its PostgreSQL sidecar and keeps rows in it", async () => {
    const result = await applyCompose(host, v1, HEALTH);
    expect(result.code, result.stderr).toBe(0);
    expect(await host.run("docker compose -p letsbe ps --format '{{.Service}} {{.Health}}' nextcloud nextcloud-db | sort")).toBe("nextcloud healthy\nnextcloud-db healthy\n");
    await psql(host, "CREATE TABLE notes (id integer PRIMARY KEY, body text NOT NULL); INSERT INTO notes VALUES (1, 'first'), (2, 'second')");
    await host.run(`echo precious > ${volume("nextcloud-data")}/marker`);
    expect(await psql(host, "SELECT id || ':' || body FROM notes ORDER BY id")).toBe("1:first\n2:second\n");
  });

  step("refuses to start a release without room for its snapshot, naming what it needs and what is free, and changes nothing", async () => {
    const before = await containerOf("nextcloud");
    await host.run("install -d -m 0700 /opt/letsbe/backups/pre-update && mount -t tmpfs -o size=1m tmpfs /opt/letsbe/backups/pre-update");
    try {
      const result = await applyCompose(host, v2, HEALTH);
      const refusal = /not enough free space for the pre-update snapshot of nextcloud nextcloud-db in \/opt\/letsbe\/backups\/pre-update: it needs (\d+) MiB \(volumes \d+ MiB, databases (\d+) MiB, reserve 256 MiB\) and (\d+) MiB are free; nothing was changed/;
      expect(result.stderr).toMatch(refusal);
      const match = refusal.exec(result.stderr);
      const [need, database, free] = [Number(match?.[1]), Number(match?.[2]), Number(match?.[3])];
      expect(need).toBeGreaterThan(256);
      // An empty PostgreSQL database is several MiB; the tmpfs holds 1 MiB.
      expect(database).toBeGreaterThan(1);
      expect(free).toBe(1);
      expect(result.code).toBe(1);
    } finally {
      await host.run("umount /opt/letsbe/backups/pre-update");
    }
    // Nothing stopped, pulled into use or migrated.
    expect(await containerOf("nextcloud")).toBe(before);
    expect(await host.run("docker compose -p letsbe ps --format '{{.Service}} {{.State}}' nextcloud nextcloud-db | sort")).toBe("nextcloud running\nnextcloud-db running\n");
    expect(JSON.parse(await host.run("cat /opt/letsbe/stack/current/manifest.json")).services.nextcloud.image).toContain(pins["tools/nextcloud:s1"].digest);
    expect(await host.run("ls -A /opt/letsbe/backups/pre-update")).toBe("");
  });

  step("rolls a release that migrated its database back to the old schema and rows, and the tool's volume", async () => {
    const result = await applyCompose(host, v2, HEALTH);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/unhealthy services: nextcloud;/);
    // The failed release did migrate: it says so where no snapshot reaches.
    expect(await host.run(`docker exec "$(docker compose -p letsbe ps -q nextcloud-db)" psql -Atq -U nextcloud -d postgres -c 'SELECT count(*) FROM standin_migrations'`)).toBe("1\n");
    expect(await psql(host, "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'notes'")).toBe("id,body\n");
    expect(await psql(host, "SELECT id || ':' || body FROM notes ORDER BY id")).toBe("1:first\n2:second\n");
    expect(await psql(host, "SELECT coalesce(to_regclass('schema_v2')::text, 'absent')")).toBe("absent\n");
    expect(await host.run(`cat ${volume("nextcloud-data")}/marker`)).toBe("precious\n");
    expect(result.stderr).toContain("database of nextcloud-db");
    // The database was dumped, not copied live; the tool's volume was archived.
    const files = (await host.run("ls /opt/letsbe/backups/pre-update/*/")).trim().split("\n").sort();
    expect(files).toEqual(["letsbe_nextcloud-data.tar", "nextcloud-db.sql.gz"]);
    expect((await host.run("docker inspect -f '{{.Config.Image}}' $(docker compose -p letsbe ps -q nextcloud)")).trim())
      .toBe(`${v1.catalog.nextcloud.image.repository}:${v1.catalog.nextcloud.image.tag}@${pins["tools/nextcloud:s1"].digest}`);
    expect(await host.run("docker compose -p letsbe ps --format '{{.Health}}' | sort -u")).toBe("healthy\n");
  });
});
