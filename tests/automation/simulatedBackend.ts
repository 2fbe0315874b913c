/**
 * The simulated workspace with its file record, handed to the CLI as its backend: what the unit tier's
 * CLI tests and the README's rehearsal (`npm run rehearse`) run on. Production never selects it.
 */
import { join } from "node:path";
import { readContextEnv } from "../../automation/context";
import { hubReferencesFromRepo } from "../../automation/plan/hubReferences";
import type { Backend } from "../../automation/workspace/select";
import { FileTenantStore } from "./fileTenantStore";
import { SimulatedWorkspace } from "./simulatedWorkspace";

export const SIMULATED_BACKEND: Backend = {
  // A fresh workspace per context, as each CLI process had one: the record in the data folder is what lasts.
  workspace: async (env) => new SimulatedWorkspace({ hubs: await hubReferencesFromRepo(readContextEnv(env).LETSBE_ORG) }),
  store: (_env, dataDir) => new FileTenantStore(join(dataDir, "tenants")),
};
