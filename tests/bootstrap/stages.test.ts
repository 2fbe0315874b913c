import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import { cpSync, mkdtempSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RecordedResource, runUnderMocks } from "../../automation/plan/mockRuntime";
import { renderCompose } from "../../components/compose/render";
import { parseApplyResult, planComposeStage } from "../../components/compose/stage";
import { createHostStages } from "../../components/host";
import { BASE_STAGES, HostParams, planBaseStages, renderSecretsFile, scriptsDir } from "../../components/host/stages";
import { Tenant } from "../../components/tenant/tenant";
import { DEFAULT_RELEASE, ToolId } from "../../tenants/catalog";
import { byType, hubFixture, specFixture } from "../helpers/fixtures";
import { FAKE_PRIVATE_KEY } from "../fixtures/keys";

const COMMAND = "command:remote:Command";
const COPY = "command:remote:CopyToRemote";
const KEY = FAKE_PRIVATE_KEY;
const CF = "cf-token-never-in-plain-state";
const REG = "registration-token-never-in-plain-state";

const params: HostParams = {
  hostname: "acme", domain: "acme.eu.letsbe.biz", managementCidrs: ["198.51.100.10/32"], acmeEmail: "ops@acme.example",
};

async function planHost(p: HostParams, tools: ToolId[], port?: number, installedAt = "2026-11-30T08:00:00.000Z") {
  return runUnderMocks(() => {
    const server = new hcloud.Server("acme-server", { serverType: "cpx21", image: "debian-13" });
    const host = createHostStages("acme-host", {
      connection: { host: "203.0.113.7", port, privateKey: pulumi.secret(KEY) },
      server: { server, serverId: pulumi.output("4711"), installedAt: pulumi.output(installedAt) },
      params: p,
      secrets: { cloudflareDnsToken: pulumi.secret(CF), registrationToken: pulumi.secret(REG) },
      compose: { rendered: renderCompose({ slug: "acme", domain: p.domain, tools, release: DEFAULT_RELEASE }) },
    });
    return { previousRelease: host.previousRelease };
  }, { project: "letsbe-tenant", stack: "acme" });
}

const triggers = (resources: RecordedResource[]) =>
  Object.fromEntries(resources.filter((r) => r.type === COMMAND).map((r) => [r.name, JSON.stringify(r.plainInputs.triggers)]));

function changedBetween(a: RecordedResource[], b: RecordedResource[]): string[] {
  const before = triggers(a);
  const after = triggers(b);
  return Object.keys(after).filter((name) => before[name] !== after[name]).sort();
}

describe("host stages under the mock runtime", () => {
  it("declares a copy and a command per stage, in order, then the compose stage", async () => {
    const { resources } = await planHost(params, ["nextcloud"]);
    const commands = byType(resources, COMMAND);
    expect(commands.map((r) => r.name)).toEqual(["acme-host-host-key", ...BASE_STAGES.map((s) => `acme-host-${s}`), "acme-host-compose"]);
    // The compose stage copies 7: compose.yaml, manifest.json, sites.conf, apply.sh, data.sh, backup.sh, restore.sh.
    expect(byType(resources, COPY)).toHaveLength(BASE_STAGES.length + 7);
    for (let i = 1; i < commands.length; i++) expect(commands[i].dependencies, commands[i].name).toContain(commands[i - 1].urn);
  });

  it("runs hardening last, so its integrity baseline holds what every other stage made", async () => {
    const { resources } = await planHost(params, []);
    const names = byType(resources, COMMAND).map((r) => r.name);
    expect(names.slice(-2)).toEqual(["acme-host-hardening", "acme-host-compose"]);
    expect(planBaseStages(params).find((s) => s.name === "hardening")?.secrets).toEqual([]);
  });

  it("connects as root on port 22 by default with the key as a secret", async () => {
    const { resources } = await planHost(params, []);
    for (const r of [...byType(resources, COMMAND), ...byType(resources, COPY)]) {
      expect(r.secretPaths.some((p) => p === "connection" || p === "connection.privateKey"), r.name).toBe(true);
      expect(r.plainInputs.connection).toMatchObject({ host: "203.0.113.7", port: 22, user: "root", privateKey: KEY });
      expect(JSON.stringify(r.inputs)).not.toContain("secret-key-material");
    }
    const custom = await planHost(params, [], 2222);
    expect(byType(custom.resources, COMMAND)[0].plainInputs.connection).toMatchObject({ port: 2222 });
  });

  it("hands secrets only to the stages that need them, on stdin, as secrets", async () => {
    const { resources } = await planHost(params, []);
    const withStdin = byType(resources, COMMAND).filter((r) => r.plainInputs.stdin !== undefined);
    expect(withStdin.map((r) => r.name).sort()).toEqual(["acme-host-layout", "acme-host-tls"]);
    for (const r of withStdin) expect(r.secretPaths).toContain("stdin");
    const tls = withStdin.find((r) => r.name === "acme-host-tls");
    expect(tls?.plainInputs.stdin).toBe(renderSecretsFile({ CLOUDFLARE_DNS_TOKEN: CF }, ["CLOUDFLARE_DNS_TOKEN"]));
    const printed = JSON.stringify(resources.map((r) => r.inputs));
    for (const value of [CF, REG, Buffer.from(CF).toString("base64"), Buffer.from(REG).toString("base64")]) {
      expect(printed).not.toContain(value);
    }
    for (const r of byType(resources, COMMAND)) expect(String(r.plainInputs.create)).not.toContain(CF);
  });

  it("re-runs only the compose stage when the tool set changes", async () => {
    const a = await planHost(params, ["nextcloud"]);
    const b = await planHost(params, ["nextcloud", "ghost"]);
    expect(changedBetween(a.resources, b.resources)).toEqual(["acme-host-compose"]);
  });

  it("re-runs only the firewall and fail2ban stages when the management CIDRs change", async () => {
    const a = await planHost(params, ["nextcloud"]);
    const b = await planHost({ ...params, managementCidrs: ["198.51.100.10/32", "203.0.113.0/24"] }, ["nextcloud"]);
    expect(changedBetween(a.resources, b.resources)).toEqual(["acme-host-fail2ban", "acme-host-firewall"]);
  });

  it("runs every stage again on a new installation of the server: each trigger carries its id and install time", async () => {
    const a = await planHost(params, ["nextcloud"]);
    const b = await planHost(params, ["nextcloud"], undefined, "2026-12-01T09:30:00.000Z");
    const remote = (r: RecordedResource[]) => [...byType(r, COMMAND), ...byType(r, COPY)];
    for (const r of remote(a.resources)) expect(r.plainInputs.triggers, r.name).toContain("4711@2026-11-30T08:00:00.000Z");
    const changed = (x: RecordedResource[], y: RecordedResource[]) => remote(y).filter((r) =>
      JSON.stringify(r.plainInputs.triggers) !== JSON.stringify(remote(x).find((o) => o.name === r.name)?.plainInputs.triggers)).length;
    expect(changed(a.resources, b.resources)).toBe(remote(a.resources).length);
    expect(remote(a.resources)).toHaveLength(BASE_STAGES.length * 2 + 1 + 1 + 7);
  });

  it("changes nothing when nothing changes", async () => {
    const a = await planHost(params, ["nextcloud"]);
    const b = await planHost(params, ["nextcloud"]);
    expect(changedBetween(a.resources, b.resources)).toEqual([]);
  });

  it("re-runs one stage when its script changes, every stage when the shared library does", () => {
    const dir = mkdtempSync(join(tmpdir(), "letsbe-scripts-"));
    cpSync(scriptsDir(), dir, { recursive: true });
    const before = planBaseStages(params, dir).map((s) => s.trigger);
    appendFileSync(join(dir, "stages", "ssh.sh"), "# edited\n");
    const afterStage = planBaseStages(params, dir).map((s) => s.trigger);
    expect(BASE_STAGES.filter((_, i) => before[i] !== afterStage[i])).toEqual(["ssh"]);
    appendFileSync(join(dir, "lib.sh"), "# edited\n");
    const afterLib = planBaseStages(params, dir).map((s) => s.trigger);
    expect(BASE_STAGES.filter((_, i) => afterStage[i] !== afterLib[i])).toEqual([...BASE_STAGES]);
  });

  it("passes parameters as quoted assignments and opens mail ports only when asked", () => {
    const firewall = planBaseStages({ ...params, publicTcpPorts: [587, 25] }).find((s) => s.name === "firewall");
    expect(firewall?.command).toBe("LB_STAGE=firewall LB_WITH_SECRETS=0 LB_MGMT_CIDRS='198.51.100.10/32' LB_SSH_PORT='22' LB_PUBLIC_TCP_PORTS='25 587' bash /var/lib/letsbe/bootstrap/firewall.sh");
    const quoted = planBaseStages({ ...params, hostname: "it's" }).find((s) => s.name === "system");
    expect(quoted?.command).toContain(`LB_HOSTNAME='it'\\''s'`);
  });

  it("reads the previous release from the apply script's result line", () => {
    const stdout = `[letsbe-compose] release applied\nLETSBE_RESULT ${JSON.stringify({ release: DEFAULT_RELEASE, previousRelease: null })}\n`;
    expect(parseApplyResult(stdout)).toEqual({ release: DEFAULT_RELEASE, previousRelease: null });
    expect(parseApplyResult("no result")).toBeUndefined();
    const plan = planComposeStage(renderCompose({ slug: "a", domain: "a.example.com", tools: [], release: DEFAULT_RELEASE }), 120);
    expect(plan.command).toContain("LB_WAIT_TIMEOUT=120");
  });
});

describe("Tenant with a host", () => {
  it("runs compose after the bootstrap and the DNS records, and exports the release", async () => {
    const spec = specFixture({ tools: ["nextcloud", "stalwart"] });
    const { resources, plainOutputs } = await runUnderMocks(() => {
      const tenant = new Tenant(spec.slug, {
        spec, hub: hubFixture(), release: DEFAULT_RELEASE, protect: false,
        host: { provisioningPrivateKey: pulumi.secret(KEY) },
      });
      return { release: tenant.release, previousRelease: tenant.previousRelease };
    }, { project: "letsbe-tenant", stack: spec.slug });
    const compose = resources.find((r) => r.name === `${spec.slug}-host-compose`);
    const dns = byType(resources, "cloudflare:index/dnsRecord:DnsRecord");
    expect(dns.length).toBeGreaterThan(0);
    for (const record of dns) expect(compose?.dependencies).toContain(record.urn);
    expect(compose?.dependencies).toContain(resources.find((r) => r.name === `${spec.slug}-host-hardening`)?.urn);
    const firewall = resources.find((r) => r.name === `${spec.slug}-host-firewall`);
    expect(String(firewall?.plainInputs.create)).toContain("LB_PUBLIC_TCP_PORTS='25 465 587 993'");
    expect(String(firewall?.plainInputs.create)).toContain("LB_MGMT_CIDRS='198.51.100.10/32 2001:db8:100::/48'");
    expect(plainOutputs.release).toEqual(DEFAULT_RELEASE);
    expect(plainOutputs.previousRelease).toBeNull();
  });
});
