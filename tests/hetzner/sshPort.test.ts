/** The Hetzner firewall and first boot follow the configured SSH port (issue 13: port 22 was hard-coded). */
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runUnderMocks } from "../../automation/plan/mockRuntime";
import { cloudInit, createHetznerVps, tenantFirewallRules } from "../../components/hetzner/server";

const MGMT = ["198.51.100.10/32", "2001:db8:100::/48"];
const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHJ0ZXN0a2V5dGVzdGtleXRlc3RrZXl0ZXN0a2V5 provisioning";

const tcpRules = (rules: ReturnType<typeof tenantFirewallRules>) => rules.filter((r) => r.protocol === "tcp");

describe("Hetzner firewall and the SSH port", () => {
  it("opens the configured port, and only to management", () => {
    const rules = tcpRules(tenantFirewallRules({ managementCidrs: MGMT, sshPort: 2222 }));
    expect(rules.map((r) => r.port)).toEqual(["80", "443", "2222"]);
    expect(rules.find((r) => r.port === "2222")?.sourceIps).toEqual(MGMT);
  });

  it("keeps 22 when no port is configured", () => {
    expect(tcpRules(tenantFirewallRules({ managementCidrs: MGMT })).map((r) => r.port)).toEqual(["80", "443", "22"]);
  });

  it("refuses a port that is not a TCP port, naming the property", () => {
    expect(() => tenantFirewallRules({ managementCidrs: MGMT, sshPort: 70000 })).toThrow(/sshPort must be a TCP port/);
  });

  it("moves sshd to the configured port at first boot, before the bootstrap connects", () => {
    const config = parse(cloudInit(KEY, 2222)) as { write_files: { path: string; permissions: string; content: string }[]; runcmd: string[][] };
    expect(config.write_files).toEqual([{ path: "/etc/ssh/sshd_config.d/00-letsbe.conf", permissions: "0600", content: "Port 2222\n" }]);
    expect(config.runcmd).toEqual([["systemctl", "restart", "ssh.service"]]);
    // The stock port needs no first-boot change.
    expect(parse(cloudInit(KEY))).not.toHaveProperty("write_files");
  });

  it("registers the firewall and server with that port", async () => {
    const { resources } = await runUnderMocks(() => {
      const parent = new pulumi.ComponentResource("letsbe:test:Parent", "p");
      createHetznerVps("acme", {
        name: "acme", serverType: "cpx21", location: "nbg1", image: "debian-13", sshPublicKey: KEY, managementCidrs: MGMT, sshPort: 2222, labels: {},
      }, parent);
      return {};
    }, { project: "letsbe-tenant", stack: "acme" });
    const firewall = resources.find((r) => r.type === "hcloud:index/firewall:Firewall");
    const rules = firewall?.plainInputs.rules as { protocol: string; port?: string }[];
    expect(rules.filter((r) => r.protocol === "tcp").map((r) => r.port)).toEqual(["80", "443", "2222"]);
    // The label no-public-ssh reads the SSH port from.
    expect(firewall?.plainInputs.labels).toEqual({ "ssh-port": "2222" });
    const server = resources.find((r) => r.type === "hcloud:index/server:Server");
    expect(String(server?.plainInputs.userData)).toContain('content: "Port 2222\\n"');
  });
});
