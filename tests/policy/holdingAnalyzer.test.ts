/**
 * The policies that hold (issue 12 part 7), served as the CLI serves the pack: over the analyzer
 * protocol, with values a preview cannot know sent as the engine sends them. Before, dns-sanity
 * stopped at the first unknown address with CrossGuard's advisory "can't run" note, judging nothing.
 */
import * as rpc from "@pulumi/pulumi/runtime/rpc";
import { describe, expect, it } from "vitest";
import { TOOLS, imageRef } from "../../tenants/catalog";
import { analyzeRequest, analyzeStackRequest, call, diagnostics, servedPack, urnOf } from "./analyzerClient";

const TENANT = (type: string, name: string) => urnOf("acme-bakery", "letsbe-tenant", type, name);
const SERVER = "hcloud:index/server:Server";
const RECORD = "cloudflare:index/dnsRecord:DnsRecord";
const FIREWALL = "hcloud:index/firewall:Firewall";
const COPY = "command:remote:CopyToRemote";

const pack = servedPack();

const server = { type: SERVER, name: "acme-bakery-server", urn: TENANT(SERVER, "acme-bakery-server"), protect: true,
  props: { name: "acme-bakery", serverType: "cpx31", location: "nbg1", labels: { tenant: "acme-bakery", region: "eu", tier: "build" }, ipv4Address: rpc.unknownValue, ipv6Address: rpc.unknownValue } };
const record = (fromServer: boolean) => ({ type: RECORD, name: "acme-bakery-apex-a", urn: TENANT(RECORD, "acme-bakery-apex-a"),
  props: { name: "acme-bakery.eu.letsbe.biz", type: "A", content: rpc.unknownValue, proxied: false, zoneId: "3f2a9c41d8e07b5a6c1e4f90b2d73a58", ttl: 300 },
  dependencies: fromServer ? [server.urn] : [] });

const stackFindings = async (fromServer: boolean) =>
  diagnostics(await call(pack().client, "analyzeStack", analyzeStackRequest([server, record(fromServer)]))).filter((d) => d.policyName === "dns-sanity");

describe("the policies over the analyzer protocol, with values unknown at preview", () => {
  it("dns-sanity passes a record whose address comes from the tenant's server, and judges instead of giving up", async () => {
    expect(await stackFindings(true)).toEqual([]);
  });

  it("dns-sanity reports a record whose unknown address does not come from the tenant's server", async () => {
    const found = await stackFindings(false);
    expect(found.map((d) => d.message.split("\n").slice(1).join("\n"))).toEqual([
      'record "acme-bakery.eu.letsbe.biz" (A) has content not known at preview that does not come from this tenant\'s server or primary IP',
    ]);
    expect(found[0]?.message).not.toMatch(/can.t be known during preview/);
  });

  it("no-public-ssh reports a rule with a port not known yet open to everyone, and passes it from management", async () => {
    const rule = (sourceIps: string[]) => analyzeRequest({ type: FIREWALL, name: "fw", urn: TENANT(FIREWALL, "fw"),
      props: { name: "fw", labels: { "ssh-port": "2222" }, rules: [{ direction: "in", protocol: "tcp", port: rpc.unknownValue, sourceIps }] } });
    const open = diagnostics(await call(pack().client, "analyze", rule(["::/0"]))).filter((d) => d.policyName === "no-public-ssh");
    expect(open.map((d) => d.message.split("\n").slice(1).join("\n"))).toEqual(['firewall "fw" rule 0 opens port not known yet (SSH 22, 2222) to ::/0']);
    expect(diagnostics(await call(pack().client, "analyze", rule(["198.51.100.10/32"]))).filter((d) => d.policyName === "no-public-ssh")).toEqual([]);
  });

  it("internals-internal reports a service named nginx published publicly in the compose file, and passes the mail image on a mail port", async () => {
    const copy = (service: string, image: string, port: string) => analyzeRequest({ type: COPY, name: "compose", urn: TENANT(COPY, "compose"),
      props: { remotePath: "/opt/letsbe/compose.yaml", source: { [rpc.specialSigKey]: rpc.specialAssetSig, text: `name: letsbe\nservices:\n  ${service}:\n    image: ${image}\n    ports: ["${port}"]\n` } } });
    const named = diagnostics(await call(pack().client, "analyze", copy("nginx", imageRef(TOOLS.nextcloud.image), "443:443"))).filter((d) => d.policyName === "internals-internal");
    expect(named).toHaveLength(1);
    expect(named[0]?.message).toContain('compose service "nginx" publishes "443:443" on 0.0.0.0');
    expect(diagnostics(await call(pack().client, "analyze", copy("stalwart", imageRef(TOOLS.stalwart.image), "25:25"))).filter((d) => d.policyName === "internals-internal")).toEqual([]);
  });
});
