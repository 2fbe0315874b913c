import * as pulumi from "@pulumi/pulumi";
import { parentPort, workerData } from "node:worker_threads";
import { runUnderMocks } from "../plan/mockRuntime";
import { PlannedStack } from "../plan/types";

class BareResource extends pulumi.CustomResource {
  constructor(name: string, props: pulumi.Inputs) {
    super("bench:index:Bare", name, props);
  }
}

class ReplayedResource extends pulumi.CustomResource {
  constructor(type: string, name: string, props: pulumi.Inputs, opts: pulumi.CustomResourceOptions) {
    super(type, name, props, opts);
  }
}

/** The floor: bare resources, no components, no validation, no policy. */
export async function registerBareStacks(stacks: number, perStack: number, offset = 0): Promise<number> {
  let registered = 0;
  for (let s = 0; s < stacks; s++) {
    const result = await runUnderMocks(() => {
      for (let i = 0; i < perStack; i++) new BareResource(`r${i}`, { index: i });
    }, { project: "bench", stack: `floor-${offset + s}` });
    registered += result.resources.length;
  }
  return registered;
}

type Constructor = new (name: string, props: pulumi.Inputs, opts: pulumi.CustomResourceOptions) => pulumi.CustomResource;

/** The provider SDK's own class for a type token (`hcloud:index/server:Server`), when there is one. */
function providerClass(type: string): Constructor | undefined {
  const [pkg, mod, name] = type.split(":");
  if (!["hcloud", "cloudflare", "command", "random"].includes(pkg)) return undefined;
  let exports = require(`@pulumi/${pkg}`) as Record<string, unknown>;
  const module = mod.split("/")[0];
  if (module !== "index") exports = exports[module] as Record<string, unknown>;
  return exports?.[name] as Constructor | undefined;
}

/**
 * The like-for-like floor: exactly the planned resources (same SDK classes, inputs, parents),
 * registered directly, without the programs, validation, policy or report around them.
 */
export async function replayStacks(stacks: readonly PlannedStack[]): Promise<number> {
  let registered = 0;
  for (const planned of stacks) {
    const result = await runUnderMocks(() => {
      const byUrn = new Map<string, pulumi.Resource>();
      for (const r of planned.resources) {
        if (r.type === "pulumi:pulumi:Stack") continue;
        const parent = r.parent ? byUrn.get(r.parent) : undefined;
        if (r.type === "pulumi:pulumi:StackReference") {
          byUrn.set(r.urn, new pulumi.StackReference(r.name, { name: r.name }, { parent }));
        } else if (!r.custom) {
          byUrn.set(r.urn, new pulumi.ComponentResource(r.type, r.name, {}, { parent }));
        } else {
          const Class = providerClass(r.type);
          const opts = { parent, protect: r.protect };
          byUrn.set(r.urn, Class ? new Class(r.name, r.inputs, opts) : new ReplayedResource(r.type, r.name, r.inputs, opts));
        }
      }
    }, {
      project: planned.project,
      stack: planned.stack,
      stackReferences: Object.fromEntries(planned.resources.filter((r) => r.type === "pulumi:pulumi:StackReference").map((r) => [r.name, { outputs: {} }])),
    });
    registered += result.resources.length;
  }
  return registered;
}

if (parentPort && workerData) {
  Error.stackTraceLimit = 0;
  const data = workerData as { floor?: { stacks: number; perStack: number; offset: number }; replay?: PlannedStack[] };
  const work = data.replay ? replayStacks(data.replay) : registerBareStacks(data.floor?.stacks ?? 0, data.floor?.perStack ?? 0, data.floor?.offset ?? 0);
  work.then((registered) => parentPort?.postMessage({ registered }));
}
