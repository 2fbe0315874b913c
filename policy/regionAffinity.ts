import { StackValidationPolicy } from "@pulumi/policy";
import { REGIONS } from "../tenants/catalog";
import { TYPES, stackRegion } from "./lib/resources";

/** Hetzner resources whose `location` (or `datacenter`, e.g. `nbg1-dc3`) places them. */
const HETZNER_PLACED: readonly string[] = [TYPES.hcloudServer, TYPES.hcloudPrimaryIp, TYPES.hcloudVolume];

export const regionAffinity: StackValidationPolicy = {
  name: "region-affinity",
  description: "Servers, addresses and volumes of an eu stack stay in eu locations and Netcup sites; us likewise.",
  enforcementLevel: "mandatory",
  severity: "high",
  tags: ["data-residency", "region"],
  remediationSteps: "Take locations and sites from REGIONS in tenants/catalog.ts for the stack's region.",
  validateStack: (args, report) => {
    const region = stackRegion(args.resources);
    if (!region) {
      if (args.resources.some((r) => HETZNER_PLACED.includes(r.type) || r.type === TYPES.netcupServer)) {
        report("the stack's region cannot be told (no hub reference, region label or region stack name), so its servers' placement cannot be checked");
      }
      return;
    }
    const { hetznerLocations, netcupSite } = REGIONS[region];
    for (const r of args.resources) {
      if (HETZNER_PLACED.includes(r.type)) {
        const place = typeof r.props.location === "string" ? r.props.location : typeof r.props.datacenter === "string" ? r.props.datacenter.split("-")[0] : undefined;
        if (place !== undefined && !hetznerLocations.includes(place)) {
          report(`${r.name} is in Hetzner location "${place}", outside the ${region} region (${hetznerLocations.join(", ")})`, r.urn);
        }
        const label = (r.props.labels as Record<string, unknown> | undefined)?.region;
        if (label !== undefined && label !== region) report(`${r.name} carries region label "${String(label)}" in a ${region} stack`, r.urn);
      }
      if (r.type === TYPES.netcupServer) {
        if (r.props.region !== undefined && r.props.region !== region) {
          report(`${r.name} claims a Netcup server in region "${String(r.props.region)}" from a ${region} stack`, r.urn);
        }
        if (typeof r.props.site === "string" && r.props.site !== netcupSite) {
          report(`${r.name} is at Netcup site "${r.props.site}", not ${netcupSite} (${region})`, r.urn);
        }
      }
    }
  },
};
