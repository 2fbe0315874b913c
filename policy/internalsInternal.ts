import { ResourceValidationArgs, ResourceValidationPolicy, ReportViolation } from "@pulumi/policy";
import { MAIL_CONTAINER_PORTS } from "../components/compose/services";
import { TOOLS, TOOL_IDS } from "../tenants/catalog";
import { composeDocuments, isLoopback, publishedPorts } from "./lib/compose";
import { imageRepository } from "./lib/images";
import { TYPES } from "./lib/resources";
import { knownElements, read } from "./lib/unknown";

const MAIL_REPOSITORIES = new Set(TOOL_IDS.filter((id) => TOOLS[id].mail).map((id) => TOOLS[id].image.repository));
const MAIL_PORTS = new Set<number>(MAIL_CONTAINER_PORTS);

/**
 * Whether a host port may be public: only a mail port, and only for the catalog's mail server
 * image. nginx runs on the host, never in a container, and names prove nothing: a service or
 * image called `nginx` (or `stalwart`) gets no exception.
 */
export function mayPublishPort(image: unknown, hostPort: number | undefined): boolean {
  const repo = typeof image === "string" ? imageRepository(image) : "";
  return MAIL_REPOSITORIES.has(repo) && hostPort !== undefined && MAIL_PORTS.has(hostPort);
}

/** The host port of a compose port spec (`ip:host:container`, `host:container`); undefined for an ephemeral one. */
export function composeHostPort(spec: string): number | undefined {
  const parts = spec.replace(/^\[[^\]]*\]:/, "[ip]:").split("/")[0]?.split(":") ?? [];
  const host = parts.length >= 2 ? parts[parts.length - 2] : undefined;
  return host !== undefined && /^\d+$/.test(host) ? Number(host) : undefined;
}

interface DockerPort {
  readonly internal?: number;
  readonly external?: number;
  readonly ip?: string;
}

const RULE = "only the mail server image may publish, and only the mail ports; everything else binds 127.0.0.1";

async function validate(args: ResourceValidationArgs, report: ReportViolation): Promise<void> {
  if (args.type === TYPES.dockerContainer) {
    const name = read(() => String(args.props.name ?? args.name));
    const label = `container "${name.known ? name.value : args.name}"`;
    // An image not known at preview is no mail server: its public ports are reported.
    const image = read(() => args.props.image);
    const networkMode = read(() => args.props.networkMode);
    if (networkMode.known && networkMode.value === "host") report(`${label} uses host networking, which publishes every port it listens on`);
    for (const port of knownElements(() => args.props.ports).elements as DockerPort[]) {
      const ip = read(() => port.ip ?? "0.0.0.0");
      const external = read(() => port.external);
      const internal = read(() => port.internal);
      // An address or port not known at preview is judged at update.
      if (!ip.known || isLoopback(ip.value) || !external.known) continue;
      if (mayPublishPort(image.known ? image.value : undefined, external.value)) continue;
      report(`${label} publishes port ${internal.known ? internal.value : "?"} on ${ip.value}; ${RULE}`);
    }
    return;
  }
  for (const doc of await composeDocuments(args)) {
    for (const [service, spec] of Object.entries(doc.services)) {
      if (spec.network_mode === "host") report(`compose service "${service}" uses host networking; ${RULE}`);
      for (const port of publishedPorts(spec)) {
        if (isLoopback(port.hostIp) || mayPublishPort(spec.image, composeHostPort(port.spec))) continue;
        report(`compose service "${service}" publishes "${port.spec}" on ${port.hostIp}; ${RULE}`);
      }
    }
  }
}

export const internalsInternal: ResourceValidationPolicy = {
  name: "internals-internal",
  description: "Nothing in the compose file or a docker container publishes a port beyond 127.0.0.1, except the catalog's mail server image "
    + "on the mail ports (25, 465, 587, 993); nginx runs on the host. Names grant nothing. At preview, a container image not known yet "
    + "counts as no mail server; a port or address not known yet is judged at update.",
  enforcementLevel: "mandatory",
  severity: "high",
  tags: ["network", "exposure"],
  remediationSteps: "Publish as 127.0.0.1:<host>:<container> and route through nginx.",
  validateResource: validate,
};
