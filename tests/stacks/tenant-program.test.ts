import { describe, expect, it } from "vitest";
import { RecordedResource, runUnderMocks } from "../../automation/plan/mockRuntime";
import { TENANT_SECRET_PLACEHOLDERS, tenantRunOptions } from "../../automation/plan/stackConfig";
import { tenantProgram } from "../../stacks/tenant/program";
import { InvalidInputError, TenantSpec } from "../../tenants/schema";
import { hubFixture, one, specFixture } from "../helpers/fixtures";

function options(spec: TenantSpec, hub: Record<string, unknown> = hubFixture(spec.region)) {
  return tenantRunOptions(spec, { org: "letsbe" }, hub, []);
}

async function rejection(promise: Promise<unknown>): Promise<InvalidInputError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return error as InvalidInputError;
  }
  throw new Error("expected the program to fail");
}

describe("tenant stack program", () => {
  it("reads the spec from config and references the hub of its region", async () => {
    const spec = specFixture({ region: "us", domain: "acme.us.letsbe.biz" });
    const result = await runUnderMocks(tenantProgram, options(spec));
    const ref = one(result.resources, "pulumi:pulumi:StackReference");
    expect(ref.plainInputs.name).toBe("letsbe/letsbe-hub/prod-us");
    expect(one(result.resources, "hcloud:index/server:Server").plainInputs.location).toBe("ash");
    expect(result.plainOutputs).toMatchObject({ slug: "acme-bakery", region: "us", group: "canary", provider: "hetzner" });
  });

  it("takes the firewall's SSH sources from the hub outputs", async () => {
    const spec = specFixture();
    const hub = { ...hubFixture(), managementCidrs: ["203.0.113.7/32"] };
    const result = await runUnderMocks(tenantProgram, options(spec, hub));
    const rules = one(result.resources, "hcloud:index/firewall:Firewall").plainInputs.rules as Array<Record<string, unknown>>;
    expect(rules.find((r) => r.port === "22")?.sourceIps).toEqual(["203.0.113.7/32"]);
  });

  it("refuses a spec whose slug is not the stack name", async () => {
    const spec = specFixture();
    const error = await rejection(runUnderMocks(tenantProgram, { ...options(spec), stack: "other-tenant" }));
    expect(error.problems[0]).toMatchObject({ source: "stack other-tenant config letsbe-tenant:spec", path: "slug" });
  });

  it("refuses an invalid spec in config, naming stack, key and field", async () => {
    const spec = specFixture();
    const opts = options(spec);
    const config = { ...opts.config, "letsbe-tenant:spec": { ...spec, tier: "huge" } };
    const error = await rejection(runUnderMocks(tenantProgram, { ...opts, config }));
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatchObject({ source: "stack acme-bakery config letsbe-tenant:spec", path: "tier" });
  });

  it("requires a zone id for a domain outside the platform domain, and creates nothing", async () => {
    const spec = specFixture({ domain: "acme.example" });
    const recorded: RecordedResource[] = [];
    const error = await rejection(runUnderMocks(tenantProgram, { ...options(spec), recordInto: recorded }));
    expect(recorded.map((r) => r.type).sort()).toEqual(["pulumi:pulumi:Stack", "pulumi:pulumi:StackReference"]);
    expect(error.problems[0]).toMatchObject({ path: "cloudflareZoneId" });
    expect(error.message).toContain('not under the eu platform domain "eu.letsbe.biz"');
  });

  it("validates the hub's outputs against the contract", async () => {
    const spec = specFixture();
    const { provisioningPublicKey: _dropped, ...incomplete } = hubFixture();
    const error = await rejection(runUnderMocks(tenantProgram, options(spec, incomplete)));
    expect(error.problems[0]).toMatchObject({ source: "outputs of hub stack letsbe/letsbe-hub/prod-eu", path: "provisioningPublicKey" });
  });

  it("refuses a hub serving another region", async () => {
    const spec = specFixture();
    const error = await rejection(runUnderMocks(tenantProgram, options(spec, { ...hubFixture("us") })));
    expect(error.problems[0]).toMatchObject({ path: "region" });
  });

  it("applies release pins from config over the catalog's", async () => {
    const spec = specFixture();
    const opts = options(spec);
    const release = { safetyWrapper: { repository: "code.letsbe.solutions/letsbe/safety-wrapper", tag: "latest", digest: `sha256:${"0".repeat(64)}` } };
    const error = await rejection(runUnderMocks(tenantProgram, { ...opts, config: { ...opts.config, "letsbe-tenant:release": release } }));
    expect(error.problems[0]).toMatchObject({ path: "safetyWrapper.tag", message: 'must not be "latest"' });
  });

  it("never lets a secret config value reach the plan in clear", async () => {
    const spec = specFixture();
    const result = await runUnderMocks(tenantProgram, options(spec));
    const printed = JSON.stringify({ resources: result.resources.map((r) => r.inputs), outputs: result.outputs });
    for (const value of Object.values(TENANT_SECRET_PLACEHOLDERS)) expect(printed).not.toContain(value);
  });

  it("follows another hub stack when config names one, and refuses a name outside the hub stacks", async () => {
    const spec = specFixture({ group: "sandbox" });
    const opts = options(spec);
    const staging = { ...opts, config: { ...opts.config, "letsbe-tenant:hubStack": "staging" }, stackReferences: { "letsbe/letsbe-hub/staging": { outputs: hubFixture() } } };
    const result = await runUnderMocks(tenantProgram, staging);
    expect(one(result.resources, "pulumi:pulumi:StackReference").plainInputs.name).toBe("letsbe/letsbe-hub/staging");
    const bad = { ...opts, config: { ...opts.config, "letsbe-tenant:hubStack": "prod-mars" } };
    await expect(runUnderMocks(tenantProgram, bad)).rejects.toThrow(/hubStack/);
  });
});
