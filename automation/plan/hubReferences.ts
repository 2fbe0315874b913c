/**
 * The hub outputs tenant stacks reference, per region, as the offline plan computes them from the hub
 * stacks' committed config: what the simulated workspace, the bench and the engine tier's contract hub serve.
 */
import { hubStackName } from "../../contracts/hub";
import { REGION_IDS } from "../../tenants/catalog";
import { HubReference, planHubStack } from "./planStacks";
import { hubRunOptions } from "./stackConfig";
import { repoRoot } from "../repoRoot";

const hubCache = new Map<string, Promise<Record<string, HubReference>>>();

/** Hub outputs of every region, as the offline plan computes them from the hub stacks' config (once per process). */
export function hubReferencesFromRepo(org: string, root: string = repoRoot()): Promise<Record<string, HubReference>> {
  const key = `${org}\u0000${root}`;
  let hubs = hubCache.get(key);
  if (!hubs) {
    hubs = planHubs(org, root);
    hubCache.set(key, hubs);
    hubs.catch(() => hubCache.delete(key));
  }
  return hubs;
}

async function planHubs(org: string, root: string): Promise<Record<string, HubReference>> {
  const hubs: Record<string, HubReference> = {};
  for (const region of REGION_IDS) {
    const outcome = await planHubStack(hubRunOptions(root, hubStackName(region), { org }));
    if (!outcome.plainOutputs) throw new Error(`hub stack ${hubStackName(region)} did not plan: ${outcome.errors.map((e) => e.message).join("; ")}`);
    hubs[region] = { outputs: outcome.plainOutputs, secretOutputs: outcome.secretOutputs ?? [] };
  }
  return hubs;
}
