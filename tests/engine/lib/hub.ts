/**
 * The hub stack tenants reference on the estate: `letsbe-hub/prod-eu` in the file backend, exporting
 * the contract's outputs as the offline plan computes them (a program of outputs only, until the hub
 * itself runs on the estate), with whatever the estate sets over them. Without its planned `wireguard`:
 * no host stands behind that jump host and key, so the estate's tenants (which the order flow gives
 * tunnel addresses from the committed Pulumi.prod-eu.yaml) meet a hub with no network yet and stay on
 * public SSH, as in production between merging a network and the hub's `up`. `overrides.wireguard`
 * puts one back (a preview compared with the offline plan).
 */
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { hubReferencesFromRepo } from "../../../automation/plan/hubReferences";
import type { EngineEnv } from "./engine";

export const ESTATE_ORG = "organization"; // the file backend's only organization

export async function upContractHub(engine: EngineEnv, overrides: Readonly<Record<string, unknown>> = {}): Promise<void> {
  const planned = await hubReferencesFromRepo(ESTATE_ORG);
  const { wireguard: _planned, ...contract } = planned.eu.outputs;
  const outputs = { ...contract, ...overrides };
  const hub = await LocalWorkspace.createOrSelectStack(
    { stackName: "prod-eu", projectName: "letsbe-hub", program: async () => outputs },
    { envVars: engine.env },
  );
  await hub.up();
}
