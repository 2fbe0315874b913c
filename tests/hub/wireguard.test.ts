import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { runUnderMocks } from "../../automation/plan/mockRuntime";
import { createBaseStages } from "../../components/host";
import { HostParams, planStage } from "../../components/host/stages";
import {
  allocateTunnelAddress, createWireguardHub, createWireguardSpoke, hubJumpSources, hubTunnelAddress, parsePublicKey, planHubPeer, planHubWireguard, planSpokeWireguard, tunnelConnection,
} from "../../components/hub/wireguard";

// A well-formed key: 32 bytes of base64 (the 43rd character carries 4 bits, so it is one of 16).
const KEY_A = `${"A".repeat(42)}E=`;
const KEY_B = `${"b".repeat(42)}8=`;
const NET = { network: "10.200.0.0/16", port: 51820 };

describe("tunnel addresses", () => {
  it("gives the hub the network's first address and spokes the lowest free one after it", () => {
    expect(hubTunnelAddress("10.200.0.0/16")).toBe("10.200.0.1");
    expect(allocateTunnelAddress("10.200.0.0/16", [])).toBe("10.200.0.2");
    expect(allocateTunnelAddress("10.200.0.0/16", ["10.200.0.3"])).toBe("10.200.0.2");
    expect(allocateTunnelAddress("10.200.0.0/16", ["10.200.0.2", "10.200.0.3"])).toBe("10.200.0.4");
    expect(allocateTunnelAddress("10.200.0.0/16", Array.from({ length: 254 }, (_, i) => `10.200.0.${i + 2}`))).toBe("10.200.1.0");
  });

  it("refuses a record that is already unsound, and a full network", () => {
    expect(() => allocateTunnelAddress("10.200.0.0/16", ["10.200.0.2", "10.200.0.2"])).toThrow("tunnel address 10.200.0.2 is held by two spokes");
    expect(() => allocateTunnelAddress("10.200.0.0/16", ["10.201.0.2"])).toThrow("10.201.0.2 is not a spoke address of 10.200.0.0/16");
    expect(() => allocateTunnelAddress("10.200.0.0/16", ["10.200.0.1"])).toThrow("not a spoke address");
    // A /29 holds 6 hosts: the hub and 5 spokes.
    expect(() => allocateTunnelAddress("10.9.0.0/29", ["10.9.0.2", "10.9.0.3", "10.9.0.4", "10.9.0.5", "10.9.0.6"])).toThrow("is full (5 spokes)");
    expect(() => hubTunnelAddress("10.200.0.5/16")).toThrow("10.200.0.5 is not the start of a /16");
  });
});

describe("wireguard stage plans", () => {
  it("runs the hub, spoke and peer roles with their parameters, and checks keys and addresses", () => {
    expect(planHubWireguard(NET, ["198.51.100.7/32"]).command)
      .toContain("LB_WG_ROLE='hub' LB_WG_ADDRESS='10.200.0.1/16' LB_WG_PORT='51820' LB_MGMT_CIDRS='198.51.100.7/32'");
    const spoke = planSpokeWireguard({ network: NET, address: "10.200.0.9", hubEndpoint: "203.0.113.5", hubPublicKey: KEY_A });
    expect(spoke.command).toContain(`LB_WG_ROLE='spoke' LB_WG_ADDRESS='10.200.0.9' LB_WG_HUB_ENDPOINT='203.0.113.5:51820' LB_WG_HUB_KEY='${KEY_A}' LB_WG_HUB_ADDRESS='10.200.0.1'`);
    expect(spoke.files.map((f) => f.remotePath)).toEqual(["/var/lib/letsbe/bootstrap/wireguard.sh"]);
    expect(spoke.files[0].content).toMatch(/lb_wg_spoke\(\)/);
    expect(spoke.files[0].content).toMatch(/^lb_run_stage$/m);
    expect(planHubPeer("acme", KEY_B, "10.200.0.9").command).toContain(`LB_WG_PEER_NAME='acme' LB_WG_PEER_STATE='present' LB_WG_PEER_KEY='${KEY_B}'`);
    expect(planHubPeer("acme", "", "", "absent").command).not.toContain("LB_WG_PEER_KEY");
    expect(() => planSpokeWireguard({ network: NET, address: "10.200.0.1", hubEndpoint: "203.0.113.5", hubPublicKey: KEY_A })).toThrow("not a spoke address");
    expect(() => planSpokeWireguard({ network: NET, address: "10.200.0.9", hubEndpoint: "203.0.113.5", hubPublicKey: "not-a-key" })).toThrow("WireGuard public key");
    expect(() => planHubWireguard(NET, [])).toThrow("jumpSources is empty");
  });

  it("lets the hub itself jump (loopback and its own addresses) besides the management CIDRs, each once", () => {
    expect(hubJumpSources(["198.51.100.7/32", "203.0.113.5/32"], "203.0.113.5", "2001:db8::5"))
      .toEqual(["127.0.0.1/32", "198.51.100.7/32", "2001:db8::5/128", "203.0.113.5/32", "::1/128"]);
    expect(hubJumpSources(["198.51.100.7/32"], "203.0.113.5")).toEqual(["127.0.0.1/32", "198.51.100.7/32", "203.0.113.5/32", "::1/128"]);
    expect(() => hubJumpSources(["198.51.100.7/32"], "203.0.113")).toThrow("must be an IPv4 address");
    expect(() => hubJumpSources(["198.51.100.7/32"], "203.0.113.5", "not-v6")).toThrow("hub IPv6 address 'not-v6' is not an IPv6 address");
  });

  it("reads the public key the stage printed, and nothing else", () => {
    expect(parsePublicKey(`[letsbe] changed: x\nletsbe-wireguard public-key=${KEY_A}\nletsbe-stage wireguard changes=1\n`)).toBe(KEY_A);
    expect(() => parsePublicKey("letsbe-stage wireguard changes=0\n")).toThrow("printed no 'letsbe-wireguard public-key=' line");
  });

  it("reaches a spoke at its tunnel address through the hub", () => {
    const hub = { host: "203.0.113.5", user: "root", privateKey: "k" };
    expect(tunnelConnection({ host: "198.51.100.20", user: "root", privateKey: "k", hostKey: "ecdsa-sha2-nistp256 AAAA" }, "10.200.0.9", hub))
      .toEqual({ host: "10.200.0.9", user: "root", privateKey: "k", hostKey: "ecdsa-sha2-nistp256 AAAA", proxy: hub });
  });
});

describe("firewall and ssh stages on a spoke", () => {
  const params: HostParams = { hostname: "acme", domain: "acme.example.net", managementCidrs: ["198.51.100.7/32"], acmeEmail: "ops@example.net" };

  it("pass the tunnel to both stages only when the host is a spoke (other hosts' stages are unchanged)", () => {
    const spoke = { ...params, sshTunnelAddress: "10.200.0.9" };
    for (const name of ["firewall", "ssh"] as const) {
      expect(planStage(name, spoke).command).toContain("LB_SSH_TUNNEL='wg-letsbe 10.200.0.9'");
      expect(planStage(name, params).command).not.toContain("LB_SSH_TUNNEL");
    }
    expect(planStage("firewall", { ...params, publicUdpPorts: [51820] }).command).toContain("LB_PUBLIC_UDP_PORTS='51820'");
    expect(planStage("firewall", params).command).toBe(
      "LB_STAGE=firewall LB_WITH_SECRETS=0 LB_MGMT_CIDRS='198.51.100.7/32' LB_SSH_PORT='22' LB_PUBLIC_TCP_PORTS='' bash /var/lib/letsbe/bootstrap/firewall.sh");
  });
});

describe("the spoke as resources", () => {
  const KEY_SPOKE = `${"s".repeat(42)}k=`;
  const run = () => runUnderMocks(() => {
    const parent = new pulumi.ComponentResource("letsbe:test:Parent", "p");
    const server = new pulumi.ComponentResource("letsbe:test:Server", "server", {}, { parent });
    const hubConnection = pulumi.output({ host: "203.0.113.5", user: "root", privateKey: pulumi.secret("hub-key"), hostKey: "ecdsa-sha2-nistp256 HUB" });
    createBaseStages("acme", {
      connection: { host: "198.51.100.20", privateKey: pulumi.secret("k") },
      params: { hostname: "acme", domain: "acme.example.net", managementCidrs: ["203.0.113.5/32"], acmeEmail: "ops@example.net", sshTunnelAddress: "10.200.0.9" },
      secrets: { cloudflareDnsToken: pulumi.secret("t") },
      server: { server, serverId: pulumi.output("1"), installedAt: pulumi.output("t0") },
      viaTunnel: (pinned, hostKey) => {
        const spoke = createWireguardSpoke("acme", {
          slug: "acme", spoke: { network: NET, address: "10.200.0.9", hubEndpoint: "203.0.113.5", hubPublicKey: KEY_A },
          publicConnection: pinned, hubConnection, identity: "1@t0", dependsOn: [hostKey],
        }, { parent });
        return { connection: spoke.connection, ready: spoke.peer };
      },
    }, { parent });
    return {};
  }, {
    project: "letsbe-tenant", stack: "acme",
    answer: async (a) => (a.type === "pulumi-nodejs:dynamic/letsbe:FirstContact" && a.name === "acme-wg-init"
      ? { id: "init", state: { ...a.inputs, stdout: `letsbe-wireguard public-key=${KEY_SPOKE}\nletsbe-stage wireguard changes=3\n` } } : undefined),
  });

  it("makes first contact on the public address, adds the peer on the hub, then runs every stage through the tunnel", async () => {
    const { resources } = await run();
    const byName = (n: string) => resources.find((r) => r.name === n)!;
    const init = byName("acme-wg-init");
    const peer = byName("acme-wg-peer");
    expect(init.plainInputs.host).toBe("198.51.100.20");
    expect(init.dependencies).toContain(byName("acme-host-key").urn);
    expect((peer.plainInputs.connection as { host: string }).host).toBe("203.0.113.5");
    expect(peer.plainInputs.create).toContain(`LB_WG_PEER_KEY='${KEY_SPOKE}' LB_WG_PEER_ADDRESS='10.200.0.9'`);
    expect(peer.plainInputs.delete).toContain("LB_WG_PEER_STATE='absent'");
    expect(peer.dependencies).toContain(init.urn);
    const system = byName("acme-system");
    expect(system.dependencies).toContain(peer.urn);
    for (const stageName of ["acme-system", "acme-firewall", "acme-ssh", "acme-hardening"]) {
      const connection = byName(stageName).plainInputs.connection as { host: string; proxy: { host: string; user: string } };
      expect({ stage: stageName, host: connection.host, jump: connection.proxy?.host }).toEqual({ stage: stageName, host: "10.200.0.9", jump: "203.0.113.5" });
    }
  });
});

/** A custom resource that stands for the hub's last base stage. */
class Marker extends pulumi.CustomResource {
  constructor(name: string, opts: pulumi.CustomResourceOptions) { super("letsbe:test:Marker", name, {}, opts); }
}

describe("the hub's side as a resource", () => {
  it("runs the hub role after what it is given to wait for, and exports the key the stage printed", async () => {
    const { resources, plainOutputs } = await runUnderMocks(() => {
      const parent = new pulumi.ComponentResource("letsbe:test:Parent", "p");
      const before = new Marker("hardening", { parent });
      const hub = createWireguardHub("letsbe-hub-eu", NET, ["198.51.100.7/32"], { ipv4: pulumi.output("203.0.113.5"), ipv6: pulumi.output("2001:db8::5") }, {
        connection: { host: "203.0.113.5", user: "root", privateKey: pulumi.secret("k") }, identity: "7@-", dependsOn: [before],
      }, { parent });
      return { hubPublicKey: hub.publicKey };
    }, {
      project: "letsbe-hub", stack: "prod-eu",
      answer: async (a) => (a.type === "command:remote:Command" ? { id: "wg", state: { ...a.inputs, stdout: `letsbe-wireguard public-key=${KEY_B}\n` } } : undefined),
    });
    const stage = resources.find((r) => r.name === "letsbe-hub-eu-wireguard")!;
    expect(stage.plainInputs.create).toContain("LB_WG_ROLE='hub' LB_WG_ADDRESS='10.200.0.1/16'");
    // The order flow on the hub jumps from the hub's own addresses and loopback, besides management.
    expect(stage.plainInputs.create).toContain("LB_MGMT_CIDRS='127.0.0.1/32 198.51.100.7/32 2001:db8::5/128 203.0.113.5/32 ::1/128'");
    expect(stage.dependencies).toContain(resources.find((r) => r.name === "letsbe-hub-eu-wireguard-script")!.urn);
    expect(stage.dependencies).toContain(resources.find((r) => r.name === "hardening")!.urn);
    expect(plainOutputs.hubPublicKey).toBe(KEY_B);
  });
});
