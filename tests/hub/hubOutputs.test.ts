/**
 * The tenant's reading of the hub stack's outputs: a value the hub exports as a secret is never
 * unwrapped into a plain one (issue 13: `value ?? secretValue` made any secret output plain in the
 * tenant's state and plan).
 */
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { runUnderMocks } from "../../automation/plan/mockRuntime";
import { HubOutputs, readHubOutputs } from "../../contracts/hub";
import { hubFixture } from "../helpers/fixtures";

const REF = "organization/letsbe-hub/prod-eu";

async function read(secretOutputNames: string[]): Promise<{ read?: HubOutputs; error?: unknown }> {
  const seen: { read?: HubOutputs; error?: unknown } = {};
  await runUnderMocks(async () => {
    try {
      seen.read = await readHubOutputs(new pulumi.StackReference(REF), REF);
    } catch (error) {
      seen.error = error;
    }
    return {};
  }, { project: "letsbe-tenant", stack: "acme", stackReferences: { [REF]: { outputs: { ...hubFixture() }, secretOutputNames } } });
  return seen;
}

describe("readHubOutputs", () => {
  it("reads the contract's plain outputs", async () => {
    expect((await read([])).read).toEqual(hubFixture());
  });

  it("refuses an output the hub exports as a secret instead of handing it out as plain, naming stack and output", async () => {
    const { read: plain, error } = await read(["registryHost"]);
    expect(plain).toBeUndefined();
    expect(String(error)).toContain(`outputs of hub stack ${REF}: registryHost: is a secret`);
    // The secret value itself appears nowhere in the message.
    expect(String(error)).not.toContain(hubFixture().registryHost);
  });
});
