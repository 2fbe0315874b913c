/**
 * SIGTERM on the real CLI: the service's shutdown cancels the `up` in flight (the CLI gets SIGINT,
 * lets the step under way finish, writes the state and releases the stack's lock), journals the job
 * interrupted, and the next start resumes it to success on the same stack, which it could not if a
 * lock had been left behind.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OrderFlow } from "../../automation/orders/flow";
import { parseOrder } from "../../automation/orders/schema";
import { MemoryTenantStore } from "../../automation/orders/store";
import { JobManager, JobRecord } from "../../automation/service/jobs";
import { LocalTenantWorkspace } from "../../automation/workspace/local";
import { ORG, SECRETS, orderInput } from "../automation/support";
import { EngineEnv, REPO, engineEnv } from "./lib/engine";

let engine: EngineEnv;
let dir: string;

beforeAll(() => {
  engine = engineEnv();
  dir = mkdtempSync(join(tmpdir(), "letsbe-engine-shutdown-"));
});

afterAll(() => {
  rmSync(engine.backendDir, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

function service(store: MemoryTenantStore): JobManager {
  const workspace = new LocalTenantWorkspace({ programDir: join(REPO, "tests", "engine", "programs", "slow"), envVars: engine.env });
  const flow = new OrderFlow({ workspace, store, org: ORG, secrets: SECRETS, attempts: 1 });
  return new JobManager({ flow, dir: join(dir, "jobs") });
}

describe("service shutdown on the real engine", () => {
  it("cancels the up in flight cleanly and journals its job interrupted; the next start resumes it", async () => {
    // One tenant record for both processes, as the backend would be.
    const store = new MemoryTenantStore();
    const first = service(store);
    first.recover();
    const order = orderInput("engine-term");
    const job = first.submitProvision(order, parseOrder(order));
    // Stop once the CLI has started the slow step.
    await new Promise<void>((resolve) => {
      const unsubscribe = first.subscribe(job.id, 0, (event) => {
        if (event.resource?.endsWith("::slow-host-bootstrap") && event.message.startsWith("create ")) {
          setImmediate(() => unsubscribe());
          resolve();
        }
      }, () => resolve());
    });
    await first.shutdown();
    const journaled = JSON.parse(readFileSync(join(dir, "jobs", `${job.id}.json`), "utf8")) as JobRecord;
    expect(journaled).toMatchObject({ status: "interrupted", resumable: true });
    expect(journaled.reason).toMatch(/service stopped during bootstrap/);

    const second = service(store);
    expect(second.recover().resumed).toEqual([job.id]);
    const done = await second.settled(job.id);
    second.close();
    expect(done.reason).toBeUndefined();
    expect(done).toMatchObject({ status: "succeeded", state: "FULFILLED", resumed: 1 });
  });
});
