/**
 * The hub stack tenants reference on the estate: `letsbe-hub/prod-eu` in the file backend, exporting
 * the contract's outputs as the offline plan computes them (a program of outputs only, until the hub
 * itself runs on the estate), with whatever the estate sets over them.
 */
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { hubReferencesFromRepo } from "../../../automation/plan/hubReferences";
import type { EngineEnv } from "./engine";

export const ESTATE_ORG = "organization"; // the file backend's only organization

export async function upContractHub(engine: EngineEnv, overrides: Readonly<Record<string, unknown>> = {}): Promise<void> {
  const planned = await hubReferencesFromRepo(ESTATE_ORG);
  const outputs = { ...planned.eu.outputs, ...overrides };
  const hub = await LocalWorkspace.createOrSelectStack(
    { stackName: "prod-eu", projectName: "letsbe-hub", program: async () => outputs },
    { envVars: engine.env },
  );
  await hub.up();
}
