/**
 * The reason the Hub gets for a failed operation on the real CLI: the engine's own diagnostic, naming
 * the resource (type and name) and its step, never the CommandError's "code: ... stdout: Updating ...",
 * and none of the stack's secrets, though the provider's message quotes them in forms the engine's
 * own masking misses (a token cut short, a key quoted line by line).
 */
import { join } from "node:path";
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OrderFlow } from "../../automation/orders/flow";
import { parseOrder } from "../../automation/orders/schema";
import { OrderEvent } from "../../automation/orders/states";
import { MemoryTenantStore } from "../../automation/orders/store";
import { LocalTenantWorkspace } from "../../automation/workspace/local";
import { ORG, SECRETS, orderInput } from "../automation/support";
import { EngineEnv, REPO, engineEnv } from "./lib/engine";

let engine: EngineEnv;

beforeAll(() => {
  engine = engineEnv();
});

afterAll(() => {
  rmSync(engine.backendDir, { recursive: true, force: true });
});

/** Every run of six characters of a secret's lines (not the PEM armour): any of them in a text is a leak. */
function leaked(text: string): string[] {
  const parts = new Set<string>();
  for (const secret of Object.values(SECRETS)) {
    for (const line of secret.split("\n").map((l) => l.trim()).filter((l) => l.length >= 6 && !l.startsWith("-----"))) {
      for (let i = 0; i + 6 <= line.length; i += 1) if (text.includes(line.slice(i, i + 6))) parts.add(line.slice(i, i + 6));
    }
  }
  return [...parts];
}

describe("failure reasons on the real engine", () => {
  it("names the failed resource and step from the engine's diagnostics, with no secret in it", async () => {
    const workspace = new LocalTenantWorkspace({ programDir: join(REPO, "tests", "engine", "programs", "failing"), envVars: engine.env });
    const flow = new OrderFlow({ workspace, store: new MemoryTenantStore(), org: ORG, secrets: SECRETS, attempts: 1 });
    const events: OrderEvent[] = [];
    const outcome = await flow.provision(parseOrder(orderInput("engine-fail")), (e) => events.push(e));

    expect(outcome.ok).toBe(false);
    expect(outcome.failedStep).toBe("bootstrap");
    expect(outcome.reason).toMatch(/^create of pulumi-nodejs:dynamic\/host:Bootstrap "failing-host-signup" failed: sign-up refused for token \[secret\]… the key sent was: /);
    expect(outcome.reason).not.toMatch(/code: |stdout|Updating \(/);
    const failed = events.find((e) => e.state === "FAILED");
    expect(failed?.resource).toBe("urn:pulumi:engine-fail::letsbe-tenant::pulumi-nodejs:dynamic/host:Bootstrap::failing-host-signup");
    expect(failed?.message).toBe(outcome.reason);
    expect(leaked(`${outcome.reason ?? ""}\n${events.map((e) => e.message).join("\n")}`)).toEqual([]);
  });
});
