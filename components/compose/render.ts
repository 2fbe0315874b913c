/**
 * Renders a tenant's compose project from the catalog, the spec and the release pins: every
 * image by digest, every port on 127.0.0.1 except a mail tool's mail ports (nginx, on the
 * host, is the only public web listener), memory limits from the catalog, health checks,
 * named volumes and database sidecars. Pure: same input, same bytes.
 */
import { createHash } from "node:crypto";
import { dump } from "js-yaml";
import { CatalogImage, ReleasePins, SIDECAR_IMAGES, SIDECAR_RAM_MB, TOOLS, Tool, ToolId, imageRef } from "../../tenants/catalog";
import { CORE_SERVICES, DATABASE_RUNTIME, HostProbe, MAIL_CONTAINER_PORTS, httpProbe, toolRuntime } from "./services";

export const COMPOSE_PROJECT = "letsbe";
export const SECRETS_DIR = "/opt/letsbe/secrets";
export const TLS_DIR = "/etc/letsbe/tls/current";

/** Health check timing, seconds. Defaults - interval 15, timeout 5, retries 5, start period 60. */
export interface HealthTiming {
  readonly intervalS: number;
  readonly timeoutS: number;
  readonly retries: number;
  readonly startPeriodS: number;
}

export const DEFAULT_HEALTH: HealthTiming = { intervalS: 15, timeoutS: 5, retries: 5, startPeriodS: 60 };

export interface ComposeInput {
  readonly slug: string;
  /** The tenant's domain; tools are served on `<subdomain>.<domain>`. */
  readonly domain: string;
  readonly tools: readonly ToolId[];
  readonly release: ReleasePins;
  /** Tool definitions. Default - the catalog's `TOOLS`. */
  readonly toolCatalog?: Readonly<Record<ToolId, Tool>>;
  /** Sidecar images. Default - the catalog's `SIDECAR_IMAGES`. */
  readonly sidecarImages?: Readonly<Record<keyof typeof SIDECAR_IMAGES, CatalogImage>>;
  readonly health?: HealthTiming;
}

export interface ManifestService {
  readonly image: string;
  /** Compose volume keys this service mounts (snapshotted before its image changes). */
  readonly volumes: string[];
  /** sha256 of the service's compose definition: a changed one is recreated, so snapshotted first. */
  readonly config: string;
  /** Services it waits for (compose `depends_on`): snapshotted with it, since it may migrate them. */
  readonly dependsOn: string[];
  /** A database sidecar: backed up by a dump through its container, never by copying its volume. */
  readonly database?: { readonly engine: "postgres" | "mysql"; readonly name: string; readonly user: string };
  /** The host's HTTP check of an image that cannot probe itself (apply.sh runs it after `up`). */
  readonly probe?: HostProbe;
}

/** What the apply script reads: pins, services with their volumes, secrets to generate on the host. */
export interface ComposeManifest {
  readonly project: string;
  readonly releaseLabel: string;
  readonly release: ReleasePins;
  readonly services: Record<string, ManifestService>;
  /** Env files the host fills with generated values (never in Pulumi state), by path. */
  readonly envFiles: Record<string, string[]>;
}

export interface RenderedCompose {
  readonly composeYaml: string;
  readonly nginxConf: string;
  readonly manifest: ComposeManifest;
  readonly manifestJson: string;
  /** sha256 of everything rendered. */
  readonly hash: string;
}

type Service = Record<string, unknown>;

export function releaseLabel(release: ReleasePins): string {
  return `openclaw ${release.openclaw.tag}, safety-wrapper ${release.safetyWrapper.tag}, secrets-proxy ${release.secretsProxy.tag}, policy ${release.policyBundle}`;
}

export function renderCompose(input: ComposeInput): RenderedCompose {
  const catalog = input.toolCatalog ?? TOOLS;
  const sidecars = input.sidecarImages ?? SIDECAR_IMAGES;
  const timing = input.health ?? DEFAULT_HEALTH;
  const healthcheck = (probe: string | readonly string[]) => ({
    test: typeof probe === "string" ? ["CMD-SHELL", probe] : [...probe],
    interval: `${timing.intervalS}s`,
    timeout: `${timing.timeoutS}s`,
    retries: timing.retries,
    start_period: `${timing.startPeriodS}s`,
  });
  const services: Record<string, Service> = {};
  const manifestServices: Record<string, ManifestService> = {};
  const envFiles: Record<string, string[]> = { [`${SECRETS_DIR}/hub.env`]: [] };
  /** `more`: further named volumes of the service, container path by volume key. */
  interface Extra { readonly database?: ManifestService["database"]; readonly probe?: HostProbe; readonly more?: Readonly<Record<string, string>> }
  const add = (name: string, image: CatalogImage, volume: string | undefined, dataPath: string, service: Service, extra: Extra = {}) => {
    const { database, probe } = extra;
    const mounts = [...(volume ? [[volume, dataPath]] : []), ...Object.entries(extra.more ?? {})];
    services[name] = {
      image: imageRef(image),
      restart: "unless-stopped",
      ...service,
      ...(mounts.length > 0 ? { volumes: mounts.map(([key, path]) => `${key}:${path}`) } : {}),
      logging: { driver: "json-file", options: { "max-size": "10m", "max-file": "3" } },
    };
    const dependsOn = Object.keys((service.depends_on ?? {}) as Record<string, unknown>).sort();
    const config = createHash("sha256").update(JSON.stringify(services[name])).digest("hex");
    manifestServices[name] = { image: imageRef(image), volumes: mounts.map(([key]) => key), config, dependsOn, ...(database ? { database } : {}), ...(probe ? { probe: { ...probe } } : {}) };
  };

  const core = (key: keyof typeof CORE_SERVICES, image: CatalogImage, extra: Service) => {
    const def = CORE_SERVICES[key];
    add(key, image, `${key}-data`, "/data", {
      mem_limit: `${def.ramMb}m`,
      ports: [`127.0.0.1:${def.port}:${def.port}`],
      healthcheck: healthcheck(httpProbe(def.port, def.healthPath)),
      ...extra,
    });
  };
  core("secrets-proxy", input.release.secretsProxy, { environment: { LETSBE_TENANT: input.slug } });
  core("safety-wrapper", input.release.safetyWrapper, {
    environment: { LETSBE_TENANT: input.slug, LETSBE_POLICY_BUNDLE: input.release.policyBundle },
  });
  core("openclaw", input.release.openclaw, {
    env_file: [`${SECRETS_DIR}/hub.env`],
    environment: {
      LETSBE_TENANT: input.slug,
      LETSBE_DOMAIN: input.domain,
      LETSBE_SAFETY_WRAPPER_URL: `http://safety-wrapper:${CORE_SERVICES["safety-wrapper"].port}`,
      LETSBE_SECRETS_PROXY_URL: `http://secrets-proxy:${CORE_SERVICES["secrets-proxy"].port}`,
    },
    depends_on: { "safety-wrapper": { condition: "service_healthy" }, "secrets-proxy": { condition: "service_healthy" } },
  });

  for (const id of [...input.tools].sort()) {
    const tool = catalog[id];
    const runtime = toolRuntime(id);
    const name = id.replace(/_/g, "-");
    const envFile = `${SECRETS_DIR}/${name}.env`;
    const generated = ["APP_SECRET", ...(runtime.generated ?? [])];
    const dependsOn: Record<string, { condition: string }> = {};
    const environment: Record<string, string> = { LETSBE_DOMAIN: `${tool.subdomain}.${input.domain}` };
    let database: { host: string; name: string; user: string } | undefined;
    if (tool.database) {
      const db = DATABASE_RUNTIME[tool.database];
      generated.push(...db.generated);
      const dbEnv = tool.database === "postgres"
        ? { POSTGRES_USER: name, POSTGRES_DB: name }
        : { MYSQL_USER: name, MYSQL_DATABASE: name };
      add(`${name}-db`, sidecars[tool.database], `${name}-db-data`, db.dataPath, {
        mem_limit: `${SIDECAR_RAM_MB[tool.database]}m`,
        env_file: [envFile],
        environment: dbEnv,
        healthcheck: healthcheck(db.probe),
      }, { database: { engine: tool.database, name, user: name } });
      database = { host: `${name}-db`, name, user: name };
      Object.assign(environment, dbEnv, runtime.databaseEnv ? runtime.databaseEnv(database) : { DATABASE_HOST: database.host });
      dependsOn[`${name}-db`] = { condition: "service_healthy" };
    }
    if (tool.redis) {
      add(`${name}-redis`, sidecars.redis, `${name}-redis-data`, DATABASE_RUNTIME.redis.dataPath, {
        mem_limit: `${SIDECAR_RAM_MB.redis}m`,
        healthcheck: healthcheck(DATABASE_RUNTIME.redis.probe),
      });
      environment.REDIS_URL = `redis://${name}-redis:6379`;
      dependsOn[`${name}-redis`] = { condition: "service_healthy" };
    }
    const url = `https://${tool.subdomain}.${input.domain}`;
    if (runtime.environment) Object.assign(environment, runtime.environment(url));
    envFiles[envFile] = generated;
    const sidecarsReady = { ...dependsOn };
    for (const companion of tool.companions ?? []) {
      const wiring = runtime.companions?.[companion.name];
      if (!wiring) throw new Error(`tool ${id}: companion ${companion.name} has no wiring in components/compose/services.ts`);
      const service = `${name}-${companion.name}`;
      add(service, companion.image, wiring.sharedDataPath ? `${name}-data` : undefined, wiring.sharedDataPath ?? "", {
        mem_limit: `${companion.ramMb}m`,
        env_file: [envFile],
        environment: wiring.environment({ url, service: name, ...(database ? { db: database } : {}), ...(tool.redis ? { redisHost: `${name}-redis` } : {}) }),
        ...(wiring.entrypoint ? { entrypoint: [...wiring.entrypoint] } : {}),
        ...(wiring.command ? { command: [...wiring.command] } : {}),
        // No healthcheck key: compose's `up --wait` refuses a disabled one ("has no healthcheck
        // configured"); the image's own HEALTHCHECK applies, or its running state.
        ...(wiring.usesSidecars && Object.keys(sidecarsReady).length > 0 ? { depends_on: sidecarsReady } : {}),
      }, wiring.hostProbe ? { probe: wiring.hostProbe } : {});
      dependsOn[service] = { condition: "service_started" };
    }
    const ports = [`127.0.0.1:${tool.port}:${tool.containerPort}`];
    if (tool.mail) ports.push(...MAIL_CONTAINER_PORTS.map((port) => `${port}:${port}`));
    add(name, tool.image, `${name}-data`, runtime.dataPath, {
      mem_limit: `${tool.ramMb}m`,
      ports,
      env_file: [envFile],
      environment,
      ...(runtime.noSelfProbe ? {} : { healthcheck: healthcheck(runtime.healthTest ?? httpProbe(tool.containerPort, runtime.healthPath)) }),
      ...(runtime.entrypoint ? { entrypoint: [...runtime.entrypoint] } : {}),
      ...(runtime.command ? { command: [...runtime.command] } : {}),
      ...(Object.keys(dependsOn).length > 0 ? { depends_on: dependsOn } : {}),
    }, {
      ...(runtime.noSelfProbe && runtime.hostProbe ? { probe: { port: tool.containerPort, ...runtime.hostProbe } } : {}),
      ...(runtime.moreVolumes ? { more: Object.fromEntries(Object.entries(runtime.moreVolumes).map(([key, path]) => [`${name}-${key}`, path])) } : {}),
    });
  }

  const volumes = Object.fromEntries(
    Object.values(manifestServices).flatMap((s) => s.volumes).sort().map((v) => [v, {}]),
  );
  // No top-level `name`: apply.sh passes the project name (-p), and older schema readers reject it.
  // js-yaml emits this in a tenth of the time `yaml` takes; plans render one per tenant.
  const composeYaml = dump({ services, volumes }, { lineWidth: -1, noRefs: true });
  const manifest: ComposeManifest = {
    project: COMPOSE_PROJECT,
    releaseLabel: releaseLabel(input.release),
    release: input.release,
    services: manifestServices,
    envFiles,
  };
  const manifestJson = `${JSON.stringify(manifest, null, 2)}\n`;
  const nginxConf = renderNginx(input, catalog);
  const hash = createHash("sha256").update(composeYaml).update("\0").update(nginxConf).update("\0").update(manifestJson).digest("hex");
  return { composeYaml, nginxConf, manifest, manifestJson, hash };
}

/** One TLS server block per tool subdomain, proxying to the tool's 127.0.0.1 port. */
export function renderNginx(input: Pick<ComposeInput, "domain" | "tools">, catalog: Readonly<Record<ToolId, Tool>> = TOOLS): string {
  const blocks = [...input.tools].sort().map((id) => {
    const tool = catalog[id];
    return [
      `# ${id}`,
      "server {",
      "    listen 443 ssl;",
      "    listen [::]:443 ssl;",
      `    server_name ${tool.subdomain}.${input.domain};`,
      "    server_tokens off;",
      "    ssl_protocols TLSv1.2 TLSv1.3;",
      `    ssl_certificate ${TLS_DIR}/fullchain.pem;`,
      `    ssl_certificate_key ${TLS_DIR}/privkey.pem;`,
      "    location / {",
      `        proxy_pass http://127.0.0.1:${tool.port};`,
      "        proxy_http_version 1.1;",
      "        proxy_set_header Host $host;",
      "        proxy_set_header X-Real-IP $remote_addr;",
      "        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
      "        proxy_set_header X-Forwarded-Proto https;",
      "        proxy_set_header Upgrade $http_upgrade;",
      "        proxy_set_header Connection $connection_upgrade;",
      "    }",
      "}",
    ].join("\n");
  });
  const header = [
    "# Managed by LetsBe: one server block per tool subdomain.",
    "map $http_upgrade $connection_upgrade {",
    "    default upgrade;",
    "    '' close;",
    "}",
  ].join("\n");
  return `${[header, ...blocks].join("\n\n")}\n`;
}
