import { ResourceValidationPolicy } from "@pulumi/policy";
import { TYPES } from "./lib/resources";

const ANYWHERE = new Set(["0.0.0.0/0", "::/0"]);

interface FirewallRule {
  readonly direction?: string;
  readonly protocol?: string;
  readonly port?: string;
  readonly sourceIps?: readonly string[];
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
  const publicPorts = (assignment(script, "LB_PUBLIC_TCP_PORTS") ?? "").split(/\s+/).filter(Boolean);
  if (publicPorts.some((p) => p === sshPort || portCovers(p.replace(":", "-"), Number(sshPort)))) {
    problems.push(`host firewall publishes the SSH port ${sshPort} to everyone (LB_PUBLIC_TCP_PORTS)`);
  }
  return problems;
}

export const noPublicSsh: ResourceValidationPolicy = {
  name: "no-public-ssh",
  description: "No firewall rule (Hetzner Cloud firewall or the host's ufw stage) opens SSH to 0.0.0.0/0 or ::/0; SSH is reachable from the management CIDRs only.",
  enforcementLevel: "mandatory",
  severity: "critical",
  tags: ["network", "ssh"],
  remediationSteps: "Allow port 22 only from the hub's managementCidrs.",
  validateResource: (args, report) => {
    if (args.type === TYPES.remoteCommand) {
      for (const field of ["create", "update"]) {
        const script = args.props[field];
        if (typeof script === "string") for (const problem of hostFirewallProblems(script)) report(`${args.name}: ${problem}`);
      }
      return;
    }
    if (args.type !== TYPES.hcloudFirewall) return;
    const rules = (args.props.rules ?? []) as readonly FirewallRule[];
    rules.forEach((rule, i) => {
      if ((rule.direction ?? "in") !== "in" || rule.protocol !== "tcp" || !portCovers(rule.port, 22)) return;
      const open = (rule.sourceIps ?? []).filter((ip) => ANYWHERE.has(ip));
      if (open.length > 0) report(`firewall "${args.name}" rule ${i} opens port ${rule.port ?? "any"} (SSH) to ${open.join(", ")}`);
    });
  },
};
