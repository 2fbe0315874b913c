/**
 * Issue 13 part 2: `domains-disjoint` judges what one tenant stack can see: its records' names
 * against its own apex, and the apex against the platform domains and reserved labels, and against
 * the hub's base domain and name when the policy config gives them (a stack policy never sees the
 * hub's StackReference under the engine: reads are kept out of the stack it is handed).
 */
import { PolicyResource, StackValidationArgs } from "@pulumi/policy";
import { describe, expect, it } from "vitest";
import { domainsDisjoint } from "../../policy/domainsDisjoint";
import { policies } from "../../policy/policies";
import { RESERVED_LABELS } from "../../tenants/domains";
import { analyzerPb, analyzeStackRequest, call, diagnostics, servedPack } from "./analyzerClient";
import { T, record, tenantStack } from "./fixtures";
import { Fixture, resourceArgs, urnOf } from "./helpers";

const EU = { tenantBaseDomain: "eu.letsbe.biz", hubDomain: "hub.eu.letsbe.biz" };

/** Runs the policy over a stack as CrossGuard would, with `config` as its policy config. */
async function judge(fixtures: readonly Fixture[], config: Record<string, unknown> = {}): Promise<{ messages: string[]; urns: (string | undefined)[] }> {
  const resources = fixtures.map((f) => ({ ...resourceArgs(f), dependencies: [], propertyDependencies: {} })) as unknown as PolicyResource[];
  const messages: string[] = [];
  const urns: (string | undefined)[] = [];
  const args = { resources, getConfig: () => ({ ...config }), stackTags: new Map(), notApplicable: () => { throw new Error("not applicable"); } };
  await domainsDisjoint.validateStack(args as unknown as StackValidationArgs, (message, urn) => {
    messages.push(String(message));
    urns.push(urn);
  });
  return { messages, urns };
}

/** The tenant stack with its apex records renamed and extra records added. */
function stackAt(domain: string, extra: Fixture[] = []): Fixture[] {
  return tenantStack().map((f) => (f.type === T.dns ? { ...f, props: { ...f.props, name: domain } } : f)).concat(extra);
}

const wildcard = (domain: string) => record("wildcard-a", { name: `*.${domain}`, type: "A", content: "100.79.230.81" });

describe("domains-disjoint", () => {
  it("is in the pack, mandatory", () => {
    expect(policies).toContain(domainsDisjoint);
    expect(domainsDisjoint.enforcementLevel).toBe("mandatory");
  });

  it.each([
    ["acme-bakery.eu.letsbe.biz"],
    ["Acme-Bakery.EU.letsbe.biz."],
    ["nordlicht-studio.de"],
  ])("passes a tenant at %j with its wildcard, with and without the hub's names", async (domain) => {
    for (const config of [{}, EU]) {
      expect((await judge(stackAt(domain, [wildcard(domain)]), config)).messages).toEqual([]);
    }
  });

  it("reports a record outside the tenant's own domain, at that record", async () => {
    const stray = record("hub", { name: "hub.eu.letsbe.biz", type: "A", content: "100.79.230.81" });
    const outcome = await judge(stackAt("acme-bakery.eu.letsbe.biz", [stray]));
    expect(outcome.messages).toEqual([
      'record "hub.eu.letsbe.biz" of tenant "acme-bakery" lies outside the tenant\'s domain "acme-bakery.eu.letsbe.biz": a tenant\'s records stay inside its own domain',
    ]);
    expect(outcome.urns).toEqual([urnOf(stray)]);
  });

  it.each([
    ["eu.letsbe.biz", [
      'domain "eu.letsbe.biz" of tenant "acme-bakery" contains the hub\'s name "hub.eu.letsbe.biz": a tenant never takes, contains or sits inside the hub\'s name',
      'domain "eu.letsbe.biz" of tenant "acme-bakery" equals the tenant base domain "eu.letsbe.biz", which would cover every tenant: a tenant takes exactly one label under it',
    ]],
    ["a.b.eu.letsbe.biz", ['domain "a.b.eu.letsbe.biz" of tenant "acme-bakery" has 2 labels under the tenant base domain "eu.letsbe.biz": a tenant takes exactly one (e.g. "b.eu.letsbe.biz")']],
    ["hub.eu.letsbe.biz", [
      'domain "hub.eu.letsbe.biz" of tenant "acme-bakery" equals the hub\'s name "hub.eu.letsbe.biz": a tenant never takes, contains or sits inside the hub\'s name',
      `domain "hub.eu.letsbe.biz" of tenant "acme-bakery" takes "hub", a name reserved for the platform under "eu.letsbe.biz" (reserved: ${RESERVED_LABELS.join(", ")})`,
    ]],
    ["acme.us.letsbe.biz", ['domain "acme.us.letsbe.biz" of tenant "acme-bakery" sits inside the platform domain "letsbe.biz" but not directly under the tenant base domain "eu.letsbe.biz": only one label under the base domain is a tenant\'s']],
  ])("with the hub's names, reports the tenant at %j, at its apex record", async (domain, messages) => {
    const stack = stackAt(domain);
    const outcome = await judge(stack, EU);
    expect(outcome.messages).toEqual(messages);
    const apex = stack.find((f) => f.name === "acme-bakery-apex-a")!;
    expect(outcome.urns).toEqual(messages.map(() => urnOf(apex)));
  });

  it("takes the hub's names from the policy config, wherever that hub lives", async () => {
    const estate = { hubDomain: "hub.estate.example.net", tenantBaseDomain: "estate.example.net" };
    const ok = await judge(stackAt("eng-netcup.estate.example.net"), estate);
    expect(ok.messages).toEqual([]);
    const inside = await judge(stackAt("api.hub.estate.example.net"), estate);
    expect(inside.messages[0]).toBe('domain "api.hub.estate.example.net" of tenant "acme-bakery" sits inside the hub\'s name "hub.estate.example.net": a tenant never takes, contains or sits inside the hub\'s name');
  });

  it("without the hub's names still refuses the platform's zones and reserved names in them", async () => {
    expect((await judge(stackAt("letsbe.biz"))).messages).toEqual([
      'domain "letsbe.biz" of tenant "acme-bakery" equals the platform domain "letsbe.biz": tenants never take the platform\'s own zones',
    ]);
    expect((await judge(stackAt("eu.letsbe.biz"))).messages).toEqual([
      `domain "eu.letsbe.biz" of tenant "acme-bakery" takes "eu", a name reserved for the platform (reserved: ${RESERVED_LABELS.join(", ")})`,
    ]);
  });

  it("leaves hub stacks alone", async () => {
    const hubRecord: Fixture = { ...record("hub-a", { name: "hub.eu.letsbe.biz", type: "A", content: "100.64.0.1" }), stack: "prod-eu", project: "letsbe-hub" };
    expect((await judge([hubRecord], EU)).messages).toEqual([]);
  });
});

describe("domains-disjoint over the analyzer protocol, as the CLI sends a tenant stack", () => {
  const pack = servedPack();

  it("fails the stack of a tenant at the staging hub's name, mandatory", async () => {
    const wire = stackAt("hub.staging.letsbe.biz").map((f) => ({ ...f, urn: urnOf(f) }));
    const found = diagnostics(await call(pack().client, "analyzeStack", analyzeStackRequest(wire))).filter((d) => d.policyName === "domains-disjoint");
    expect(found.map((d) => d.enforcementLevel)).toEqual([analyzerPb.EnforcementLevel.MANDATORY]);
    expect(found[0]!.message).toContain('domain "hub.staging.letsbe.biz" of tenant "acme-bakery" takes "hub", a name reserved for the platform');
  });
});
