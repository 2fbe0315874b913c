import { join } from "node:path";
import { readFileSync } from "node:fs";
import { load } from "js-yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { MockRunResult, RecordedResource, runUnderMocks } from "../../automation/plan/mockRuntime";
import { HUB_SECRET_PLACEHOLDERS, hubRunOptions } from "../../automation/plan/stackConfig";
import { repoRoot } from "../../automation/repoRoot";
import { BASE_STAGES } from "../../components/host";
import { HUB_STACK_OUTPUT_NAMES, hubStackOutputsSchema } from "../../contracts/hub";
import { hubProgram } from "../../stacks/hub/program";
import { byType, one } from "../helpers/fixtures";

/** What the hub pulls for `repository:tag` in Pulumi.<stack>.yaml: by the lock's digest, by tag while it holds none. */
const LOCK = JSON.parse(readFileSync(join(__dirname, "..", "..", "tenants", "images.lock.json"), "utf8")) as { images: Array<{ repository: string; tag: string; digest?: string }> };
const pulledRef = (ref: string): string => {
  const entry = LOCK.images.find((e) => `${e.repository}:${e.tag}` === ref);
  return entry?.digest ? `${entry.repository}@${entry.digest}` : ref;
};
const runs: Record<string, MockRunResult> = {};
const STRIPE_KEY = "sk_live_only_in_secret_config_4f1e";

beforeAll(async () => {
  for (const stack of ["prod-eu", "prod-us", "staging"]) {
    const options = hubRunOptions(repoRoot(), stack, { org: "letsbe" });
    const config = { ...options.config, "letsbe-hub:secretEnvironment": JSON.stringify({ STRIPE_SECRET_KEY: STRIPE_KEY }) };
    runs[stack] = await runUnderMocks(hubProgram, { ...options, config });
  }
});

const named = (r: MockRunResult, name: string) => {
  const found = r.resources.find((x) => x.name === name);
  if (!found) throw new Error(`no resource ${name}`);
  return found;
};
interface ComposeService { image: string; container_name: string; ports?: string[]; networks: string[]; restart: string; healthcheck: { test: string[] }; env_file: string[]; environment?: unknown; network_mode?: string }
/** The hub's compose file, as the apps stage copies it. */
const compose = (r: MockRunResult, region: string) => load(String((named(r, `hub-${region}-apps-compose`).plainInputs.source as { text: string }).text)) as {
  services: Record<string, ComposeService>; networks: Record<string, { name: string; internal?: boolean }>;
};
/** One secret of a stage's stdin (`NAME=base64` lines), decoded. */
const stdinSecret = (r: MockRunResult, stage: string, name: string): string => {
  const line = String(named(r, stage).plainInputs.stdin).split("\n").find((l) => l.startsWith(`${name}=`));
  if (!line) throw new Error(`no ${name} on ${stage}'s stdin`);
  return Buffer.from(line.slice(name.length + 1), "base64").toString("utf8");
};
/** A variable of an env file as the apps stage writes it (`KEY='value'`). */
const envValue = (file: string, key: string) => (file.split("\n").find((l) => l.startsWith(`${key}=`)) ?? "").slice(key.length + 1).replace(/^'|'$/g, "");

describe.each(["prod-eu", "prod-us"] as const)("hub stack %s", (stack) => {
  const region = stack.slice("prod-".length);

  it("declares every resource once (no URN collides)", () => {
    const urns = runs[stack].resources.map((r) => r.urn);
    expect(new Set(urns).size).toBe(urns.length);
  });

  it("hardens the hub with the tenants' base stages, in order, before any container", () => {
    const result = runs[stack];
    const stages = BASE_STAGES.map((stage) => named(result, `hub-${region}-${stage}`));
    expect(stages.map((s) => s.type)).toEqual(BASE_STAGES.map(() => "command:remote:Command"));
    for (let i = 1; i < stages.length; i++) expect(stages[i].dependencies).toContain(stages[i - 1].urn);
    const tls = named(result, `hub-${region}-tls`);
    expect(String(tls.plainInputs.create)).toContain(`LB_DOMAIN='hub.${region}.letsbe.biz'`);
    expect(tls.secretPaths).toContain("stdin");
    expect(String(named(result, `hub-${region}-firewall`).plainInputs.create)).toContain("LB_MGMT_CIDRS='198.51.100.");
    // The WireGuard hub role comes between the base stages and the containers.
    expect(named(result, `hub-${region}-wireguard`).dependencies).toContain(stages[stages.length - 1].urn);
    expect(named(result, `hub-${region}-apps`).dependencies).toContain(named(result, `hub-${region}-wireguard`).urn);
  });

  it("exports every contract output, valid, with its own region", () => {
    const { plainOutputs } = runs[stack];
    // The committed stacks name no Storage Box (tests/hub/hubOffsite.test.ts): no such output.
    expect(Object.keys(plainOutputs).sort()).toEqual(HUB_STACK_OUTPUT_NAMES.filter((n) => n !== "offsiteStorageBoxId").sort());
    const outputs = hubStackOutputsSchema.parse(plainOutputs);
    expect(outputs.region).toBe(region);
    expect(outputs.hubUrl).toBe(`https://hub.${region}.letsbe.biz`);
    expect(outputs.tenantApiUrl).toBe(`https://hub.${region}.letsbe.biz/api/v1/tenant`);
    expect(outputs.tenantBaseDomain).toBe(`${region}.letsbe.biz`);
  });

  it("is the WireGuard hub of its region's own network, and runs the snapshot job", () => {
    const { plainOutputs } = runs[stack];
    const network = { eu: "10.200.0.0/16", us: "10.201.0.0/16" }[region];
    expect(plainOutputs.wireguard).toMatchObject({ network, port: 51820, hubAddress: network?.replace("0.0/16", "0.1") });
    // prod-eu's job takes the Netcup tenants of both sites (one SCP account), prod-us its Hetzner project's alone.
    const tokens = { eu: "NETCUP_REFRESH_TOKEN:netcup-refresh-token HCLOUD_TOKEN:hcloud-token", us: "HCLOUD_TOKEN:hcloud-token" }[region];
    expect(String(named(runs[stack], `hub-${region}-snapshots`).plainInputs.create)).toContain(`LB_SNAPSHOT_TOKENS='${tokens}'`);
  });

  it("lets its own addresses reach tenant SSH, since the hub provisions tenants", () => {
    const outputs = hubStackOutputsSchema.parse(runs[stack].plainOutputs);
    expect(outputs.managementCidrs).toEqual(expect.arrayContaining([`${outputs.hubIpv4}/32`, `${outputs.hubIpv6}/128`]));
  });

  it("runs the four containers from images pinned by the lock's digest (by tag where it holds none), and keeps the previous pins pulled", () => {
    const { services } = compose(runs[stack], region);
    expect(Object.values(services).map((x) => x.container_name).sort()).toEqual(["letsbe-hub", "letsbe-hub-db", "letsbe-hub-notifications", "letsbe-hub-worker"]);
    const outputs = hubStackOutputsSchema.parse(runs[stack].plainOutputs);
    expect(Object.values(services).map((x) => x.image).sort()).toEqual(Object.values(outputs.currentImages).map(pulledRef).sort());
    const command = String(named(runs[stack], `hub-${region}-apps`).plainInputs.create);
    for (const id of ["postgres", "hubWebApi", "hubWorker", "notifications"]) {
      const current = outputs.currentImages[id].replace(/:[^:/@]+@/, "@");
      const previous = outputs.previousImages[id].replace(/:[^:/@]+@/, "@");
      expect(previous).not.toBe(current);
      expect(Object.values(services).map((x) => x.image)).toContain(current);
      expect(command).toContain(previous);
    }
  });

  it("binds container ports to 127.0.0.1 only; the database publishes none and sits on an internal network", () => {
    const { services, networks } = compose(runs[stack], region);
    for (const service of Object.values(services)) {
      for (const port of service.ports ?? []) expect(port, service.container_name).toMatch(/^127\.0\.0\.1:/);
      expect(service.network_mode).toBeUndefined();
    }
    expect(services.db.ports).toBeUndefined();
    expect(services["hub-web-api"].ports).toEqual(["127.0.0.1:3847:3000"]);
    expect(networks.db).toEqual({ name: "letsbe-hub-db", internal: true });
    expect(services.db.networks).toEqual(["db"]);
    expect(services["hub-worker"].networks).toEqual(["app", "db"]);
  });

  it("gives every container a health check and unless-stopped; the stage ups with the health gate", () => {
    for (const service of Object.values(compose(runs[stack], region).services)) {
      expect(service.restart).toBe("unless-stopped");
      expect(service.healthcheck.test[0]).toBe("CMD-SHELL");
      // Environment only from the env files the stage writes from its secrets.
      expect(service.environment).toBeUndefined();
    }
    expect(String(named(runs[stack], `hub-${region}-apps`).plainInputs.create)).toContain("LB_WAIT_TIMEOUT='180'");
  });

  it("runs the hub's stages after the base stages, each after the one before, nginx after DNS", () => {
    const result = runs[stack];
    const stage = (n: string) => named(result, `hub-${region}-${n}`);
    expect(stage("wireguard").dependencies).toContain(stage("hardening").urn);
    expect(stage("apps").dependencies).toContain(stage("wireguard").urn);
    expect(stage("site").dependencies).toContain(stage("apps").urn);
    expect(stage("backup").dependencies).toContain(stage("site").urn);
    for (const record of byType(result.resources, "cloudflare:index/dnsRecord:DnsRecord")) expect(stage("site").dependencies).toContain(record.urn);
    expect(result.resources.filter((r) => r.type.startsWith("docker:") || r.type === "pulumi:providers:docker")).toEqual([]);
  });

  it("adopts the region's Netcup server by name", () => {
    const server = one(runs[stack].resources, "pulumi-nodejs:dynamic/netcup:Server");
    expect(server.plainInputs).toMatchObject({ region, owner: `letsbe-hub-${region}`, hostname: `hub.${region}.letsbe.biz` });
    expect(server.plainInputs.serverName).toMatch(/^v\d+$/);
    expect(server.protect).toBe(true);
    expect(server.secretPaths).toContain("refreshToken");
  });

  it("points A and AAAA for the hub name at the server, unproxied, in the platform zone", () => {
    const outputs = hubStackOutputsSchema.parse(runs[stack].plainOutputs);
    const records = byType(runs[stack].resources, "cloudflare:index/dnsRecord:DnsRecord").map((r) => r.plainInputs);
    expect(records).toEqual([
      expect.objectContaining({ name: `hub.${region}.letsbe.biz`, type: "A", content: outputs.hubIpv4, proxied: false, zoneId: outputs.cloudflareZoneId }),
      expect.objectContaining({ name: `hub.${region}.letsbe.biz`, type: "AAAA", content: outputs.hubIpv6, proxied: false, zoneId: outputs.cloudflareZoneId }),
    ]);
  });
});

describe("hub secrets", () => {
  const secretValues = (result: MockRunResult): string[] => {
    const app = stdinSecret(result, "hub-eu-apps", "HUB_APP_ENV");
    return [
      envValue(stdinSecret(result, "hub-eu-apps", "HUB_DB_ENV"), "POSTGRES_PASSWORD"),
      envValue(app, "NEXTAUTH_SECRET"),
      envValue(app, "STRIPE_SECRET_KEY"),
      STRIPE_KEY,
      HUB_SECRET_PLACEHOLDERS["letsbe-hub:rcloneConfig"],
      HUB_SECRET_PLACEHOLDERS["letsbe-hub:provisioningPrivateKey"],
      HUB_SECRET_PLACEHOLDERS["letsbe-hub:cloudflareDnsToken"],
      HUB_SECRET_PLACEHOLDERS["letsbe-hub:netcupRefreshToken"],
    ];
  };

  it("generates the database password and auth secret, and hands them only to the containers", () => {
    const result = runs["prod-eu"];
    const [dbPassword, authSecret] = secretValues(result);
    expect(named(result, "hub-eu-db-password").plainInputs).toMatchObject({ length: 40, special: false });
    expect(named(result, "hub-eu-auth-secret").plainInputs).toMatchObject({ length: 64, special: false });
    // The database keeps the password it was initialised with: protected like the server.
    for (const name of ["hub-eu-db-password", "hub-eu-auth-secret"]) expect(named(result, name).protect, name).toBe(true);
    expect(dbPassword).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    expect(authSecret).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    expect(authSecret).not.toBe(dbPassword);
    expect(envValue(stdinSecret(result, "hub-eu-apps", "HUB_APP_ENV"), "DATABASE_URL")).toBe(`postgresql://letsbe_hub:${dbPassword}@db:5432/letsbe_hub`);
  });

  it("marks every input carrying a secret as secret, and shows none in inputs or outputs", () => {
    const result = runs["prod-eu"];
    for (const name of ["hub-eu-apps", "hub-eu-site", "hub-eu-backup"]) {
      expect(named(result, name).secretPaths.some((p) => p.startsWith("connection")), name).toBe(true);
    }
    for (const name of ["hub-eu-apps", "hub-eu-backup"]) expect(named(result, name).secretPaths, name).toContain("stdin");
    const shown = JSON.stringify([result.resources.map((r: RecordedResource) => r.inputs), result.outputs]);
    for (const value of secretValues(result)) {
      expect(value.length).toBeGreaterThan(8);
      expect(shown.includes(value)).toBe(false);
    }
    // The plain parts of the rclone config never surface either (it travels only in stdin).
    expect(shown).not.toMatch(/access_key_id|PRIVATE KEY-----/);
  });

  it("hands the rclone credentials to the backup stage on stdin only", () => {
    expect(stdinSecret(runs["prod-eu"], "hub-eu-backup", "BACKUP_RCLONE_CONFIG")).toBe(HUB_SECRET_PLACEHOLDERS["letsbe-hub:rcloneConfig"]);
    expect(String(named(runs["prod-eu"], "hub-eu-backup").plainInputs.create)).toContain("LB_RCLONE_CONFIG='/etc/letsbe/rclone.conf'");
  });
});

describe("staging hub", () => {
  it("runs on Hetzner with only nginx reachable from anywhere", () => {
    const result = runs.staging;
    expect(one(result.resources, "hcloud:index/server:Server").plainInputs).toMatchObject({ name: "letsbe-hub-staging", location: "nbg1", serverType: "cpx31" });
    const rules = one(result.resources, "hcloud:index/firewall:Firewall").plainInputs.rules as Array<{ port?: string; protocol: string; sourceIps: string[] }>;
    const open = rules.filter((r) => r.sourceIps.includes("0.0.0.0/0") && r.port !== undefined).map((r) => `${r.port}/${r.protocol}`).sort();
    // nginx, and WireGuard's UDP port (spokes dial in from anywhere).
    expect(open).toEqual(["443/tcp", "51820/udp", "80/tcp"]);
    expect(rules.find((r) => r.port === "22")?.sourceIps).toEqual(["198.51.100.10/32", "2001:db8:100::/48"]);
  });

  it("shares prod-eu's WireGuard network (the order flow allocates eu addresses from prod-eu's) and snapshots its Hetzner project", () => {
    expect(runs.staging.plainOutputs.wireguard).toMatchObject({ network: "10.200.0.0/16", hubAddress: "10.200.0.1" });
    expect(String(named(runs.staging, "hub-eu-snapshots").plainInputs.create)).toContain("LB_SNAPSHOT_TOKENS='HCLOUD_TOKEN:hcloud-token'");
  });

  it("is unprotected so it can be rebuilt, and exports release candidates", () => {
    const result = runs.staging;
    expect(one(result.resources, "hcloud:index/server:Server").protect).toBe(false);
    expect(named(result, "hub-eu-db-password").protect).toBe(false);
    expect(String((result.plainOutputs.currentImages as Record<string, string>).hubWebApi)).toBe("code.letsbe.solutions/letsbe/hub-web-api:2026.11.4-rc.1");
  });
});
