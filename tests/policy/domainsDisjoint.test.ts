/**
 * Issue 13 part 2: `domains-disjoint` judges what one tenant stack can see: its records' names
 * against its own apex, and the apex against the platform domains and (where the engine recorded
 * the hub reference's outputs) the hub's base domain and name.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { domainsDisjoint } from "../../policy/domainsDisjoint";
import { policies } from "../../policy/policies";
import { RESERVED_LABELS } from "../../tenants/domains";
import { hubFixture } from "../helpers/fixtures";
import { RunningPack, analyzeStackRequest, analyzerPb, call, diagnostics, ensurePackBuilt, startPack } from "./analyzerClient";
import { T, hubReference, record, tenantStack } from "./fixtures";
import { Fixture, checkStack, urnOf } from "./helpers";

/** The hub reference as the engine records it: the read's outputs beside its name. */
const hubReferenceRead = (outputs: Record<string, unknown> = { ...hubFixture("eu") }): Fixture => ({
  ...hubReference(), props: { ...hubReference().props, outputs, secretOutputNames: [] },
});

/** The tenant stack with its apex records renamed and extra records added. */
function stackAt(domain: string, opts: { reference?: Fixture; extra?: Fixture[] } = {}): Fixture[] {
  return tenantStack().map((f) => {
    if (f.type === T.stackRef) return opts.reference ?? f;
    if (f.type === T.dns) return { ...f, props: { ...f.props, name: domain } };
    return f;
  }).concat(opts.extra ?? []);
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
  ])("passes a tenant at %j with its wildcard, with and without the hub's outputs", async (domain) => {
    for (const reference of [hubReference(), hubReferenceRead()]) {
      const outcome = await checkStack(domainsDisjoint, stackAt(domain, { reference, extra: [wildcard(domain)] }));
      expect(outcome.messages).toEqual([]);
    }
  });

  it("reports a record outside the tenant's own domain, at that record", async () => {
    const stray = record("hub", { name: "hub.eu.letsbe.biz", type: "A", content: "100.79.230.81" });
    const outcome = await checkStack(domainsDisjoint, stackAt("acme-bakery.eu.letsbe.biz", { extra: [stray] }));
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
  ])("with the hub's outputs, reports the tenant at %j, at its apex record", async (domain, messages) => {
    const stack = stackAt(domain, { reference: hubReferenceRead() });
    const outcome = await checkStack(domainsDisjoint, stack);
    expect(outcome.messages).toEqual(messages);
    const apex = stack.find((f) => f.name === "acme-bakery-apex-a")!;
    expect(outcome.urns).toEqual(messages.map(() => urnOf(apex)));
  });

  it("takes the hub's name from its outputs, wherever that hub lives", async () => {
    const estate = { ...hubFixture("eu"), hubUrl: "https://hub.estate.example.net", tenantBaseDomain: "estate.example.net" };
    const ok = await checkStack(domainsDisjoint, stackAt("eng-netcup.estate.example.net", { reference: hubReferenceRead(estate) }));
    expect(ok.messages).toEqual([]);
    const inside = await checkStack(domainsDisjoint, stackAt("api.hub.estate.example.net", { reference: hubReferenceRead(estate) }));
    expect(inside.messages[0]).toBe('domain "api.hub.estate.example.net" of tenant "acme-bakery" sits inside the hub\'s name "hub.estate.example.net": a tenant never takes, contains or sits inside the hub\'s name');
  });

  it("without the hub's outputs (the offline plan) still refuses the platform's zones and reserved names in them", async () => {
    expect((await checkStack(domainsDisjoint, stackAt("letsbe.biz"))).messages).toEqual([
      'domain "letsbe.biz" of tenant "acme-bakery" equals the platform domain "letsbe.biz": tenants never take the platform\'s own zones',
    ]);
    expect((await checkStack(domainsDisjoint, stackAt("eu.letsbe.biz"))).messages).toEqual([
      `domain "eu.letsbe.biz" of tenant "acme-bakery" takes "eu", a name reserved for the platform (reserved: ${RESERVED_LABELS.join(", ")})`,
    ]);
  });

  it("leaves hub stacks alone", async () => {
    const hubRecord: Fixture = { ...record("hub-a", { name: "hub.eu.letsbe.biz", type: "A", content: "100.64.0.1" }), stack: "prod-eu", project: "letsbe-hub" };
    expect((await checkStack(domainsDisjoint, [hubRecord])).messages).toEqual([]);
  });
});

describe("domains-disjoint over the analyzer protocol, as the CLI sends a tenant stack", () => {
  let pack: RunningPack;
  beforeAll(async () => {
    ensurePackBuilt();
    pack = await startPack();
  });
  afterAll(async () => {
    await pack?.stop();
  });

  it("reads the hub reference's outputs the engine recorded and fails the stack on the hub's name", async () => {
    const wire = stackAt("hub.eu.letsbe.biz", { reference: hubReferenceRead() }).map((f) => ({ ...f, urn: urnOf(f) }));
    const found = diagnostics(await call(pack.client, "analyzeStack", analyzeStackRequest(wire))).filter((d) => d.policyName === "domains-disjoint");
    expect(found.map((d) => d.enforcementLevel)).toEqual([analyzerPb.EnforcementLevel.MANDATORY, analyzerPb.EnforcementLevel.MANDATORY]);
    expect(found[0]!.message).toContain('domain "hub.eu.letsbe.biz" of tenant "acme-bakery" equals the hub\'s name "hub.eu.letsbe.biz"');
  });
});
