/**
 * Tool wiring as each image's own documentation requires it (cited beside each entry in
 * components/compose/services.ts). Expected values are written out here from those documents.
 */
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { renderCompose } from "../../components/compose/render";
import { DEFAULT_RELEASE, TOOLS, TOOL_IDS, ToolId } from "../../tenants/catalog";
import { tenantSpecSchema } from "../../tenants/schema";

interface Service { image: string; environment?: Record<string, string>; entrypoint?: string[]; command?: string[]; healthcheck: { test: string[] }; env_file?: string[] }
const render = (tools: ToolId[]) => parse(renderCompose({ slug: "acme", domain: "acme.eu.letsbe.biz", tools, release: DEFAULT_RELEASE }).composeYaml) as { services: Record<string, Service> };

describe("nextcloud (nextcloud/docker README: auto configuration, reverse proxy)", () => {
  const { services } = render(["nextcloud"]);
  const nextcloud = services.nextcloud!;

  it("reads its database from POSTGRES_HOST/DB/USER, with the password from the env file the database shares", () => {
    expect(nextcloud.environment).toMatchObject({ POSTGRES_HOST: "nextcloud-db", POSTGRES_DB: "nextcloud", POSTGRES_USER: "nextcloud" });
    expect(nextcloud.environment).not.toHaveProperty("DATABASE_HOST");
    expect(nextcloud.env_file).toEqual(["/opt/letsbe/secrets/nextcloud.env"]);
    expect(services["nextcloud-db"]!.env_file).toEqual(["/opt/letsbe/secrets/nextcloud.env"]);
  });

  it("trusts its public name and builds https links behind nginx", () => {
    expect(nextcloud.environment).toMatchObject({ NEXTCLOUD_TRUSTED_DOMAINS: "files.acme.eu.letsbe.biz", OVERWRITEPROTOCOL: "https" });
  });
});

describe("keycloak (Keycloak guides: containers, db, reverseproxy, hostname, health)", () => {
  const { services } = render(["keycloak"]);
  const keycloak = services.keycloak!;

  it("runs `kc.sh start` (production mode), with KC_DB_PASSWORD taken from the shared POSTGRES_PASSWORD", () => {
    expect(keycloak.entrypoint).toEqual(["/bin/bash", "-c", "export KC_DB_PASSWORD=\"$$POSTGRES_PASSWORD\"; exec /opt/keycloak/bin/kc.sh start"]);
    expect(keycloak.env_file).toEqual(["/opt/letsbe/secrets/keycloak.env"]);
  });

  it("gets the documented database, proxy, hostname and health variables", () => {
    expect(keycloak.environment).toMatchObject({
      KC_DB: "postgres", KC_DB_URL_HOST: "keycloak-db", KC_DB_URL_DATABASE: "keycloak", KC_DB_USERNAME: "keycloak",
      KC_HOSTNAME: "https://auth.acme.eu.letsbe.biz", KC_HTTP_ENABLED: "true", KC_PROXY_HEADERS: "xforwarded", KC_HEALTH_ENABLED: "true",
    });
    expect(keycloak.environment).not.toHaveProperty("DATABASE_HOST");
  });

  it("probes /health/ready on the management port with bash alone, as the image has no curl or wget", () => {
    expect(keycloak.healthcheck.test).toEqual(["CMD", "/bin/bash", "-c", "{ printf 'HEAD /health/ready HTTP/1.0\\r\\n\\r\\n' >&0; grep 'HTTP/1.0 200'; } 0<>/dev/tcp/localhost/9000"]);
    expect(keycloak.healthcheck.test.join(" ")).not.toMatch(/curl|wget/);
  });
});

describe("portainer (docs.portainer.io: needs /var/run/docker.sock, root on the host)", () => {
  it("is not in the catalog, so no tenant can order it", () => {
    expect(TOOL_IDS as readonly string[]).not.toContain("portainer");
    expect(Object.keys(TOOLS)).not.toContain("portainer");
  });

  it("a spec naming it is refused at its tools field", () => {
    const spec = { slug: "acme", domain: "acme.eu.letsbe.biz", region: "eu", tier: "lite", provider: "hetzner", group: "sandbox", tools: ["nocodb", "portainer"], contactEmail: "a@b.eu", createdAt: "2026-06-01" };
    const result = tenantSpecSchema.safeParse(spec);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join("."))).toEqual(["tools.1"]);
  });
});

describe("penpot (penpot/penpot docker/images/docker-compose.yaml and Dockerfile.backend)", () => {
  const { services } = render(["penpot"]);

  it("renders the frontend, backend and exporter, the frontend finding the others by the names its nginx uses", () => {
    expect(Object.keys(services).filter((s) => s.startsWith("penpot")).sort()).toEqual(["penpot", "penpot-backend", "penpot-db", "penpot-exporter", "penpot-redis"]);
    expect(services.penpot!.image).toMatch(/^docker\.io\/penpotapp\/frontend:2\.18\.2(@sha256:[0-9a-f]{64})?$/);
    expect(services["penpot-backend"]!.image).toMatch(/^docker\.io\/penpotapp\/backend:2\.18\.2(@sha256:[0-9a-f]{64})?$/);
    expect(services["penpot-exporter"]!.image).toMatch(/^docker\.io\/penpotapp\/exporter:2\.18\.2(@sha256:[0-9a-f]{64})?$/);
    expect((services.penpot as unknown as { depends_on: Record<string, unknown> }).depends_on).toMatchObject({ "penpot-backend": {}, "penpot-exporter": {} });
  });

  it("gives the backend the documented database, redis, public URI and assets settings, with password and key from the shared env file", () => {
    expect(services["penpot-backend"]!.environment).toMatchObject({
      PENPOT_PUBLIC_URI: "https://design.acme.eu.letsbe.biz",
      PENPOT_DATABASE_URI: "postgresql://penpot-db/penpot",
      PENPOT_DATABASE_USERNAME: "penpot",
      PENPOT_REDIS_URI: "redis://penpot-redis/0",
      PENPOT_ASSETS_STORAGE_BACKEND: "assets-fs",
      PENPOT_STORAGE_ASSETS_FS_DIRECTORY: "/opt/data/assets",
    });
    // The secret key is generated under its own name in the env file the exporter shares too.
    expect(services["penpot-backend"]!.entrypoint).toEqual(["/bin/bash", "-c", "export PENPOT_DATABASE_PASSWORD=\"$$POSTGRES_PASSWORD\"; exec /bin/bash run.sh"]);
    expect(services["penpot-backend"]!.env_file).toEqual(["/opt/letsbe/secrets/penpot.env"]);
  });

  it("shares the assets volume between frontend and backend, and points the exporter at the frontend and redis", () => {
    const volumes = (name: string) => (services[name] as unknown as { volumes?: string[] }).volumes;
    expect(volumes("penpot")).toEqual(["penpot-data:/opt/data/assets"]);
    expect(volumes("penpot-backend")).toEqual(["penpot-data:/opt/data/assets"]);
    expect(volumes("penpot-exporter")).toBeUndefined();
    expect(services["penpot-exporter"]!.environment).toEqual({ PENPOT_PUBLIC_URI: "http://penpot:8080", PENPOT_REDIS_URI: "redis://penpot-redis/0" });
  });

  it("keeps Penpot's 1024 MiB: frontend 128, backend 640, exporter 256", () => {
    const mem = (name: string) => (services[name] as unknown as { mem_limit: string }).mem_limit;
    expect([mem("penpot"), mem("penpot-backend"), mem("penpot-exporter")]).toEqual(["128m", "640m", "256m"]);
  });
});

describe("vaultwarden (.env.template, wiki Enabling HTTPS, docker/Dockerfile.debian)", () => {
  it("is told the https address it is served from, and keeps its data in /data on port 80", () => {
    const vaultwarden = render(["vaultwarden"]).services.vaultwarden as unknown as Service & { volumes: string[]; ports: string[] };
    expect(vaultwarden.environment).toMatchObject({ DOMAIN: "https://vault.acme.eu.letsbe.biz" });
    expect(vaultwarden.volumes).toEqual(["vaultwarden-data:/data"]);
    expect(vaultwarden.ports).toEqual(["127.0.0.1:3047:80"]);
  });
});

describe("every tool's wiring is now its image's own (per-tool tests: tests/compose/tools.test.ts)", () => {
  it("gitea reads GITEA__database__HOST (docs.gitea.com, Installation with Docker), not the generic DATABASE_HOST, and keeps the curl/wget probe", () => {
    const gitea = render(["gitea"]).services.gitea!;
    expect(gitea.environment).toMatchObject({ GITEA__database__HOST: "gitea-db:5432" });
    expect(gitea.environment).not.toHaveProperty("DATABASE_HOST");
    expect(gitea.healthcheck.test[0]).toBe("CMD-SHELL");
  });
});
