/** Issue 13 part 2: the label-wise domain rules every checker shares. */
import { describe, expect, it } from "vitest";
import { domainCollisions, domainRelation, normaliseDomain, platformDomainProblems } from "../../tenants/domains";

const EU = { tenantBaseDomain: "eu.letsbe.biz", hubDomain: "hub.eu.letsbe.biz" };

describe("domain relations", () => {
  it("normalises case, surrounding space and trailing dots", () => {
    expect(normaliseDomain(" Acme.Example.. ")).toBe("acme.example");
  });

  it.each([
    ["acme.example", "acme.example", "equals"],
    ["ACME.example.", "acme.EXAMPLE", "equals"],
    ["shop.acme.example", "acme.example", "sits inside"],
    ["acme.example", "Shop.Acme.Example.", "contains"],
    // label-wise, not string-wise: "myacme" does not end in the label "acme"
    ["myacme.example", "acme.example", "disjoint"],
    ["acme.example", "myacme.example", "disjoint"],
    ["acme.example", "acme.example.org", "disjoint"],
  ])("%j against %j: %s", (a, b, relation) => {
    expect(domainRelation(a, b)).toBe(relation);
  });

  it("finds every later claim that equals, contains or sits inside an earlier one of another tenant", () => {
    const claims = [
      { tenant: "acme", domain: "acme.example", source: "a.yaml" },
      { tenant: "shop", domain: "Shop.Acme.Example.", source: "b.yaml" },
      { tenant: "other", domain: "myacme.example", source: "c.yaml" },
      { tenant: "twin", domain: "acme.example", source: "d.yaml" },
      { tenant: "root", domain: "example", source: "e.yaml" },
      { tenant: "acme", domain: "www.acme.example", source: "f.yaml" },
    ];
    const found = domainCollisions(claims).map((c) => [c.claim.tenant, c.relation, c.other.tenant]);
    expect(found).toEqual([
      ["shop", "sits inside", "acme"],
      ["twin", "equals", "acme"],
      ["twin", "contains", "shop"],
      ["root", "contains", "acme"],
      ["root", "contains", "shop"],
      ["root", "contains", "other"],
      ["root", "contains", "twin"],
      // the same tenant's claims never collide with each other ("acme" twice); with others' they do
      ["acme", "sits inside", "twin"],
      ["acme", "sits inside", "root"],
    ]);
  });
});

describe("a tenant's domain against the platform", () => {
  it.each([
    ["acme.eu.letsbe.biz"],
    ["sandbox.eu.letsbe.biz"],
    ["nordlicht-studio.de"],
    ["hub.nordlicht-studio.de"],
    ["notletsbe.biz"],
  ])("accepts %j", (domain) => {
    expect(platformDomainProblems("t", domain, EU)).toEqual([]);
  });

  it.each([
    ["eu.letsbe.biz", 'equals the tenant base domain "eu.letsbe.biz"'],
    ["EU.letsbe.biz.", 'equals the tenant base domain "eu.letsbe.biz"'],
    ["letsbe.biz", 'contains the tenant base domain "eu.letsbe.biz"'],
    ["a.b.eu.letsbe.biz", 'has 2 labels under the tenant base domain "eu.letsbe.biz": a tenant takes exactly one'],
    ["hub.eu.letsbe.biz", 'equals the hub\'s name "hub.eu.letsbe.biz"'],
    ["Hub.EU.letsbe.biz.", 'takes "hub", a name reserved for the platform under "eu.letsbe.biz"'],
    ["x.hub.eu.letsbe.biz", 'sits inside the hub\'s name "hub.eu.letsbe.biz"'],
    ["www.eu.letsbe.biz", 'takes "www", a name reserved'],
    ["acme.us.letsbe.biz", 'sits inside the platform domain "letsbe.biz" but not directly under the tenant base domain "eu.letsbe.biz"'],
    ["hub.staging.letsbe.biz", 'takes "hub", a name reserved for the platform'],
    ["code.letsbe.solutions", 'takes "code", a name reserved for the platform'],
    ["letsbe.solutions", 'equals the platform domain "letsbe.solutions"'],
  ])("refuses %j, naming the tenant and the rule", (domain, rule) => {
    const problems = platformDomainProblems("acme", domain, EU);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.join("\n")).toContain(rule);
    for (const p of problems) expect(p).toContain('of tenant "acme"');
  });

  it("without the hub's names still refuses the platform's zones and reserved names in them", () => {
    expect(platformDomainProblems("t", "acme.eu.letsbe.biz")).toEqual([]);
    expect(platformDomainProblems("t", "eu.letsbe.biz").join()).toContain('takes "eu", a name reserved');
    expect(platformDomainProblems("t", "letsbe.biz").join()).toContain('equals the platform domain "letsbe.biz"');
  });

  it("follows a hub whose base domain is outside the platform domains", () => {
    const estate = { tenantBaseDomain: "estate.example.net", hubDomain: "hub.estate.example.net" };
    expect(platformDomainProblems("t", "eng-netcup.estate.example.net", estate)).toEqual([]);
    expect(platformDomainProblems("t", "hub.estate.example.net", estate).join("\n")).toContain('equals the hub\'s name "hub.estate.example.net"');
    expect(platformDomainProblems("t", "estate.example.net", estate).join()).toContain("equals the tenant base domain");
  });
});
