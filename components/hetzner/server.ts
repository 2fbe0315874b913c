import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import { Vps } from "../vps";

export interface HetznerVpsArgs {
  /** Server name in the Hetzner project; the tenant slug. */
  readonly name: string;
  /** Hetzner server type, e.g. `cpx31` (from the tier). */
  readonly serverType: string;
  /** Hetzner location, e.g. `nbg1` (from the region). */
  readonly location: string;
  /** Image name, `debian-13` (from the catalog). */
  readonly image: string;
  /** Provisioning public key, written by cloud-init for root. */
  readonly sshPublicKey: string;
  /** Sources allowed to reach SSH (the Hub's management CIDRs). */
  readonly managementCidrs: readonly string[];
  /** Port sshd listens on (set at first boot) and the firewall opens to management. Default - 22. */
  readonly sshPort?: number;
  /** Extra public TCP ports beyond 80 and 443 (mail ports when a mail tool is chosen). */
  readonly extraPublicTcpPorts?: readonly number[];
  /**
   * The WireGuard listen port on a region's hub (components/hub/wireguard.ts), open to everyone:
   * spokes dial in from wherever they are, and WireGuard answers no unauthenticated packet.
   * Spokes need no rule: they dial out, and Hetzner firewalls are stateful. Default - none.
   */
  readonly wireguardPort?: number;
  readonly labels: Readonly<Record<string, string>>;
  /** Protect the server and its addresses from deletion. Default - true. */
  readonly protect?: boolean;
}

const ANYWHERE = ["0.0.0.0/0", "::/0"];

function publicRule(port: number, description: string): hcloud.types.input.FirewallRule {
  return { direction: "in", protocol: "tcp", port: String(port), sourceIps: ANYWHERE, description };
}

/** The firewall a tenant server sits behind: web from anywhere, SSH only from management. */
export function tenantFirewallRules(args: Pick<HetznerVpsArgs, "managementCidrs" | "extraPublicTcpPorts" | "sshPort" | "wireguardPort">): hcloud.types.input.FirewallRule[] {
  const sshPort = checkedSshPort(args.sshPort);
  return [
    publicRule(80, "http"),
    publicRule(443, "https"),
    ...(args.extraPublicTcpPorts ?? []).map((port) => publicRule(port, "mail")),
    ...(args.wireguardPort === undefined ? [] : [{ ...publicRule(checkedWireguardPort(args.wireguardPort), "wireguard"), protocol: "udp" as const }]),
    // With the WireGuard network this rule is first contact only: after the switch sshd listens
    // on the tunnel address alone and ufw drops SSH on the public one.
    { direction: "in", protocol: "tcp", port: String(sshPort), sourceIps: [...args.managementCidrs], description: "ssh from management" },
    { direction: "in", protocol: "icmp", sourceIps: ANYWHERE, description: "icmp" },
  ];
}

function checkedWireguardPort(port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new pulumi.InputPropertyError({ propertyPath: "wireguardPort", reason: `wireguardPort must be a UDP port (1-65535), not ${String(port)}` });
  }
  return port;
}

function checkedSshPort(port: number | undefined): number {
  const value = port ?? 22;
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new pulumi.InputPropertyError({ propertyPath: "sshPort", reason: `sshPort must be a TCP port (1-65535), not ${String(port)}` });
  }
  return value;
}

/**
 * First-boot configuration: root's provisioning key and, for a port other than 22, sshd moved
 * there before the bootstrap's first connection (the firewall lets only that port in). The ssh
 * stage later rewrites the same drop-in with the full hardening and the same port.
 */
export function cloudInit(sshPublicKey: string, sshPort?: number): string {
  const port = checkedSshPort(sshPort);
  const lines = ["#cloud-config", "disable_root: false", "ssh_pwauth: false", "users:", "  - name: root", "    ssh_authorized_keys:", `      - ${sshPublicKey}`];
  if (port !== 22) {
    lines.push("write_files:", "  - path: /etc/ssh/sshd_config.d/00-letsbe.conf", "    permissions: \"0600\"", `    content: "Port ${port}\\n"`,
      "runcmd:", "  - [systemctl, restart, ssh.service]");
  }
  return [...lines, ""].join("\n");
}

/**
 * A Hetzner Cloud server with primary IPs that outlive it, so a replaced server keeps its
 * addresses and DNS never moves. `userData` and `sshKeys` are first-boot only.
 */
export function createHetznerVps(resourceName: string, args: HetznerVpsArgs, parent: pulumi.Resource): Vps {
  const protect = args.protect ?? true;
  const labels = { ...args.labels };
  const addressOpts: pulumi.CustomResourceOptions = { parent, protect };
  const primaryIp = (type: "ipv4" | "ipv6") =>
    new hcloud.PrimaryIp(`${resourceName}-${type}`, {
      name: `${args.name}-${type}`,
      type,
      location: args.location,
      assigneeType: "server",
      autoDelete: false,
      deleteProtection: protect,
      labels,
    }, addressOpts);
  const ipv4 = primaryIp("ipv4");
  const ipv6 = primaryIp("ipv6");

  const firewall = new hcloud.Firewall(`${resourceName}-firewall`, {
    name: `${args.name}-firewall`,
    // The SSH port the rules are for, so no-public-ssh holds a moved port too (policy/noPublicSsh.ts).
    labels: { ...labels, "ssh-port": String(checkedSshPort(args.sshPort)) },
    rules: tenantFirewallRules(args),
  }, { parent });

  const server = new hcloud.Server(`${resourceName}-server`, {
    name: args.name,
    serverType: args.serverType,
    image: args.image,
    location: args.location,
    labels,
    userData: cloudInit(args.sshPublicKey, args.sshPort),
    firewallIds: [firewall.id.apply(Number)],
    publicNets: [{ ipv4Enabled: true, ipv4: ipv4.id.apply(Number), ipv6Enabled: true, ipv6: ipv6.id.apply(Number) }],
    deleteProtection: protect,
    rebuildProtection: protect,
  // Delete before replace: the new server takes the same name (unique per project) and primary IPs.
  }, { parent, protect, ignoreChanges: ["userData", "sshKeys"], deleteBeforeReplace: true });

  return {
    provider: "hetzner",
    serverId: server.id,
    ipv4: server.ipv4Address,
    ipv6: server.ipv6Address,
    server,
  };
}
