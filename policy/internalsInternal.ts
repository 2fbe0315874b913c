import { ResourceValidationArgs, ResourceValidationPolicy, ReportViolation } from "@pulumi/policy";
import { TOOLS, TOOL_IDS } from "../tenants/catalog";
import { composeDocuments, isLoopback, publishedPorts } from "./lib/compose";
import { imageRepository } from "./lib/images";
import { TYPES } from "./lib/resources";

const MAIL_REPOSITORIES = new Set(TOOL_IDS.filter((id) => TOOLS[id].mail).map((id) => TOOLS[id].image.repository));
const MAIL_NAMES = new Set<string>(TOOL_IDS.filter((id) => TOOLS[id].mail));

/** nginx (the TLS front) and the mail server are the only services the internet may reach. */
export function mayPublish(serviceName: string, image: unknown): boolean {
  const repo = typeof image === "string" ? imageRepository(image) : "";
  const base = repo.split("/").pop() ?? "";
  return serviceName === "nginx" || base === "nginx" || MAIL_NAMES.has(serviceName) || MAIL_REPOSITORIES.has(repo);
}

interface DockerPort {
  readonly internal?: number;
  readonly external?: number;
  readonly ip?: string;
}

async function validate(args: ResourceValidationArgs, report: ReportViolation): Promise<void> {
  if (args.type === TYPES.dockerContainer) {
    const name = String(args.props.name ?? args.name);
    if (mayPublish(name, args.props.image)) return;
    if (args.props.networkMode === "host") report(`container "${name}" uses host networking, which publishes every port it listens on`);
    for (const port of (args.props.ports ?? []) as readonly DockerPort[]) {
      const ip = port.ip ?? "0.0.0.0";
      if (!isLoopback(ip)) report(`container "${name}" publishes port ${port.internal} on ${ip}; only nginx and mail may be public, others bind 127.0.0.1`);
    }
    return;
  }
  for (const doc of await composeDocuments(args)) {
    for (const [service, spec] of Object.entries(doc.services)) {
      if (mayPublish(service, spec.image)) continue;
      if (spec.network_mode === "host") report(`compose service "${service}" uses host networking; only nginx and mail may be public`);
      for (const port of publishedPorts(spec)) {
        if (!isLoopback(port.hostIp)) report(`compose service "${service}" publishes "${port.spec}" on ${port.hostIp}; only nginx and mail may be public, others bind 127.0.0.1`);
      }
    }
  }
}

export const internalsInternal: ResourceValidationPolicy = {
  name: "internals-internal",
  description: "Only nginx (and the mail server) publish ports publicly, in the compose file and in docker containers; everything else binds 127.0.0.1.",
  enforcementLevel: "mandatory",
  severity: "high",
  tags: ["network", "exposure"],
  remediationSteps: "Publish as 127.0.0.1:<host>:<container> and route through nginx.",
  validateResource: validate,
};
