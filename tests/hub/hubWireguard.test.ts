/**
 * The hub program with a WireGuard network (`letsbe-hub:wireguard`): the hub role after the base
 * stages, the port open in ufw (and on Hetzner's firewall), and the contract's `wireguard` output
 * carrying only public values. The stage's and the host-key recorder's stdout are what the hosts
 * would print; the mock runtime has no host.
 */
import { describe, expect, it } from "vitest";
import { MockRunOptions, runUnderMocks } from "../../automation/plan/mockRuntime";
import { hubRunOptions, tenantRunOptions } from "../../automation/plan/stackConfig";
import { repoRoot } from "../../automation/repoRoot";
import { hubStackOutputsSchema } from "../../contracts/hub";
import { hubProgram } from "../../stacks/hub/program";
import { tenantProgram } from "../../stacks/tenant/program";
import { InvalidInputError } from "../../tenants/schema";
import { named, specFixture } from "../helpers/fixtures";

const HUB_KEY = `${"H".repeat(42)}0=`;
const HOST_KEY = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBhub";

function run(stack: string, wireguard: unknown, extra: Partial<MockRunOptions> = {}) {
  const options = hubRunOptions(repoRoot(), stack, { org: "letsbe" });
  return runUnderMocks(hubProgram, {
    ...options,
    config: { ...options.config, "letsbe-hub:wireguard": JSON.stringify(wireguard) },
    answer: async (a) => {
      if (a.type !== "command:remote:Command") return undefined;
      if (a.name.endsWith("-host-key")) return { id: a.name, state: { ...a.inputs, stdout: `${HOST_KEY}\n` } };
      if (a.name.endsWith("-wireguard")) return { id: a.name, state: { ...a.inputs, stdout: `letsbe-wireguard public-key=${HUB_KEY}\nletsbe-stage wireguard changes=4\n` } };
      return undefined;
    },
    ...extra,
  });
}


describe("hub program with a WireGuard network", () => {
  it("runs the hub role after the base stages and before the hub's own, with the UDP port open in ufw", async () => {
    const { resources, plainOutputs } = await run("prod-eu", { network: "10.200.0.0/16", port: 51821 });
    const wg = named(resources, "hub-eu-wireguard");
    const create = String(wg.plainInputs.create);
    // Jump sources: the management CIDRs, loopback and the hub server's own addresses (the mock's).
    expect([plainOutputs.hubIpv4, plainOutputs.hubIpv6]).toEqual(["100.97.168.119", "2001:db8:d0dd:a27f::1"]);
    expect(create).toContain("LB_WG_ROLE='hub' LB_WG_ADDRESS='10.200.0.1/16' LB_WG_PORT='51821' "
      + "LB_MGMT_CIDRS='100.97.168.119/32 127.0.0.1/32 198.51.100.10/32 2001:db8:100::/48 2001:db8:d0dd:a27f::1/128 ::1/128'");
    expect(wg.dependencies).toContain(named(resources, "hub-eu-hardening").urn);
    expect(named(resources, "hub-eu-apps").dependencies).toContain(wg.urn);
    expect(String(named(resources, "hub-eu-firewall").plainInputs.create)).toContain("LB_PUBLIC_UDP_PORTS='51821'");
  });

  it("exports what a spoke needs, public values only, valid against the contract", async () => {
    const result = await run("prod-eu", { network: "10.200.0.0/16" });
    expect(result.secretOutputs).not.toContain("wireguard");
    const outputs = hubStackOutputsSchema.parse(result.plainOutputs);
    expect(outputs.wireguard).toEqual({
      network: "10.200.0.0/16",
      port: 51820,
      publicKey: HUB_KEY,
      endpoint: `${outputs.hubIpv4}:51820`,
      hubAddress: "10.200.0.1",
      jump: { host: outputs.hubIpv4, port: 22, user: "root", hostKey: HOST_KEY },
    });
    // The hub's private half never passes through Pulumi: it is made on the hub and stays there.
    expect(JSON.stringify(result.plainOutputs)).not.toMatch(/PRIVATE KEY|PrivateKey/);
  });

  it("plans with the mock runtime's own stand-ins for the keys (the offline plan), and a tenant plans against that contract", async () => {
    const hub = await run("prod-eu", { network: "10.200.0.0/16" }, { answer: undefined });
    const outputs = hubStackOutputsSchema.parse(hub.plainOutputs);
    expect(outputs.wireguard?.publicKey).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(outputs.wireguard?.jump.hostKey).toMatch(/^ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABB/);
    const spec = specFixture();
    const options = tenantRunOptions(spec, { org: "letsbe" }, hub.plainOutputs, hub.secretOutputs);
    const tenant = await runUnderMocks(tenantProgram, { ...options, config: { ...options.config, "letsbe-tenant:tunnelAddress": "10.200.0.2" } });
    const peer = tenant.resources.find((r) => r.name === "acme-bakery-host-wg-peer");
    expect(String(peer?.plainInputs.create)).toContain("LB_WG_PEER_ADDRESS='10.200.0.2'");
    expect((tenant.resources.find((r) => r.name === "acme-bakery-host-compose")?.plainInputs.connection as Record<string, unknown>).host).toBe("10.200.0.2");
  });

  it("opens the UDP port on a Hetzner hub's firewall to everyone, and SSH still to management only", async () => {
    const { resources } = await run("staging", { network: "10.210.0.0/16" });
    const firewall = resources.find((r) => r.type === "hcloud:index/firewall:Firewall");
    const rules = firewall?.plainInputs.rules as Array<Record<string, unknown>>;
    expect(rules.filter((r) => r.protocol === "udp")).toEqual([
      { direction: "in", protocol: "udp", port: "51820", sourceIps: ["0.0.0.0/0", "::/0"], description: "wireguard" },
    ]);
    expect(rules.find((r) => r.port === "22")?.sourceIps).not.toContain("0.0.0.0/0");
  });

  it("refuses a network that does not start on its prefix, naming the key", async () => {
    const error = await run("prod-eu", { network: "10.200.0.5/16" }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).problems[0]).toMatchObject({
      source: "stack prod-eu config letsbe-hub:wireguard", path: "network", message: "WireGuard network 10.200.0.5/16: 10.200.0.5 is not the start of a /16",
    });
  });
});
