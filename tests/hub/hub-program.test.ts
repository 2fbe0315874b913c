import { beforeAll, describe, expect, it } from "vitest";
import { MockRunResult, RecordedResource, runUnderMocks } from "../../automation/plan/mockRuntime";
import { HUB_SECRET_PLACEHOLDERS, hubRunOptions } from "../../automation/plan/stackConfig";
import { repoRoot } from "../../automation/repoRoot";
import { BASE_STAGES } from "../../components/host";
import { HUB_STACK_OUTPUT_NAMES, hubStackOutputsSchema } from "../../contracts/hub";
import { hubProgram } from "../../stacks/hub/program";
import { byType, one } from "../helpers/fixtures";

const DIGEST_PINNED = /^[a-z0-9.:/-]+@sha256:[0-9a-f]{64}$/;
const runs: Record<string, MockRunResult> = {};
const STRIPE_KEY = "sk_live_only_in_secret_config_4f1e";

beforeAll(async () => {
  for (const stack of ["prod-eu", "prod-us", "staging"]) {
    const options = hubRunOptions(repoRoot(), stack, { org: "letsbe" });
    const config = { ...options.config, "letsbe-hub:secretEnvironment": JSON.stringify({ STRIPE_SECRET_KEY: STRIPE_KEY }) };
    runs[stack] = await runUnderMocks(hubProgram, { ...options, config });
  }
});

const dockerResources = (r: MockRunResult) => r.resources.filter((x) => x.type.startsWith("docker:"));
const containers = (r: MockRunResult) => byType(r.resources, "docker:index/container:Container");
const named = (r: MockRunResult, name: string) => {
  const found = r.resources.find((x) => x.name === name);
  if (!found) throw new Error(`no resource ${name}`);
  return found;
};

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
    const last = stages[stages.length - 1].urn;
    for (const container of containers(result)) expect(container.dependencies, container.name).toContain(last);
    expect(named(result, `hub-${region}-site`).dependencies).toContain(last);
  });

  it("exports every contract output, valid, with its own region", () => {
    const { plainOutputs } = runs[stack];
    expect(Object.keys(plainOutputs).sort()).toEqual([...HUB_STACK_OUTPUT_NAMES].sort());
    const outputs = hubStackOutputsSchema.parse(plainOutputs);
    expect(outputs.region).toBe(region);
    expect(outputs.hubUrl).toBe(`https://hub.${region}.letsbe.biz`);
    expect(outputs.tenantApiUrl).toBe(`https://hub.${region}.letsbe.biz/api/v1/tenant`);
    expect(outputs.tenantBaseDomain).toBe(`${region}.letsbe.biz`);
  });

  it("lets its own addresses reach tenant SSH, since the hub provisions tenants", () => {
    const outputs = hubStackOutputsSchema.parse(runs[stack].plainOutputs);
    expect(outputs.managementCidrs).toEqual(expect.arrayContaining([`${outputs.hubIpv4}/32`, `${outputs.hubIpv6}/128`]));
  });

  it("pins every image by digest and runs each container from a pulled, pinned image", () => {
    const result = runs[stack];
    const images = byType(result.resources, "docker:index/remoteImage:RemoteImage");
    expect(images).toHaveLength(8);
    for (const image of images) {
      expect(image.plainInputs.name).toMatch(DIGEST_PINNED);
      expect(image.plainInputs.keepLocally).toBe(true);
    }
    const imageUrns = new Set(images.map((i) => i.urn));
    expect(containers(result)).toHaveLength(4);
    for (const container of containers(result)) {
      expect(container.plainInputs.image).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(container.dependencies.some((d) => imageUrns.has(d)), container.name).toBe(true);
    }
  });

  it("exports the current and previous digests, both pulled on the hub", () => {
    const outputs = hubStackOutputsSchema.parse(runs[stack].plainOutputs);
    const pulled = byType(runs[stack].resources, "docker:index/remoteImage:RemoteImage").map((i) => String(i.plainInputs.name));
    for (const service of ["postgres", "hubWebApi", "hubWorker", "notifications"]) {
      const current = outputs.currentImages[service];
      const previous = outputs.previousImages[service];
      expect(current).toMatch(/@sha256:/);
      expect(previous).toMatch(/@sha256:/);
      expect(previous).not.toBe(current);
      for (const ref of [current, previous]) expect(pulled).toContain(ref.replace(/:[^:/@]+@/, "@"));
    }
  });

  it("binds container ports to 127.0.0.1 only; the database publishes none", () => {
    for (const container of containers(runs[stack])) {
      const ports = (container.plainInputs.ports ?? []) as Array<Record<string, unknown>>;
      for (const port of ports) expect(port.ip, container.name).toBe("127.0.0.1");
      expect(container.plainInputs.networkMode).toBeUndefined();
      expect(container.plainInputs.publishAllPorts).toBeUndefined();
    }
    expect(named(runs[stack], `hub-${region}-postgres`).plainInputs.ports ?? []).toEqual([]);
    expect(named(runs[stack], `hub-${region}-hubWebApi`).plainInputs.ports).toEqual([{ internal: 3000, external: 3847, ip: "127.0.0.1", protocol: "tcp" }]);
  });

  it("keeps the database on an internal network the apps share", () => {
    const db = named(runs[stack], `hub-${region}-db-network`);
    expect(db.plainInputs).toMatchObject({ name: "letsbe-hub-db", internal: true });
    expect(named(runs[stack], `hub-${region}-postgres`).plainInputs.networksAdvanced).toEqual([{ name: "letsbe-hub-db", aliases: ["db"] }]);
  });

  it("gives every container a health check, unless-stopped and a health-gated create", () => {
    for (const container of containers(runs[stack])) {
      expect(container.plainInputs.restart).toBe("unless-stopped");
      expect((container.plainInputs.healthcheck as { tests: string[] }).tests[0]).toBe("CMD-SHELL");
      expect(container.plainInputs.wait).toBe(true);
    }
    expect(named(runs[stack], `hub-${region}-postgres`).plainInputs.image).toBeDefined();
  });

  it("reaches the engine over SSH at the hub's address, for every docker resource", () => {
    const result = runs[stack];
    const provider = one(result.resources, "pulumi:providers:docker");
    expect(provider.plainInputs.host).toBe(`ssh://root@${result.plainOutputs.hubIpv4}:22`);
    expect(String(provider.plainInputs.sshOpts)).toContain("~/.ssh/letsbe-provisioning");
    const docker = dockerResources(result);
    expect(docker.length).toBeGreaterThan(10);
    for (const resource of docker) expect(resource.provider?.startsWith(`${provider.urn}::`), resource.name).toBe(true);
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
    const env = (name: string) => (named(result, name).plainInputs.envs as string[]);
    const pick = (list: string[], key: string) => (list.find((e) => e.startsWith(`${key}=`)) ?? "").slice(key.length + 1);
    const app = env("hub-eu-hubWebApi");
    return [
      pick(env("hub-eu-postgres"), "POSTGRES_PASSWORD"),
      pick(app, "NEXTAUTH_SECRET"),
      pick(app, "STRIPE_SECRET_KEY"),
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
    expect(dbPassword).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    expect(authSecret).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    expect(authSecret).not.toBe(dbPassword);
    const url = (named(result, "hub-eu-hubWorker").plainInputs.envs as string[]).find((e) => e.startsWith("DATABASE_URL="));
    expect(url).toBe(`DATABASE_URL=postgresql://letsbe_hub:${dbPassword}@db:5432/letsbe_hub`);
  });

  it("marks every input carrying a secret as secret, and shows none in inputs or outputs", () => {
    const result = runs["prod-eu"];
    for (const name of ["hub-eu-postgres", "hub-eu-hubWebApi", "hub-eu-hubWorker", "hub-eu-notifications"]) {
      expect(named(result, name).secretPaths, name).toContain("envs");
    }
    for (const name of ["hub-eu-site", "hub-eu-backup"]) {
      expect(named(result, name).secretPaths.some((p) => p.startsWith("connection")), name).toBe(true);
    }
    expect(named(result, "hub-eu-backup").secretPaths).toContain("stdin");
    const shown = JSON.stringify([result.resources.map((r: RecordedResource) => r.inputs), result.outputs]);
    for (const value of secretValues(result)) {
      expect(value.length).toBeGreaterThan(8);
      expect(shown.includes(value)).toBe(false);
    }
    // The plain parts of the rclone config never surface either (it travels only in stdin).
    expect(shown).not.toMatch(/access_key_id|PRIVATE KEY-----/);
  });

  it("writes the rclone credentials to a root-only file on the hub", () => {
    const stdin = String(named(runs["prod-eu"], "hub-eu-backup").plainInputs.stdin);
    const encoded = Buffer.from(HUB_SECRET_PLACEHOLDERS["letsbe-hub:rcloneConfig"]).toString("base64").slice(0, 40);
    expect(stdin).toContain(encoded);
    expect(stdin).toMatch(/chmod 0600 '\/etc\/letsbe\/rclone\.conf\.letsbe-new'/);
  });
});

describe("staging hub", () => {
  it("runs on Hetzner with only nginx reachable from anywhere", () => {
    const result = runs.staging;
    expect(one(result.resources, "hcloud:index/server:Server").plainInputs).toMatchObject({ name: "letsbe-hub-staging", location: "nbg1", serverType: "cpx31" });
    const rules = one(result.resources, "hcloud:index/firewall:Firewall").plainInputs.rules as Array<{ port?: string; sourceIps: string[] }>;
    const open = rules.filter((r) => r.sourceIps.includes("0.0.0.0/0") && r.port !== undefined).map((r) => r.port).sort();
    expect(open).toEqual(["443", "80"]);
    expect(rules.find((r) => r.port === "22")?.sourceIps).toEqual(["198.51.100.10/32", "2001:db8:100::/48"]);
  });

  it("is unprotected so it can be rebuilt, and exports release candidates", () => {
    const result = runs.staging;
    expect(named(result, "hub-eu-db-data").protect).toBe(false);
    expect(String((result.plainOutputs.currentImages as Record<string, string>).hubWebApi)).toContain(":2026.11.4-rc.1@sha256:");
  });
});
