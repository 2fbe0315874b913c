/**
 * The pack as the CLI runs it: a child process serving the analyzer over gRPC, spoken to with
 * the protocol in @pulumi/pulumi/proto.
 */
import * as rpc from "@pulumi/pulumi/runtime/rpc";
import { describe, expect, it } from "vitest";
import { analyzeRequest, AnalyzerInfo, analyzerPb, analyzeStackRequest, call, diagnostics, empty, notApplicable, servedPack, urnOf } from "./analyzerClient";
import { composeYaml } from "./fixtures";

const TENANT = (type: string, name: string) => urnOf("acme-bakery", "letsbe-tenant", type, name);
const FIREWALL = "hcloud:index/firewall:Firewall";
const SERVER = "hcloud:index/server:Server";

const pack = servedPack();

describe("the pack served over the analyzer protocol", () => {
  it("describes itself and its twelve policies with their enforcement levels", async () => {
    const info = await call<AnalyzerInfo>(pack().client, "getAnalyzerInfo", empty());
    expect(info.getName()).toBe("letsbe-guardrails");
    const levels = Object.fromEntries(info.getPoliciesList().map((p) => [p.getName(), p.getEnforcementlevel()]));
    expect(levels).toEqual({
      "pinned-artifacts": analyzerPb.EnforcementLevel.MANDATORY,
      "one-vps-per-tenant": analyzerPb.EnforcementLevel.MANDATORY,
      "no-public-ssh": analyzerPb.EnforcementLevel.MANDATORY,
      "region-affinity": analyzerPb.EnforcementLevel.MANDATORY,
      "secrets-are-secret": analyzerPb.EnforcementLevel.MANDATORY,
      "tools-fit-tier": analyzerPb.EnforcementLevel.MANDATORY,
      "stateful-protected": analyzerPb.EnforcementLevel.MANDATORY,
      "dns-sanity": analyzerPb.EnforcementLevel.ADVISORY,
      "domains-disjoint": analyzerPb.EnforcementLevel.MANDATORY,
      "internals-internal": analyzerPb.EnforcementLevel.MANDATORY,
      "verified-pins": analyzerPb.EnforcementLevel.ADVISORY,
      "pins-verified-for-production": analyzerPb.EnforcementLevel.MANDATORY,
    });
  });

  it("Analyze reports a firewall that opens SSH to the world as a mandatory violation", async () => {
    const urn = TENANT(FIREWALL, "acme-bakery-firewall");
    const props = { name: "acme-bakery-firewall", rules: [{ direction: "in", protocol: "tcp", port: "22", sourceIps: ["0.0.0.0/0"] }] };
    const found = diagnostics(await call(pack().client, "analyze", analyzeRequest({ type: FIREWALL, name: "acme-bakery-firewall", urn, props })));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ policyName: "no-public-ssh", enforcementLevel: analyzerPb.EnforcementLevel.MANDATORY });
    expect(found[0]!.message).toContain('firewall "acme-bakery-firewall" rule 0 opens port 22 (SSH) to 0.0.0.0/0');
  });

  it("Analyze passes a firewall that allows SSH from management only", async () => {
    const urn = TENANT(FIREWALL, "acme-bakery-firewall");
    const props = { rules: [{ direction: "in", protocol: "tcp", port: "22", sourceIps: ["198.51.100.10/32"] }] };
    expect(diagnostics(await call(pack().client, "analyze", analyzeRequest({ type: FIREWALL, name: "fw", urn, props })))).toEqual([]);
  });

  it("Analyze reads the compose file in a CopyToRemote's asset and reports a tool published publicly", async () => {
    const type = "command:remote:CopyToRemote";
    const urn = TENANT(type, "acme-bakery-compose");
    const asset = (text: string) => ({ [rpc.specialSigKey]: rpc.specialAssetSig, text });
    const request = (yaml: string) => analyzeRequest({ type, name: "acme-bakery-compose", urn, props: { remotePath: "/opt/letsbe/compose.yaml", source: asset(yaml) } });
    // The production gate (no verify record here) is tests/pins' concern.
    const others = (found: ReturnType<typeof diagnostics>) => found.filter((d) => d.policyName !== "pins-verified-for-production");
    expect(others(diagnostics(await call(pack().client, "analyze", request(composeYaml()))))).toEqual([]);
    const found = others(diagnostics(await call(pack().client, "analyze", request(composeYaml({ nextcloudPorts: ["3023:80"] })))));
    expect(found.map((d) => d.policyName)).toEqual(["internals-internal"]);
    expect(found[0]!.message).toContain('compose service "nextcloud" publishes "3023:80" on 0.0.0.0');
  });

  it("AnalyzeStack reports a tenant stack with two servers", async () => {
    const server = (name: string) => ({
      type: SERVER, name, urn: TENANT(SERVER, name), protect: true,
      props: { name: "acme-bakery", serverType: "cpx31", location: "nbg1", labels: { tenant: "acme-bakery", region: "eu", tier: "build" } },
    });
    const found = diagnostics(await call(pack().client, "analyzeStack", analyzeStackRequest([server("a-server"), server("b-server")])));
    expect(found.map((d) => d.policyName)).toEqual(["one-vps-per-tenant"]);
    expect(found[0]!.message).toContain('tenant stack "acme-bakery" declares 2 servers (a-server, b-server); exactly one VPS per tenant');
  });

  it("says secretness cannot be judged over the protocol (the SDK unwraps secrets before validation)", async () => {
    const type = "command:remote:Command";
    const urn = TENANT(type, "bootstrap");
    const response = await call(pack().client, "analyze", analyzeRequest({ type, name: "bootstrap", urn, props: { create: "true", connection: { host: "h", privateKey: "k" } } }));
    expect(diagnostics(response)).toEqual([]);
    expect(notApplicable(response)).toContainEqual({ policyName: "secrets-are-secret", reason: expect.stringContaining("pulumi/pulumi-policy#241") });
  });
});
