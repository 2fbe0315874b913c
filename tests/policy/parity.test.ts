/**
 * The offline plan's judge and the pack served to the CLI agree: a real tenant stack, broken in
 * several ways, judged both in process and over the analyzer protocol, gives the same findings
 * (except secretness, which only the plan can see, and the production pin gate, which only the CLI applies).
 */
import { describe, expect, it } from "vitest";
import { judgeStack } from "../../automation/plan/judge";
import { RecordedResource, runUnderMocks } from "../../automation/plan/mockRuntime";
import { tenantRunOptions } from "../../automation/plan/stackConfig";
import { TENANT_PROJECT } from "../../contracts/hub";
import { tenantProgram } from "../../stacks/tenant/program";
import { TOOLS } from "../../tenants/catalog";
import { hubFixture, specFixture } from "../helpers/fixtures";
import { analyzeRequest, analyzeStackRequest, call, diagnostics, servedPack } from "./analyzerClient";

const pack = servedPack();

/** Breaks the planned stack: a public tool, SSH open, an unprotected server in the wrong region, a proxied record. */
function breakStack(resources: RecordedResource[]): RecordedResource[] {
  const nextcloud = `127.0.0.1:${TOOLS.nextcloud.port}:${TOOLS.nextcloud.containerPort}`;
  return resources.map((r) => {
    const inputs = structuredClone(r.plainInputs) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    if (typeof inputs.source?.text === "string" && inputs.source.text.includes(nextcloud)) {
      inputs.source.text = inputs.source.text.replace(nextcloud, `${TOOLS.nextcloud.port}:${TOOLS.nextcloud.containerPort}`);
    }
    if (r.type === "hcloud:index/firewall:Firewall") inputs.rules.push({ direction: "in", protocol: "tcp", port: "22", sourceIps: ["::/0"] });
    if (r.type === "hcloud:index/server:Server") inputs.location = "ash";
    if (r.type === "cloudflare:index/dnsRecord:DnsRecord" && inputs.type === "A") inputs.proxied = true;
    const protect = r.type === "hcloud:index/server:Server" ? false : r.protect;
    return { ...r, plainInputs: inputs, protect };
  });
}

describe("plan judge and CLI analyzer agree", () => {
  it("on a broken real tenant stack", async () => {
    const options = tenantRunOptions(specFixture(), { org: "letsbe" }, { ...hubFixture("eu") }, []);
    const run = await runUnderMocks(tenantProgram, { ...options, project: TENANT_PROJECT });
    const resources = breakStack(run.resources);

    const inProcess = (await judgeStack({ project: TENANT_PROJECT, stack: "acme-bakery", resources, outputs: {} }))
      .filter((v) => v.policy !== "secrets-are-secret")
      .map((v) => `${v.policy} | ${v.level} | ${v.urn ?? ""} | ${v.message}`);

    // What the engine sends: each resource's inputs (secrets travel marked; plain here), options and parent.
    const wire = resources.map((r) => ({
      type: r.type, name: r.name, urn: r.urn, props: JSON.parse(JSON.stringify(r.plainInputs)) as Record<string, unknown>,
      protect: r.protect, ...(r.parent ? { parent: r.parent } : {}), dependencies: r.dependencies,
    }));
    const found = [];
    // Analyze answers leave the urn empty: the engine attributes them to the resource it asked about.
    for (const r of wire) found.push(...diagnostics(await call(pack().client, "analyze", analyzeRequest(r))).map((d) => ({ ...d, urn: d.urn || r.urn })));
    found.push(...diagnostics(await call(pack().client, "analyzeStack", analyzeStackRequest(wire))));
    const level = (n: number) => (n === 1 ? "mandatory" : n === 0 ? "advisory" : String(n));
    // The analyzer prefixes each message with the policy's description line.
    const overGrpc = found.map((d) => `${d.policyName} | ${level(d.enforcementLevel)} | ${d.urn} | ${d.message.split("\n").slice(1).join("\n")}`);

    expect(inProcess.length).toBeGreaterThanOrEqual(6);
    expect(new Set(inProcess.map((v) => v.split(" | ")[0]))).toEqual(new Set(["internals-internal", "no-public-ssh", "region-affinity", "stateful-protected", "dns-sanity", "verified-pins"]));
    // The production gate is the CLI's alone: the plan is no preview or update (policy/verifiedPins.ts).
    const gate = overGrpc.filter((v) => v.startsWith("pins-verified-for-production | "));
    // Judged where catalog images reach the host: the compose file the stack copies.
    expect(gate).toHaveLength(1);
    expect(gate[0]).toMatch(/^pins-verified-for-production \| mandatory \| urn:pulumi:acme-bakery::letsbe-tenant::\S*command:remote:CopyToRemote::acme-bakery-host-compose-compose \| production preview\/update without a passing `letsbe pins verify`.*; acme-bakery-host-compose-compose deploys .*docker\.io\/library\/nextcloud:/);
    expect([...overGrpc].filter((v) => !gate.includes(v)).sort()).toEqual([...inProcess].sort());
  });
});
