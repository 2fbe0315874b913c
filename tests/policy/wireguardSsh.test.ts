/**
 * no-public-ssh and the Hetzner firewall with the WireGuard management network (issue 16 part 3):
 * a spoke's SSH goes on a private tunnel address, the stages planned for a spoke pass, and the
 * hub's firewall opens the WireGuard port (UDP) without opening SSH.
 */
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { runUnderMocks } from "../../automation/plan/mockRuntime";
import { createHetznerVps, tenantFirewallRules } from "../../components/hetzner/server";
import { planStage } from "../../components/host/stages";
import { isPrivateIpv4, noPublicSsh } from "../../policy/noPublicSsh";
import { T } from "./fixtures";
import { Fixture, checkResource } from "./helpers";

const MGMT = ["198.51.100.10/32"];
const stageFixture = (name: string, create: string): Fixture => ({ type: T.command, name, props: { create } });
const spoke = (address: string) => ({ hostname: "acme", domain: "acme.example.net", managementCidrs: MGMT, acmeEmail: "ops@example.net", sshTunnelAddress: address });

describe("no-public-ssh on a WireGuard spoke", () => {
  it("passes the firewall and ssh stages planned for a spoke on a tunnel address", async () => {
    for (const name of ["firewall", "ssh"] as const) {
      const outcome = await checkResource(noPublicSsh, stageFixture(`acme-host-${name}`, planStage(name, spoke("10.200.0.9")).command));
      expect(outcome.messages, name).toEqual([]);
    }
  });

  it("reports a spoke whose SSH would listen on a public address", async () => {
    const outcome = await checkResource(noPublicSsh, stageFixture("acme-host-ssh", planStage("ssh", spoke("203.0.113.9")).command));
    expect(outcome.messages).toEqual([
      "acme-host-ssh: SSH would listen on 203.0.113.9, which is not a private tunnel address (10/8, 172.16/12, 192.168/16, 100.64/10)",
    ]);
    const malformed = await checkResource(noPublicSsh, stageFixture("acme-host-ssh", "LB_STAGE=ssh LB_SSH_PORT='22' LB_SSH_TUNNEL='10.200.0.9' bash ssh.sh"));
    expect(malformed.messages).toEqual(['acme-host-ssh: LB_SSH_TUNNEL must be "IFACE ADDRESS", not "10.200.0.9"']);
  });

  it("knows the private ranges at their edges", () => {
    expect(["10.0.0.1", "172.16.0.1", "172.31.255.254", "192.168.1.1", "100.64.0.1", "100.127.255.1"].map(isPrivateIpv4)).toEqual([true, true, true, true, true, true]);
    expect(["172.15.0.1", "172.32.0.1", "100.63.0.1", "100.128.0.1", "192.169.0.1", "8.8.8.8", "10.0.0.256"].map(isPrivateIpv4)).toEqual([false, false, false, false, false, false, false]);
  });
});

describe("the hub's Hetzner firewall with the WireGuard port", () => {
  it("opens the port as UDP to everyone and keeps SSH to management", () => {
    const rules = tenantFirewallRules({ managementCidrs: MGMT, wireguardPort: 51820 });
    expect(rules.filter((r) => r.protocol === "udp")).toEqual([{ direction: "in", protocol: "udp", port: "51820", sourceIps: ["0.0.0.0/0", "::/0"], description: "wireguard" }]);
    expect(rules.filter((r) => r.port === "22")).toEqual([{ direction: "in", protocol: "tcp", port: "22", sourceIps: MGMT, description: "ssh from management" }]);
    expect(tenantFirewallRules({ managementCidrs: MGMT }).some((r) => r.protocol === "udp")).toBe(false);
    expect(() => tenantFirewallRules({ managementCidrs: MGMT, wireguardPort: 0 })).toThrow(/wireguardPort must be a UDP port/);
  });

  it("passes no-public-ssh as the component makes it, and a WireGuard port on 22 over TCP would not", async () => {
    const { resources } = await runUnderMocks(() => {
      const parent = new pulumi.ComponentResource("letsbe:test:Parent", "p");
      createHetznerVps("hub", {
        name: "letsbe-hub-eu", serverType: "cpx31", location: "nbg1", image: "debian-13",
        sshPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHJ0ZXN0a2V5dGVzdGtleXRlc3RrZXl0ZXN0a2V5 k", managementCidrs: MGMT, wireguardPort: 51820, labels: {},
      }, parent);
      return {};
    }, { project: "letsbe-hub", stack: "prod-eu" });
    const made = resources.find((r) => r.type === T.firewall)!;
    expect((made.plainInputs.rules as { protocol: string }[]).map((r) => r.protocol)).toContain("udp");
    expect((await checkResource(noPublicSsh, { type: T.firewall, name: made.name, props: made.plainInputs })).messages).toEqual([]);
    const tcp22 = { type: T.firewall, name: "fw", props: { name: "fw", rules: [{ direction: "in", protocol: "tcp", port: "22", sourceIps: ["0.0.0.0/0"], description: "wireguard" }] } };
    expect((await checkResource(noPublicSsh, tcp22)).messages).toEqual(['firewall "fw" rule 0 opens port 22 (SSH) to 0.0.0.0/0']);
  });
});
