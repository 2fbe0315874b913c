/**
 * The pack inside the offline plan: stacks planned under the mock runtime, judged, reported,
 * and the CLI's exit code turning on a mandatory violation.
 */
import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { exitCodeFor } from "../../automation/plan/cli";
import { judgePlan, judgeStack } from "../../automation/plan/judge";
import { runUnderMocks } from "../../automation/plan/mockRuntime";
import { HubReference, planStack, planTenantStacks } from "../../automation/plan/planStacks";
import { tenantRunOptions } from "../../automation/plan/stackConfig";
import { formatSummary } from "../../automation/plan/summary";
import { PlanReport, PlannedStack } from "../../automation/plan/types";
import { TENANT_PROJECT } from "../../contracts/hub";
import { tenantProgram } from "../../stacks/tenant/program";
import { TOOLS, imageRef } from "../../tenants/catalog";
import { hubFixture, specFixture } from "../helpers/fixtures";

const identity = { org: "letsbe" };
const hub: HubReference = { outputs: { ...hubFixture("eu") }, secretOutputs: [] };
const mandatory = (stack: PlannedStack) => stack.violations.filter((v) => v.level === "mandatory");

describe("the offline plan applies the pack", () => {
  it("finds no mandatory violation in a shipped-style tenant stack", async () => {
    const [outcome] = await planTenantStacks([specFixture()], identity, hub);
    expect(outcome!.errors).toEqual([]);
    expect(mandatory(outcome!.stack!)).toEqual([]);
  });

  it("reports an unprotected tenant (stack config protect=false) and the CLI exits 1", async () => {
    const spec = specFixture();
    const options = tenantRunOptions(spec, identity, hub.outputs, hub.secretOutputs);
    const outcome = await planStack(tenantProgram, { ...options, project: TENANT_PROJECT, config: { ...options.config, [`${TENANT_PROJECT}:protect`]: false } });
    const stack = outcome.stack!;
    const found = mandatory(stack).filter((v) => v.policy === "stateful-protected");
    expect(found.map((v) => v.message).sort()).toEqual([
      "acme-bakery-ipv4 (hcloud:index/primaryIp:PrimaryIp) is stateful but not protected in production stack letsbe-tenant/acme-bakery",
      "acme-bakery-ipv6 (hcloud:index/primaryIp:PrimaryIp) is stateful but not protected in production stack letsbe-tenant/acme-bakery",
      "acme-bakery-server (hcloud:index/server:Server) is stateful but not protected in production stack letsbe-tenant/acme-bakery",
      "acme-bakery-zone (cloudflare:index/zone:Zone) is stateful but not protected in production stack letsbe-tenant/acme-bakery",
    ]);
    expect(found.every((v) => v.urn?.startsWith("urn:pulumi:acme-bakery::letsbe-tenant::"))).toBe(true);
    const report: PlanReport = { stacks: [stack], errors: [] };
    expect(exitCodeFor(report)).toBe(1);
    expect(formatSummary(report)).toContain("✗ [mandatory] stateful-protected: acme-bakery-server (hcloud:index/server:Server) is stateful but not protected");
  });

  it("judges the compose file the Tenant really renders: a tool made public and an unpinned image are caught", async () => {
    const options = tenantRunOptions(specFixture(), identity, hub.outputs, hub.secretOutputs);
    const run = await runUnderMocks(tenantProgram, { ...options, project: TENANT_PROJECT });
    const carriers = run.resources.filter((r) => typeof (r.plainInputs.source as { text?: unknown } | undefined)?.text === "string"
      && /^services:/m.test(String((r.plainInputs.source as { text: string }).text))
      && String((r.plainInputs.source as { text: string }).text).includes(imageRef(TOOLS.nextcloud.image)));
    expect(carriers).toHaveLength(1);
    const compose = carriers[0]!;
    const text = (compose.plainInputs.source as { text: string }).text;
    const nextcloudPort = `127.0.0.1:${TOOLS.nextcloud.port}:${TOOLS.nextcloud.containerPort}`;
    expect(text).toContain(nextcloudPort);
    // An image outside the lock, by tag only: pinned-artifacts' (the lock's unverified entries are verified-pins').
    const unpinned = `${TOOLS.nextcloud.image.repository}:29-unlocked`;
    const broken = text.replace(nextcloudPort, `${TOOLS.nextcloud.port}:${TOOLS.nextcloud.containerPort}`).replace(`image: ${imageRef(TOOLS.nextcloud.image)}\n`, `image: ${unpinned}\n`);
    expect(broken).toContain(`image: ${unpinned}\n`);
    const resources = run.resources.map((r) => (r === compose ? { ...r, plainInputs: { ...r.plainInputs, source: { text: broken } } } : r));
    const violations = await judgeStack({ project: TENANT_PROJECT, stack: "acme-bakery", resources, outputs: {} });
    expect(violations.filter((v) => v.policy !== "verified-pins").map((v) => `${v.policy}: ${v.message}`)).toEqual([
      `pinned-artifacts: compose service "nextcloud" (source.text): image "${unpinned}" is not pinned by digest (@sha256:<64 hex>)`,
      `internals-internal: compose service "nextcloud" publishes "${TOOLS.nextcloud.port}:${TOOLS.nextcloud.containerPort}" on 0.0.0.0; only the mail server image may publish, and only the mail ports; everything else binds 127.0.0.1`,
    ]);
  });

  it("reports a broken fixture program: public SSH, and a plain-text token the plan knows was not secret", async () => {
    const broken = async () => {
      new hcloud.Firewall("open", { rules: [{ direction: "in", protocol: "tcp", port: "22", sourceIps: ["0.0.0.0/0"] }] });
      new hcloud.Firewall("closed", { rules: [{ direction: "in", protocol: "tcp", port: "22", sourceIps: ["198.51.100.10/32"] }] });
      new hcloud.Server("plain", { serverType: "cpx31", image: "debian-13", location: "nbg1", userData: "token: x", labels: { apiToken: "plain" } }, { protect: true });
      new hcloud.Server("hidden", { serverType: "cpx31", image: "debian-13", location: "fsn1", labels: pulumi.secret({ apiToken: "hidden" }) }, { protect: true });
      return {};
    };
    const outcome = await planStack(broken, { project: "letsbe-hub", stack: "staging-eu" });
    const byPolicy = (name: string) => outcome.stack!.violations.filter((v) => v.policy === name).map((v) => `${v.level}: ${v.message}`);
    expect(byPolicy("no-public-ssh")).toEqual(['mandatory: firewall "open" rule 0 opens port 22 (SSH) to 0.0.0.0/0']);
    expect(byPolicy("secrets-are-secret")).toEqual(['mandatory: plain: input "labels.apiToken" carries a credential in plain text; it must be a secret']);
    expect(exitCodeFor({ stacks: [outcome.stack!], errors: [] })).toBe(1);
  });

  it("reports two tenant stacks that claim the same server, across the plan", async () => {
    const stacks = (await planTenantStacks([specFixture(), specFixture({ slug: "harbor-legal", domain: "harbor-legal.eu.letsbe.biz" })], identity, hub))
      .map((o) => o.stack!);
    judgePlan(stacks);
    expect(stacks.flatMap((s) => s.violations.filter((v) => v.policy === "one-vps-per-tenant"))).toEqual([]);
    // The second tenant's records point at the first one's server address: a shared VPS.
    const [first, second] = stacks as [PlannedStack, PlannedStack];
    const address = first.resources.find((r) => r.type === "cloudflare:index/dnsRecord:DnsRecord" && r.inputs.type === "A")!.inputs.content;
    const tampered: PlannedStack = {
      ...second,
      violations: [],
      resources: second.resources.map((r) => (r.type === "cloudflare:index/dnsRecord:DnsRecord" && r.inputs.type === "A" ? { ...r, inputs: { ...r.inputs, content: address } } : r)),
    };
    const fresh = { ...first, violations: [] };
    judgePlan([fresh, tampered]);
    expect(tampered.violations).toEqual([expect.objectContaining({
      policy: "one-vps-per-tenant",
      level: "mandatory",
      message: `address "${String(address)}" is also claimed by tenant stack(s) acme-bakery; no server is shared between tenants`,
    })]);
    expect(fresh.violations).toHaveLength(1);
  });
});
