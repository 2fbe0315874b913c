import * as pulumi from "@pulumi/pulumi";
import { parentPort, workerData } from "node:worker_threads";
import { runUnderMocks } from "../plan/mockRuntime";

class BareResource extends pulumi.CustomResource {
  constructor(name: string, props: pulumi.Inputs) {
    super("bench:index:Bare", name, props);
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

if (parentPort && workerData?.floor) {
  Error.stackTraceLimit = 0;
  const { stacks, perStack, offset } = workerData.floor as { stacks: number; perStack: number; offset: number };
  registerBareStacks(stacks, perStack, offset).then((registered) => parentPort?.postMessage({ registered }));
}
