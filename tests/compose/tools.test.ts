/**
 * One test per catalog tool: its services rendered alone carry what the image's own
 * documentation requires (cited in components/compose/tools.ts). Expected names and values are
 * written out here from that documentation. The shell wrappers that rename the sidecar's
 * password are run by a real shell (with exec replaced by `env`) to see what the image would get.
 */
import { execFileSync } from "node:child_process";
import { load } from "js-yaml";
import { describe, expect, it } from "vitest";
import { renderCompose } from "../../components/compose/render";
import { DEFAULT_RELEASE, ToolId } from "../../tenants/catalog";

interface Service {
  image: string;
  environment?: Record<string, string>;
  entrypoint?: string[];
  command?: string[];
  volumes?: string[];
  ports?: string[];
  env_file?: string[];
  healthcheck: { test?: string[]; disable?: boolean };
}

const DOMAIN = "acme.eu.letsbe.biz";
const render = (tool: ToolId) => {
  const out = renderCompose({ slug: "acme", domain: DOMAIN, tools: [tool], release: DEFAULT_RELEASE });
  return { services: (load(out.composeYaml) as { services: Record<string, Service> }).services, manifest: out.manifest };
};
const generated = (tool: string) => renderCompose({ slug: "acme", domain: DOMAIN, tools: [tool as ToolId], release: DEFAULT_RELEASE }).manifest.envFiles[`/opt/letsbe/secrets/${tool.replace(/_/g, "-")}.env`];

/** What the image's process would see: the wrapper run by a real shell, its exec target replaced by `env`. */
const SIDECAR_ENV = {
  POSTGRES_USER: "svc", POSTGRES_DB: "svcdb", POSTGRES_PASSWORD: "pw0123", MYSQL_PASSWORD: "mypw0123",
  APP_SECRET: "a".repeat(8) + "b".repeat(40), CALENDSO_ENCRYPTION_KEY: "c".repeat(16) + "d".repeat(32), AP_ENCRYPTION_KEY: "e".repeat(32) + "f".repeat(16),
};
function runWrapper(argv: readonly string[]): Record<string, string> {
  const [shell, flag, script] = argv;
  expect(flag).toBe("-c");
  const unescaped = script!.replace(/\$\$/g, "$");
  const probe = unescaped.slice(0, unescaped.indexOf("; ")) + "; exec env";
  const out = execFileSync(shell === "/bin/bash" ? "bash" : "sh", ["-c", probe], { env: { PATH: process.env.PATH, ...SIDECAR_ENV }, encoding: "utf8" });
  return Object.fromEntries(out.trim().split("\n").map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]));
}

describe("each tool renders what its image's documentation requires", () => {
  it("nextcloud: POSTGRES_HOST (never DATABASE_HOST), trusted domain, https behind the proxy", () => {
    const { services } = render("nextcloud");
    expect(services.nextcloud.image).toMatch(/^docker\.io\/library\/nextcloud:34\.0\.4-apache/);
    expect(services.nextcloud.environment).toMatchObject({ POSTGRES_HOST: "nextcloud-db", POSTGRES_DB: "nextcloud", POSTGRES_USER: "nextcloud", NEXTCLOUD_TRUSTED_DOMAINS: `files.${DOMAIN}`, OVERWRITEPROTOCOL: "https" });
    expect(services.nextcloud.environment).not.toHaveProperty("DATABASE_HOST");
    expect(services.nextcloud.volumes).toEqual(["nextcloud-data:/var/www/html"]);
    expect(generated("nextcloud")).toContain("POSTGRES_PASSWORD");
  });

  it("chatwoot: rails through rails.sh after db:chatwoot_prepare, plus the sidekiq worker, both with the documented variables", () => {
    const { services } = render("chatwoot");
    const shared = { RAILS_ENV: "production", NODE_ENV: "production", INSTALLATION_ENV: "docker", FRONTEND_URL: `https://chat.${DOMAIN}`, POSTGRES_HOST: "chatwoot-db", POSTGRES_USERNAME: "chatwoot", POSTGRES_DATABASE: "chatwoot", REDIS_URL: "redis://chatwoot-redis:6379" };
    expect(services.chatwoot.environment).toMatchObject(shared);
    expect(services["chatwoot-sidekiq"].environment).toMatchObject(shared);
    expect(services.chatwoot.entrypoint).toEqual(["docker/entrypoints/rails.sh"]);
    expect(services.chatwoot.command!.join(" ")).toContain("bundle exec rails db:chatwoot_prepare && exec bundle exec rails s -p 3000 -b 0.0.0.0");
    expect(services["chatwoot-sidekiq"].command).toEqual(["bundle", "exec", "sidekiq", "-C", "config/sidekiq.yml"]);
    expect(services["chatwoot-sidekiq"].image).toBe(services.chatwoot.image);
    expect(services["chatwoot-sidekiq"].volumes).toEqual(["chatwoot-data:/app/storage"]);
    expect(generated("chatwoot")).toEqual(expect.arrayContaining(["SECRET_KEY_BASE", "POSTGRES_PASSWORD"]));
  });

  it("ghost: url and the database__ keys, the password renamed from the MySQL sidecar's", () => {
    const { services } = render("ghost");
    expect(services.ghost.environment).toMatchObject({ url: `https://blog.${DOMAIN}`, database__client: "mysql", database__connection__host: "ghost-db", database__connection__user: "ghost", database__connection__database: "ghost" });
    expect(services.ghost.entrypoint!.at(-1)).toMatch(/exec docker-entrypoint\.sh node current\/index\.js$/);
    expect(runWrapper(services.ghost.entrypoint!).database__connection__password).toBe("mypw0123");
    expect(services.ghost.volumes).toEqual(["ghost-data:/var/lib/ghost/content"]);
  });

  it("odoo: HOST for the entrypoint (USER and PASSWORD fall back to the sidecar's POSTGRES_*), odoo --proxy-mode", () => {
    const { services } = render("odoo");
    expect(services.odoo.environment).toMatchObject({ HOST: "odoo-db", POSTGRES_USER: "odoo" });
    expect(services.odoo.command).toEqual(["odoo", "--proxy-mode"]);
    expect(services.odoo.volumes).toEqual(["odoo-data:/var/lib/odoo"]);
    expect(generated("odoo")).toContain("POSTGRES_PASSWORD");
  });

  it("calcom: webapp URL, DATABASE_HOST for start.sh, DATABASE_URL built in its shell, a 32-character encryption key", () => {
    const { services } = render("calcom");
    expect(services.calcom.environment).toMatchObject({ NEXT_PUBLIC_WEBAPP_URL: `https://cal.${DOMAIN}`, DATABASE_HOST: "calcom-db:5432", CALCOM_TELEMETRY_DISABLED: "1" });
    // calcom/docker .env.example: "Set this value to 'agree' to accept our license".
    expect(services.calcom.environment).toMatchObject({ NEXT_PUBLIC_LICENSE_CONSENT: "agree", LICENSE: "agree" });
    expect(services.calcom.entrypoint!.at(-1)).toMatch(/exec \/calcom\/scripts\/start\.sh$/);
    const env = runWrapper(services.calcom.entrypoint!);
    expect(env.DATABASE_URL).toBe("postgresql://svc:pw0123@calcom-db:5432/svcdb");
    expect(env.DATABASE_DIRECT_URL).toBe("postgresql://svc:pw0123@calcom-db:5432/svcdb");
    expect(env.CALENDSO_ENCRYPTION_KEY).toBe("c".repeat(16) + "d".repeat(16));
    expect(generated("calcom")).toEqual(expect.arrayContaining(["NEXTAUTH_SECRET", "CALENDSO_ENCRYPTION_KEY"]));
  });

  it("stalwart: the renamed image, data in /opt/stalwart, the mail ports, no probe an image without a client could run", () => {
    const { services } = render("stalwart");
    expect(services.stalwart.image).toMatch(/^docker\.io\/stalwartlabs\/stalwart:v0\.16\.15/);
    expect(services.stalwart.volumes).toEqual(["stalwart-data:/opt/stalwart"]);
    expect(services.stalwart.ports).toEqual(expect.arrayContaining(["25:25", "465:465", "587:587", "993:993", "127.0.0.1:3011:8080"]));
    // No healthcheck key at all: `docker compose up --wait` fails on a disabled one (seen on the host tier).
    expect(services.stalwart).not.toHaveProperty("healthcheck");
  });

  it("stalwart: the host probes GET /healthz/live on 8080 for a 200 (Stalwart's documented liveness endpoint)", () => {
    const { manifest } = render("stalwart");
    expect(manifest.services.stalwart.probe).toEqual({ port: 8080, path: "/healthz/live", status: 200 });
  });

  it("services without a probe of their own render no healthcheck key, which compose's up --wait would refuse if disabled", () => {
    const penpot = render("penpot").services;
    const chatwoot = render("chatwoot").services;
    for (const service of [penpot["penpot-backend"], penpot["penpot-exporter"], chatwoot["chatwoot-sidekiq"]]) expect(service).not.toHaveProperty("healthcheck");
  });

  it("only images that cannot probe themselves get a host probe", () => {
    const { manifest } = render("nextcloud");
    expect(Object.entries(manifest.services).filter(([, s]) => s.probe).map(([name]) => name)).toEqual([]);
  });

  it("keycloak: kc.sh start, KC_DB_*, hostname and proxy headers, the management-port readiness probe", () => {
    const { services } = render("keycloak");
    expect(services.keycloak.environment).toMatchObject({ KC_DB: "postgres", KC_DB_URL_HOST: "keycloak-db", KC_DB_URL_DATABASE: "keycloak", KC_DB_USERNAME: "keycloak", KC_HOSTNAME: `https://auth.${DOMAIN}`, KC_PROXY_HEADERS: "xforwarded", KC_HTTP_ENABLED: "true", KC_HEALTH_ENABLED: "true" });
    expect(services.keycloak.entrypoint!.at(-1)).toMatch(/exec \/opt\/keycloak\/bin\/kc\.sh start$/);
    expect(runWrapper(services.keycloak.entrypoint!).KC_DB_PASSWORD).toBe("pw0123");
    expect(services.keycloak.healthcheck.test!.join(" ")).toContain("/dev/tcp/localhost/9000");
  });

  it("listmonk: LISTMONK_app__/db__ keys, install (idempotent) and upgrade before it runs", () => {
    const { services } = render("listmonk");
    expect(services.listmonk.environment).toMatchObject({ LISTMONK_app__address: "0.0.0.0:9000", LISTMONK_db__host: "listmonk-db", LISTMONK_db__port: "5432", LISTMONK_db__user: "listmonk", LISTMONK_db__database: "listmonk", LISTMONK_db__ssl_mode: "disable" });
    const script = services.listmonk.command!.at(-1)!;
    expect(script).toContain("./listmonk --install --idempotent --yes --config ''");
    expect(script).toContain("./listmonk --upgrade --yes --config ''");
    expect(runWrapper(services.listmonk.command!).LISTMONK_db__password).toBe("pw0123");
  });

  it("nocodb: SQLite in /usr/app/data, its JWT secret generated, the public URL", () => {
    const { services } = render("nocodb");
    expect(services.nocodb.volumes).toEqual(["nocodb-data:/usr/app/data"]);
    expect(services.nocodb.environment).toMatchObject({ NC_PUBLIC_URL: `https://tables.${DOMAIN}` });
    expect(generated("nocodb")).toContain("NC_AUTH_JWT_SECRET");
    expect(Object.keys(services)).not.toContain("nocodb-db");
  });

  it("umami: DATABASE_URL built in its shell, APP_SECRET generated, pnpm start-docker", () => {
    const { services } = render("umami");
    expect(services.umami.command!.at(-1)).toMatch(/exec pnpm start-docker$/);
    expect(runWrapper(services.umami.command!).DATABASE_URL).toBe("postgresql://svc:pw0123@umami-db:5432/svcdb");
    expect(generated("umami")).toContain("APP_SECRET");
    expect(services.umami.healthcheck.test!.join(" ")).toContain("/api/heartbeat");
  });

  it("uptime_kuma: /app/data, port 3001, SQLite chosen so no first visitor picks the database", () => {
    const { services } = render("uptime_kuma");
    expect(services["uptime-kuma"].environment).toMatchObject({ UPTIME_KUMA_DB_TYPE: "sqlite" });
    expect(services["uptime-kuma"].volumes).toEqual(["uptime-kuma-data:/app/data"]);
    expect(services["uptime-kuma"].ports).toEqual(["127.0.0.1:3033:3001"]);
  });

  it("activepieces: AP_* settings with postgres and redis, a 32-hex-character encryption key, its own entrypoint", () => {
    const { services } = render("activepieces");
    expect(services.activepieces.environment).toMatchObject({
      AP_ENGINE_EXECUTABLE_PATH: "dist/packages/engine/main.js", AP_ENVIRONMENT: "prod", AP_FRONTEND_URL: `https://flows.${DOMAIN}`, AP_EXECUTION_MODE: "UNSANDBOXED",
      AP_POSTGRES_HOST: "activepieces-db", AP_POSTGRES_PORT: "5432", AP_POSTGRES_USERNAME: "activepieces", AP_POSTGRES_DATABASE: "activepieces", AP_REDIS_HOST: "activepieces-redis", AP_REDIS_PORT: "6379",
    });
    expect(services["activepieces-redis"]).toBeDefined();
    expect(services.activepieces.entrypoint!.at(-1)).toMatch(/exec \.\/docker-entrypoint\.sh$/);
    const env = runWrapper(services.activepieces.entrypoint!);
    expect(env.AP_POSTGRES_PASSWORD).toBe("pw0123");
    expect(env.AP_ENCRYPTION_KEY).toBe("e".repeat(32));
    expect(generated("activepieces")).toEqual(expect.arrayContaining(["AP_ENCRYPTION_KEY", "AP_JWT_SECRET", "AP_API_KEY"]));
  });

  it("bookstack: APP_URL, DB_* (DB_USERNAME/DB_PASSWORD), a 32-character APP_KEY, s6's /init as PID 1", () => {
    const { services } = render("bookstack");
    expect(services.bookstack.environment).toMatchObject({ APP_URL: `https://wiki.${DOMAIN}`, DB_HOST: "bookstack-db", DB_PORT: "3306", DB_USERNAME: "bookstack", DB_DATABASE: "bookstack", PUID: "1000", PGID: "1000" });
    expect(services.bookstack.entrypoint!.at(-1)).toMatch(/exec \/init$/);
    const env = runWrapper(services.bookstack.entrypoint!);
    expect(env.DB_PASSWORD).toBe("mypw0123");
    expect(env.APP_KEY).toBe("a".repeat(8) + "b".repeat(24));
    expect(services.bookstack.volumes).toEqual(["bookstack-data:/config"]);
  });

  it("gitea: GITEA__database__* and GITEA__server__*, the password renamed, the image's own entrypoint and s6", () => {
    const { services } = render("gitea");
    expect(services.gitea.environment).toMatchObject({ USER_UID: "1000", USER_GID: "1000", GITEA__database__DB_TYPE: "postgres", GITEA__database__HOST: "gitea-db:5432", GITEA__database__NAME: "gitea", GITEA__database__USER: "gitea", GITEA__server__ROOT_URL: `https://code.${DOMAIN}/`, GITEA__server__DOMAIN: `code.${DOMAIN}` });
    expect(services.gitea.entrypoint!.at(-1)).toMatch(/exec \/usr\/bin\/entrypoint \/usr\/bin\/s6-svscan \/etc\/s6$/);
    expect(runWrapper(services.gitea.entrypoint!).GITEA__database__PASSWD).toBe("pw0123");
  });

  it("mattermost: the postgres driver and data source, the site URL", () => {
    const { services } = render("mattermost");
    expect(services.mattermost.environment).toMatchObject({ MM_SQLSETTINGS_DRIVERNAME: "postgres", MM_SERVICESETTINGS_SITEURL: `https://team.${DOMAIN}` });
    expect(services.mattermost.command!.at(-1)).toMatch(/exec mattermost$/);
    expect(runWrapper(services.mattermost.command!).MM_SQLSETTINGS_DATASOURCE).toBe("postgres://svc:pw0123@mattermost-db:5432/svcdb?sslmode=disable&connect_timeout=10");
    // mattermost/docker docker-compose.yml mounts these six folders; env.example's index dir.
    expect(services.mattermost.volumes).toEqual([
      "mattermost-data:/mattermost/data", "mattermost-config:/mattermost/config", "mattermost-logs:/mattermost/logs",
      "mattermost-plugins:/mattermost/plugins", "mattermost-client-plugins:/mattermost/client/plugins", "mattermost-bleve-indexes:/mattermost/bleve-indexes",
    ]);
    expect(services.mattermost.environment).toMatchObject({ MM_BLEVESETTINGS_INDEXDIR: "/mattermost/bleve-indexes" });
  });

  it("penpot: frontend on 8080, backend with database/redis/assets and the shared secret key, exporter pointed at the frontend", () => {
    const { services } = render("penpot");
    expect(Object.keys(services)).toEqual(expect.arrayContaining(["penpot", "penpot-backend", "penpot-exporter", "penpot-db", "penpot-redis"]));
    expect(services.penpot.ports).toEqual(["127.0.0.1:3046:8080"]);
    expect(services["penpot-backend"].environment).toMatchObject({
      PENPOT_PUBLIC_URI: `https://design.${DOMAIN}`, PENPOT_DATABASE_URI: "postgresql://penpot-db/penpot", PENPOT_DATABASE_USERNAME: "penpot",
      PENPOT_REDIS_URI: "redis://penpot-redis/0", PENPOT_ASSETS_STORAGE_BACKEND: "assets-fs", PENPOT_STORAGE_ASSETS_FS_DIRECTORY: "/opt/data/assets",
    });
    expect(runWrapper(services["penpot-backend"].entrypoint!).PENPOT_DATABASE_PASSWORD).toBe("pw0123");
    expect(services["penpot-exporter"].environment).toMatchObject({ PENPOT_PUBLIC_URI: "http://penpot:8080", PENPOT_REDIS_URI: "redis://penpot-redis/0" });
    expect(generated("penpot")).toContain("PENPOT_SECRET_KEY");
    expect(services["penpot-backend"].env_file).toEqual(services["penpot-exporter"].env_file);
  });

  it("vaultwarden: DOMAIN is the https address it is served from", () => {
    const { services } = render("vaultwarden");
    expect(services.vaultwarden.environment).toMatchObject({ DOMAIN: `https://vault.${DOMAIN}` });
    expect(services.vaultwarden.volumes).toEqual(["vaultwarden-data:/data"]);
    expect(services.vaultwarden.healthcheck.test!.join(" ")).toContain("/alive");
  });

  it("puts no generated value in the compose file: wrappers name variables, never values", () => {
    const all = renderCompose({ slug: "acme", domain: DOMAIN, tools: ["calcom", "gitea", "bookstack", "activepieces", "mattermost", "umami", "listmonk", "ghost"], release: DEFAULT_RELEASE }).composeYaml;
    expect(all).not.toMatch(/PASSWORD=["']?[0-9a-f]{16,}/);
    expect(all.match(/\$\$POSTGRES_PASSWORD|\$\$MYSQL_PASSWORD/g)?.length).toBeGreaterThanOrEqual(8);
  });
});
