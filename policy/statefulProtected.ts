import { ResourceValidationPolicy } from "@pulumi/policy";
import { TYPES, isProdStack, parseUrn } from "./lib/resources";
import { DECOMMISSION_TAG } from "./lib/tags";

/**
 * Resources whose loss loses data or an address DNS points at. A tenant's child zone is one: deleting
 * it drops every record in it, and a new zone gets new name servers the delegation no longer names.
 */
export const STATEFUL_TYPES: readonly string[] = [
  TYPES.hcloudServer, TYPES.netcupServer, TYPES.hcloudPrimaryIp, TYPES.hcloudVolume, TYPES.dockerVolume, TYPES.cloudflareZone,
];

export const statefulProtected: ResourceValidationPolicy = {
  name: "stateful-protected",
  description: "Servers, primary IPs, volumes and tenant DNS zones carry `protect` in production stacks (prod-* hubs and every tenant).",
  enforcementLevel: "mandatory",
  severity: "high",
  tags: ["data-loss", "protection"],
  remediationSteps: `Declare the resource with { protect: true }; a planned removal goes through the order flow's destroy, which tags the stack ${DECOMMISSION_TAG} for its unprotecting up.`,
  validateResource: (args, report) => {
    if (!STATEFUL_TYPES.includes(args.type) || !isProdStack(args.urn)) return;
    // A confirmed decommission lifts protection on purpose, once, right before the destroy.
    if (args.stackTags.has(DECOMMISSION_TAG)) return;
    if (!args.opts.protect) {
      const { project, stack } = parseUrn(args.urn);
      report(`${args.name} (${args.type}) is stateful but not protected in production stack ${project}/${stack}`);
    }
  },
};
