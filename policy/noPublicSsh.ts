import { ResourceValidationPolicy } from "@pulumi/policy";
import { TYPES } from "./lib/resources";
import { knownElements, read } from "./lib/unknown";

/** Label the Hetzner firewall carries with the SSH port it was made for (components/hetzner/server.ts). */
export const SSH_PORT_LABEL = "ssh-port";
/** Ports every host opens to everyone (nginx). */
const WEB_PORTS = ["80", "443"];

const ANYWHERE = new Set(["0.0.0.0/0", "::/0"]);

interface FirewallRule {
  readonly direction?: string;
  readonly protocol?: string;
  readonly port?: string;
  readonly sourceIps?: readonly string[];
  readonly description?: string;
}

/** Whether an hcloud port spec (`22`, `20-30`, `any`, empty for all) covers `port`. */
export function portCovers(spec: string | undefined, port: number): boolean {
  if (spec === undefined || spec === "" || spec === "any") return true;
  const [from, to] = spec.split("-").map((p) => Number.parseInt(p, 10));
  if (from === undefined || Number.isNaN(from)) return false;
  return port >= from && port <= (to === undefined || Number.isNaN(to) ? from : to);
}

/** `NAME='value'` or `NAME=value` assignments on a command line. */
function assignment(script: string, name: string): string | undefined {
  const m = new RegExp(`(?:^|\\s)${name}=(?:'([^']*)'|"([^"]*)"|(\\S*))`).exec(script);
  return m ? (m[1] ?? m[2] ?? m[3] ?? "") : undefined;
}

/**
 * The host firewall (ufw) stage takes its rules as variables on the command line
 * (components/host/scripts/stages/firewall.sh): SSH from LB_MGMT_CIDRS on LB_SSH_PORT,
 * and LB_PUBLIC_TCP_PORTS from anywhere.
 */
export function hostFirewallProblems(script: string): string[] {
  const cidrs = assignment(script, "LB_MGMT_CIDRS");
  if (cidrs === undefined) return [];
  const sshPort = assignment(script, "LB_SSH_PORT") || "22";
  const problems: string[] = [];
  const open = cidrs.split(/\s+/).filter((c) => ANYWHERE.has(c));
  if (open.length > 0) problems.push(`host firewall allows SSH (port ${sshPort}) from ${open.join(", ")}`);
  const publicPorts = [...WEB_PORTS, ...(assignment(script, "LB_PUBLIC_TCP_PORTS") ?? "").split(/\s+/).filter(Boolean)];
  if (publicPorts.some((p) => p === sshPort || portCovers(p.replace(":", "-"), Number(sshPort)))) {
    problems.push(`host firewall publishes the SSH port ${sshPort} to everyone (80, 443 or LB_PUBLIC_TCP_PORTS)`);
  }
  return problems;
}

/** RFC 1918 and the shared address space (RFC 6598): where a WireGuard network may live. */
export function isPrivateIpv4(address: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address);
  if (!m || m.slice(1).some((o) => Number(o) > 255)) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127);
}

/**
 * The firewall and ssh stages of a WireGuard spoke take `LB_SSH_TUNNEL="IFACE ADDRESS"` and put
 * SSH on that address alone (components/host/scripts/stages/ssh.sh): it must be a tunnel address,
 * not a public one.
 */
export function tunnelProblems(script: string): string[] {
  const tunnel = assignment(script, "LB_SSH_TUNNEL");
  if (tunnel === undefined) return [];
  const [iface, address, ...rest] = tunnel.trim().split(/\s+/);
  if (!iface || !address || rest.length > 0) return [`LB_SSH_TUNNEL must be "IFACE ADDRESS", not "${tunnel}"`];
  return isPrivateIpv4(address) ? [] : [`SSH would listen on ${address}, which is not a private tunnel address (10/8, 172.16/12, 192.168/16, 100.64/10)`];
}

/**
 * The SSH ports of a Hetzner firewall: 22, the port its label names, and the port of any rule
 * described as SSH, so a moved SSH port (the tenant's sshPort, as ufw has it) is held too.
 */
export function hetznerSshPorts(props: Record<string, unknown>, rules: readonly FirewallRule[]): number[] {
  const ports = new Set<number>([22]);
  const label = read(() => (props.labels as Record<string, unknown> | undefined)?.[SSH_PORT_LABEL]);
  if (label.known && typeof label.value === "string" && /^\d+$/.test(label.value)) ports.add(Number(label.value));
  for (const rule of rules) {
    const description = read(() => rule.description);
    const port = read(() => rule.port);
    if (description.known && /\bssh\b/i.test(String(description.value ?? "")) && port.known && /^\d+$/.test(String(port.value))) ports.add(Number(port.value));
  }
  return [...ports].sort((a, b) => a - b);
}

export const noPublicSsh: ResourceValidationPolicy = {
  name: "no-public-ssh",
  description: "No Hetzner firewall rule and no host ufw stage opens the SSH port to 0.0.0.0/0 or ::/0: ufw's LB_SSH_PORT; "
    + "a WireGuard spoke's SSH (LB_SSH_TUNNEL) listens on a private tunnel address; on Hetzner 22, "
    + "the firewall's ssh-port label and any rule described as SSH. At preview, a rule whose port is not known yet counts as covering SSH; "
    + "one whose sources are not known yet, and a rule list or script not known yet, are judged at update.",
  enforcementLevel: "mandatory",
  severity: "critical",
  tags: ["network", "ssh"],
  remediationSteps: "Allow the SSH port only from the hub's managementCidrs.",
  validateResource: (args, report) => {
    if (args.type === TYPES.remoteCommand) {
      for (const field of ["create", "update"]) {
        const script = read(() => args.props[field]);
        if (script.known && typeof script.value === "string") {
          for (const problem of [...hostFirewallProblems(script.value), ...tunnelProblems(script.value)]) report(`${args.name}: ${problem}`);
        }
      }
      return;
    }
    if (args.type !== TYPES.hcloudFirewall) return;
    const rules = knownElements(() => args.props.rules).elements as FirewallRule[];
    const sshPorts = hetznerSshPorts(args.props, rules);
    rules.forEach((rule, i) => {
      const direction = read(() => rule.direction ?? "in");
      const protocol = read(() => rule.protocol);
      const port = read(() => rule.port);
      if ((direction.known && direction.value !== "in") || (protocol.known && protocol.value !== "tcp")) return;
      const covered = port.known ? sshPorts.filter((p) => portCovers(port.value, p)) : sshPorts;
      if (covered.length === 0) return;
      const sources = knownElements(() => rule.sourceIps).elements.filter((ip): ip is string => typeof ip === "string");
      const open = sources.filter((ip) => ANYWHERE.has(ip));
      const what = port.known ? (port.value ?? "any") : "not known yet";
      if (open.length > 0) report(`firewall "${args.name}" rule ${i} opens port ${what} (SSH${covered.length === 1 && covered[0] === 22 ? "" : ` ${covered.join(", ")}`}) to ${open.join(", ")}`);
    });
  },
};
