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

export const noPublicSsh: ResourceValidationPolicy = {
  name: "no-public-ssh",
  description: "No firewall rule opens SSH (22) to 0.0.0.0/0 or ::/0; SSH is reachable from the management CIDRs only.",
  enforcementLevel: "mandatory",
  severity: "critical",
  tags: ["network", "ssh"],
  remediationSteps: "Allow port 22 only from the hub's managementCidrs.",
  validateResource: (args, report) => {
    if (args.type !== TYPES.hcloudFirewall) return;
    const rules = (args.props.rules ?? []) as readonly FirewallRule[];
    rules.forEach((rule, i) => {
      if ((rule.direction ?? "in") !== "in" || rule.protocol !== "tcp" || !portCovers(rule.port, 22)) return;
      const open = (rule.sourceIps ?? []).filter((ip) => ANYWHERE.has(ip));
      if (open.length > 0) report(`firewall "${args.name}" rule ${i} opens port ${rule.port ?? "any"} (SSH) to ${open.join(", ")}`);
    });
  },
};
