import { ResourceValidationPolicy } from "@pulumi/policy";
import { TYPES, isProdStack, parseUrn } from "./lib/resources";

/** Resources whose loss loses data or an address DNS points at. */
export const STATEFUL_TYPES: readonly string[] = [
  TYPES.hcloudServer, TYPES.netcupServer, TYPES.hcloudPrimaryIp, TYPES.hcloudVolume, TYPES.dockerVolume,
];

export const statefulProtected: ResourceValidationPolicy = {
  name: "stateful-protected",
  description: "Servers, primary IPs and volumes carry `protect` in production stacks (prod-* hubs and every tenant).",
  enforcementLevel: "mandatory",
  severity: "high",
  tags: ["data-loss", "protection"],
  remediationSteps: "Declare the resource with { protect: true }; unprotect deliberately (pulumi state unprotect) before a planned removal.",
  validateResource: (args, report) => {
    if (!STATEFUL_TYPES.includes(args.type) || !isProdStack(args.urn)) return;
    if (!args.opts.protect) {
      const { project, stack } = parseUrn(args.urn);
      report(`${args.name} (${args.type}) is stateful but not protected in production stack ${project}/${stack}`);
    }
  },
};
