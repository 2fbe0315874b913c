import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { generateTenantSpecs, writeTenantSpecs } from "../../automation/bench/generate";
import { HUB_SECRET_PLACEHOLDERS, TENANT_SECRET_PLACEHOLDERS } from "../../automation/plan/stackConfig";
import { PlanReport } from "../../automation/plan/types";
import { PLAN_CLI, REPO_ROOT, plan } from "./runPlan";

const root = REPO_ROOT;

const tmp = () => mkdtempSync(join(tmpdir(), "letsbe-plan-"));
const readReport = (file: string) => JSON.parse(readFileSync(file, "utf8")) as PlanReport;

beforeAll(() => {
  if (!existsSync(PLAN_CLI)) throw new Error(`${PLAN_CLI} is missing: run \`npm run build\` first (npm test does)`);
});

describe("npm run plan", () => {
  it("plans the hub and each eu tenant as its own stack, each Hetzner tenant with one VPS and DNS to it", async () => {
    const out = join(tmp(), "plan.json");
    const { stdout } = await plan("--stack", "prod-eu", "--json", out);
    const report = readReport(out);
    expect(report.stacks[0]).toMatchObject({ project: "letsbe-hub", stack: "prod-eu" });
    const tenants = report.stacks.filter((s) => s.project === "letsbe-tenant");
    expect(tenants.map((s) => s.stack)).toEqual(expect.arrayContaining(["acme-bakery", "sandbox-eu"]));
    expect(tenants.map((s) => s.stack)).not.toContain("harbor-legal");
    for (const stack of tenants.filter((s) => s.resources.some((r) => r.type === "hcloud:index/server:Server"))) {
      const servers = stack.resources.filter((r) => r.type === "hcloud:index/server:Server");
      expect(servers).toHaveLength(1);
      expect(stack.resources.filter((r) => r.type === "letsbe:tenant:Tenant")).toHaveLength(1);
      const a = stack.resources.filter((r) => r.type === "cloudflare:index/dnsRecord:DnsRecord" && r.inputs.type === "A");
      expect(a.length).toBe(2);
      for (const record of a) expect(record.inputs.content).toBe(stack.outputs.ipv4);
      expect(a.every((r) => r.dependencies.includes(servers[0].urn))).toBe(true);
    }
    for (const stack of report.stacks) {
      for (const r of stack.resources) expect(Object.keys(r).slice(0, 4)).toEqual(["urn", "type", "name", ...(r.parent ? ["parent"] : ["dependencies"])]);
    }
    const netcup = report.stacks.find((s) => s.stack === "nordlicht-studio")?.resources.find((r) => r.type === "pulumi-nodejs:dynamic/netcup:Server");
    expect(netcup?.inputs.__provider).toMatch(/^\[serialized provider sha256:[0-9a-f]{16}, \d+ bytes\]$/);
    expect(stdout).toContain("letsbe-tenant/acme-bakery");
    expect(stdout).toMatch(/hcloud:index\/server:Server ×1/);
  });

  it("reports every invalid spec, still plans the valid ones, and exits 1", async () => {
    const dir = tmp();
    copyFileSync(join(root, "tenants/acme-bakery.yaml"), join(dir, "acme-bakery.yaml"));
    writeFileSync(join(dir, "bad-tier.yaml"), readFileSync(join(root, "tenants/sandbox-eu.yaml"), "utf8").replace("tier: lite", "tier: huge").replace("slug: sandbox-eu", "slug: bad-tier"));
    writeFileSync(join(dir, "typo.yaml"), readFileSync(join(root, "tenants/sandbox-eu.yaml"), "utf8").replace("slug: sandbox-eu", "slug: typo\nregoin: eu"));
    writeFileSync(join(dir, "no-zone.yaml"), readFileSync(join(root, "tenants/sandbox-eu.yaml"), "utf8").replace("slug: sandbox-eu", "slug: no-zone").replace("sandbox.eu.letsbe.biz", "no-zone.example"));
    const out = join(dir, "plan.json");
    const { code, stderr } = await plan("--stack", "prod-eu", "--tenants", dir, "--json", out);
    expect(code).toBe(1);
    const report = readReport(out);
    expect(report.errors.map((e) => [e.source, e.path])).toEqual([
      [join(dir, "bad-tier.yaml"), "tier"],
      [join(dir, "typo.yaml"), ""],
      ["stack no-zone config letsbe-tenant:spec", "cloudflareZoneId"],
    ]);
    expect(report.errors[1].message).toBe('unknown key(s) "regoin"');
    expect(report.stacks.map((s) => s.stack)).toEqual(["prod-eu", "acme-bakery"]);
    expect(stderr).toContain("bad-tier.yaml: tier:");
  });

  it("exits 0 for a clean plan and plans one tenant alone with tenant:<slug>", async () => {
    const out = join(tmp(), "one.json");
    const { code } = await plan("--stack", "tenant:harbor-legal", "--json", out);
    expect(code).toBe(0);
    const report = readReport(out);
    expect(report.errors).toEqual([]);
    expect(report.stacks.map((s) => `${s.project}/${s.stack}`)).toEqual(["letsbe-tenant/harbor-legal"]);
    const ref = report.stacks[0].resources.find((r) => r.type === "pulumi:pulumi:StackReference");
    expect(ref?.inputs.name).toBe("letsbe/letsbe-hub/prod-us");
  });

  it("plans the eu specs as spokes of the hub's network with the plan's own addresses, the same alone and against staging", async () => {
    const dir = tmp();
    const { stdout } = await plan("--stack", "prod-eu", "--json", join(dir, "eu.json"));
    const report = readReport(join(dir, "eu.json"));
    const hub = report.stacks[0];
    expect(hub.resources.map((r) => r.name)).toEqual(expect.arrayContaining(["hub-eu-wireguard", "hub-eu-snapshots"]));
    expect(hub.outputs.wireguard).toMatchObject({ network: "10.200.0.0/16", hubAddress: "10.200.0.1", port: 51820 });
    const tenants = report.stacks.filter((s) => s.project === "letsbe-tenant");
    // acme-bakery, nordlicht-studio, sandbox-eu: slug order after the hub's 10.200.0.1.
    expect(tenants.map((s) => [s.stack, s.tunnelAddress])).toEqual([
      ["acme-bakery", { address: "10.200.0.2", allocatedBy: "plan" }],
      ["nordlicht-studio", { address: "10.200.0.3", allocatedBy: "plan" }],
      ["sandbox-eu", { address: "10.200.0.4", allocatedBy: "plan" }],
    ]);
    for (const stack of tenants) {
      const names = stack.resources.map((r) => r.name);
      expect(names, stack.stack).toEqual(expect.arrayContaining([`${stack.stack}-host-wg-init`, `${stack.stack}-host-wg-peer`]));
      expect(stack.violations.filter((v) => v.level === "mandatory"), stack.stack).toEqual([]);
    }
    expect(stdout).toContain("  tunnel address 10.200.0.4: the plan's own (lowest free in slug order of the region's specs), not a fleet record's");

    const alone = await plan("--stack", "tenant:sandbox-eu", "--json", join(dir, "one.json"));
    expect(alone.code).toBe(0);
    expect(readReport(join(dir, "one.json")).stacks.map((s) => [s.stack, s.tunnelAddress?.address])).toEqual([["sandbox-eu", "10.200.0.4"]]);

    const staging = await plan("--stack", "staging", "--json", join(dir, "staging.json"));
    expect(staging.code).toBe(0);
    const stagingReport = readReport(join(dir, "staging.json"));
    expect(stagingReport.stacks[0].outputs.wireguard).toMatchObject({ network: "10.200.0.0/16" });
    expect(stagingReport.stacks.filter((s) => s.project === "letsbe-tenant").map((s) => s.tunnelAddress?.address)).toEqual(["10.200.0.2", "10.200.0.3", "10.200.0.4"]);
  });

  it.each([
    [[], /--stack/],
    [["--stack", "prod-mars"], /unknown stack "prod-mars"/],
    [["--stack", "tenant:nobody"], /no tenant spec with slug "nobody"/],
    [["--stack", "prod-eu", "--frobnicate"], /unknown option/],
  ])("exits 2 on usage errors %j", async (args, message) => {
    const { code, stderr } = await plan(...args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });

  it("writes byte-identical JSON for the same input, whatever the worker count", async () => {
    const dir = tmp();
    writeTenantSpecs(join(dir, "specs"), generateTenantSpecs(60));
    const args = ["--stack", "prod-eu", "--tenants", join(dir, "specs"), "--json"];
    await plan(...args, join(dir, "a.json"), "--workers", "1");
    await plan(...args, join(dir, "b.json"), "--workers", "1");
    await plan(...args, join(dir, "c.json"), "--workers", "2");
    const a = readFileSync(join(dir, "a.json"));
    expect(readReport(join(dir, "a.json")).stacks).toHaveLength(61);
    expect(readFileSync(join(dir, "b.json")).equals(a)).toBe(true);
    expect(readFileSync(join(dir, "c.json")).equals(a)).toBe(true);
    // Three plans of 61 stacks, each tenant a WireGuard spoke now: near a minute on a loaded machine.
  }, 180_000);

  it("never prints a secret, in the summary or the JSON", async () => {
    const out = join(tmp(), "plan.json");
    const { stdout } = await plan("--stack", "prod-eu", "--json", out);
    const json = readFileSync(out, "utf8");
    for (const value of [...Object.values(TENANT_SECRET_PLACEHOLDERS), ...Object.values(HUB_SECRET_PLACEHOLDERS), "placeholder-hcloud-token"]) {
      expect(json).not.toContain(value.trim());
      expect(stdout).not.toContain(value.trim());
    }
    expect(json).not.toMatch(/PRIVATE KEY/);
  });
});
