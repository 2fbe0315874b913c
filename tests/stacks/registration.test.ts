/**
 * The tenant program makes its own Hub registration token: a RandomPassword whose result is a
 * secret, handed to the layout stage on stdin and published only as its SHA-256.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { RecordedResource, runUnderMocks } from "../../automation/plan/mockRuntime";
import { TENANT_SECRET_PLACEHOLDERS, tenantRunOptions } from "../../automation/plan/stackConfig";
import { tenantProgram } from "../../stacks/tenant/program";
import { hubFixture, specFixture } from "../helpers/fixtures";

async function run(slug: string) {
  const spec = specFixture({ slug, domain: `${slug}.eu.letsbe.biz` });
  return runUnderMocks(tenantProgram, tenantRunOptions(spec, { org: "letsbe" }, hubFixture(spec.region), []));
}

/** The token as the layout stage receives it: `REGISTRATION_TOKEN=<base64>` on its stdin. */
function tokenOnStdin(resources: readonly RecordedResource[]): string {
  const layout = resources.find((r) => r.type === "command:remote:Command" && r.name.endsWith("-layout"));
  expect(layout, "a layout stage").toBeDefined();
  expect(layout!.secretPaths).toContain("stdin");
  const line = String(layout!.plainInputs.stdin).split("\n").find((l) => l.startsWith("REGISTRATION_TOKEN="));
  expect(line, "REGISTRATION_TOKEN on the layout stage's stdin").toBeDefined();
  return Buffer.from(line!.slice("REGISTRATION_TOKEN=".length), "base64").toString("utf8");
}

describe("the tenant's own registration token", () => {
  it("is no stack config any more: neither the placeholders nor the program ask for it", () => {
    expect(Object.keys(TENANT_SECRET_PLACEHOLDERS)).not.toContain("letsbe-tenant:registrationToken");
  });

  it("is a secret RandomPassword of the stack, sent to the layout stage, published as its SHA-256 only", async () => {
    const result = await run("acme-bakery");
    const tokens = result.resources.filter((r) => r.type === "random:index/randomPassword:RandomPassword" && r.name === "registration-token");
    expect(tokens).toHaveLength(1);
    expect(tokens[0]!.plainInputs).toMatchObject({ length: 48, special: false });
    const token = tokenOnStdin(result.resources);
    // The mock runtime fills 43 characters (a digest); the real provider makes 48 (the engine tier checks).
    expect(token.length).toBeGreaterThanOrEqual(32);
    expect(result.plainOutputs.registrationTokenSha256).toBe(createHash("sha256").update(token).digest("hex"));
    expect(result.secretOutputs).not.toContain("registrationTokenSha256");
    expect(JSON.stringify(result.outputs)).not.toContain(token);
  });

  it("differs between two tenant stacks", async () => {
    const [a, b] = [tokenOnStdin((await run("acme-bakery")).resources), tokenOnStdin((await run("nordlicht-studio")).resources)];
    expect(a).not.toBe(b);
  });
});
