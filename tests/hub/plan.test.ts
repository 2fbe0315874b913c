import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { plan } from "../../automation/plan/plan";
import { repoRoot } from "../../automation/repoRoot";
import { PlanReport, PlannedStack } from "../../automation/plan/types";
import { hubStackOutputsSchema } from "../../contracts/hub";
import { loadTenantSpecs } from "../../tenants/load";

let report: PlanReport;
beforeAll(async () => {
  report = await plan({ stack: "prod-eu", workers: 1 });
});

const euSlugs = () => loadTenantSpecs(join(repoRoot(), "tenants")).specs.filter((s) => s.spec.region === "eu").map((s) => s.spec.slug).sort();

describe("offline plan of prod-eu", () => {
  it("plans the complete hub stack without errors", () => {
    const hub = report.stacks.find((s) => s.project === "letsbe-hub") as PlannedStack;
    expect(hub.stack).toBe("prod-eu");
    expect(report.errors.filter((e) => e.source.includes("letsbe-hub"))).toEqual([]);
    const types = new Set(hub.resources.map((r) => r.type));
    for (const type of [
      "letsbe:hub:Hub", "pulumi-nodejs:dynamic/netcup:Server", "cloudflare:index/dnsRecord:DnsRecord",
      "random:index/randomPassword:RandomPassword", "command:remote:Command", "command:remote:CopyToRemote",
    ]) expect(types, type).toContain(type);
    // The containers are the apps stage's compose project, not docker resources.
    expect([...types].filter((t) => t.startsWith("docker:") || t === "pulumi:providers:docker")).toEqual([]);
    expect(hub.violations.filter((v) => v.level === "mandatory")).toEqual([]);
  });

  it("plans the eu tenants with it, and only those", () => {
    const tenants = report.stacks.filter((s) => s.project === "letsbe-tenant").map((s) => s.stack);
    const failed = report.errors.map((e) => /letsbe-tenant\/([a-z0-9-]+)/.exec(e.source)?.[1]).filter(Boolean) as string[];
    expect(tenants.length).toBeGreaterThan(0);
    expect([...new Set([...tenants, ...failed])].sort()).toEqual(euSlugs());
  });

  it("resolves the tenants' references from the hub's planned outputs", () => {
    const hub = report.stacks.find((s) => s.project === "letsbe-hub") as PlannedStack;
    const outputs = hubStackOutputsSchema.parse(hub.outputs);
    const tenants = report.stacks.filter((s) => s.project === "letsbe-tenant");
    for (const tenant of tenants) {
      const ref = tenant.resources.find((r) => r.type === "pulumi:pulumi:StackReference");
      expect(ref?.name).toBe("letsbe/letsbe-hub/prod-eu");
      // The hub's planned address (not in any config) reaches the tenant's firewall via the reference.
      const firewall = tenant.resources.find((r) => r.type === "hcloud:index/firewall:Firewall");
      if (firewall) {
        const ssh = (firewall.inputs.rules as Array<{ port?: string; sourceIps: string[] }>).find((r) => r.port === "22");
        expect(ssh?.sourceIps, tenant.stack).toEqual(outputs.managementCidrs);
        expect(ssh?.sourceIps).toContain(`${outputs.hubIpv4}/32`);
      }
    }
    expect(tenants.some((t) => t.resources.some((r) => r.type === "hcloud:index/firewall:Firewall"))).toBe(true);
  });
});

describe("offline plan of staging", () => {
  it("plans the staging hub on Hetzner in eu with no mandatory violation", async () => {
    const staging = await plan({ stack: "staging", workers: 1 });
    const hub = staging.stacks.find((s) => s.project === "letsbe-hub") as PlannedStack;
    expect(hub.stack).toBe("staging");
    expect(hub.outputs.region).toBe("eu");
    expect(hub.resources.some((r) => r.type === "hcloud:index/server:Server")).toBe(true);
    expect(hub.violations.filter((v) => v.level === "mandatory")).toEqual([]);
    expect(staging.errors.filter((e) => e.source.includes("letsbe-hub"))).toEqual([]);
  });
});
