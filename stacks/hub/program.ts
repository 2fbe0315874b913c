import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { REGION_IDS } from "../../tenants/catalog";
import { requireConfigObject } from "../config";
import { HubOutputs, hubOutputsSchema } from "../contract";

const hubSettingsSchema = z.strictObject({
  region: z.enum(REGION_IDS),
  /** Public name of the hub, e.g. `hub.eu.letsbe.biz`. */
  hubDomain: z.string().min(3),
  tenantBaseDomain: z.string().min(3),
  cloudflareZoneId: hubOutputsSchema.shape.cloudflareZoneId,
  managementCidrs: hubOutputsSchema.shape.managementCidrs,
  provisioningPublicKey: hubOutputsSchema.shape.provisioningPublicKey,
  registryHost: z.string().min(1),
});

export type HubSettings = z.output<typeof hubSettingsSchema>;

export function readHubSettings(): HubSettings {
  return requireConfigObject(new pulumi.Config("letsbe-hub"), "settings", hubSettingsSchema);
}

export function hubContractOutputs(settings: HubSettings): HubOutputs {
  const hubUrl = `https://${settings.hubDomain}`;
  return hubOutputsSchema.parse({
    region: settings.region,
    hubUrl,
    tenantApiUrl: `${hubUrl}/api/v1/tenant`,
    cloudflareZoneId: settings.cloudflareZoneId,
    tenantBaseDomain: settings.tenantBaseDomain,
    managementCidrs: settings.managementCidrs,
    provisioningPublicKey: settings.provisioningPublicKey,
    registryHost: settings.registryHost,
  });
}

/** The regional hub stack: exports the contract tenants read. */
export async function hubProgram(): Promise<Record<string, unknown>> {
  const settings = readHubSettings();
  return { ...hubContractOutputs(settings) };
}
