import { describe, expect, it } from "vitest";
import { LETSBE_OVERHEAD_MB, TIERS, TOOL_IDS, tierBudget, toolRamMb } from "../../tenants/catalog";
import { InvalidInputError, TenantSpecInput, hubProblems, parseTenantSpec } from "../../tenants/schema";

const valid: TenantSpecInput = {
  slug: "acme-bakery",
  domain: "acme-bakery.eu.letsbe.biz",
  region: "eu",
  tier: "build",
  provider: "hetzner",
  tools: ["nextcloud", "chatwoot"],
  contactEmail: "owner@acme.example",
  createdAt: "2026-10-02",
};

function problemsOf(raw: unknown, source = "tenants/x.yaml") {
  try {
    parseTenantSpec(raw, source);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return (error as InvalidInputError).problems;
  }
  throw new Error("expected the spec to be rejected");
}

describe("tenant spec", () => {
  it("accepts a valid spec and defaults the group to general", () => {
    const spec = parseTenantSpec(valid, "tenants/acme.yaml");
    expect(spec.group).toBe("general");
    expect(spec.tools).toEqual(["nextcloud", "chatwoot"]);
  });

  it.each(["ab", "a", "1abc", "abc-", "Abc", "a_bc", `a${"b".repeat(32)}`])("rejects slug %j", (slug) => {
    const problems = problemsOf({ ...valid, slug });
    expect(problems).toEqual([{ source: "tenants/x.yaml", path: "slug", message: "must match ^[a-z][a-z0-9-]{1,30}[a-z0-9]$" }]);
  });

  it.each(["abc", "a-b", `a${"b".repeat(31)}`])("accepts slug %j", (slug) => {
    expect(parseTenantSpec({ ...valid, slug }, "x").slug).toBe(slug);
  });

  it.each([
    ["https://acme.example", "no scheme"],
    ["acme.example:443", "no scheme, port"],
    ["acme.example/shop", "path"],
    ["acme example.com", "whitespace"],
    ["Acme.example", "lowercase"],
    ["localhost", "at least two labels"],
    ["-acme.example", "label \"-acme\""],
    ["acme-.example", "label \"acme-\""],
    [`${"a".repeat(64)}.example`, "1-63"],
    [`${"a.".repeat(127)}ab`, "at most 253"],
  ])("rejects domain %j naming the rule", (domain, fragment) => {
    const problems = problemsOf({ ...valid, domain });
    expect(problems).toHaveLength(1);
    expect(problems[0].path).toBe("domain");
    expect(problems[0].message).toContain(fragment);
  });

  it("accepts punycode and 63-character labels", () => {
    const domain = `xn--bcher-kva.${"a".repeat(63)}.de`;
    expect(parseTenantSpec({ ...valid, domain }, "x").domain).toBe(domain);
  });

  it("checks the zone id shape", () => {
    expect(problemsOf({ ...valid, cloudflareZoneId: "ABCDEF".padEnd(32, "0") })[0]).toMatchObject({ path: "cloudflareZoneId", message: "must be 32 lowercase hex characters" });
    expect(parseTenantSpec({ ...valid, cloudflareZoneId: "0123456789abcdef0123456789abcdef" }, "x").cloudflareZoneId).toHaveLength(32);
  });

  it.each([
    ["region", "mars"],
    ["tier", "huge"],
    ["provider", "aws"],
    ["group", "beta"],
  ])("rejects %s %j listing the allowed values", (field, value) => {
    const problems = problemsOf({ ...valid, [field]: value });
    expect(problems[0].path).toBe(field);
    expect(problems[0].message).toMatch(/expected one of/i);
  });

  it("rejects unknown tools and duplicates, pointing at the entry", () => {
    expect(problemsOf({ ...valid, tools: ["nextcloud", "wordpress"] })[0].path).toBe("tools.1");
    const dup = problemsOf({ ...valid, tools: ["ghost", "nocodb", "ghost"] });
    expect(dup).toEqual([{ source: "tenants/x.yaml", path: "tools.2", message: 'duplicate tool "ghost"' }]);
  });

  it("names an absent field as required, not by the rule its value would break", () => {
    const { contactEmail: _omitted, ...missing } = valid;
    expect(problemsOf(missing)).toEqual([{ source: "tenants/x.yaml", path: "contactEmail", message: "required" }]);
  });

  it("rejects a bad e-mail address and a non-ISO date", () => {
    expect(problemsOf({ ...valid, contactEmail: "owner at acme" })[0]).toMatchObject({ path: "contactEmail", message: "must be an e-mail address" });
    expect(problemsOf({ ...valid, createdAt: "02/10/2026" })[0].path).toBe("createdAt");
    expect(parseTenantSpec({ ...valid, createdAt: "2026-10-02T09:30:00Z" }, "x").createdAt).toBe("2026-10-02T09:30:00Z");
  });

  it("rejects unknown keys so a typo never passes silently", () => {
    const problems = problemsOf({ ...valid, teir: "lite" });
    expect(problems).toEqual([{ source: "tenants/x.yaml", path: "", message: 'unknown key(s) "teir"' }]);
  });

  it("reports every broken rule at once, and names the source in the message", () => {
    try {
      parseTenantSpec({ ...valid, slug: "X", region: "mars", contactEmail: "nope" }, "order 4711");
      throw new Error("expected rejection");
    } catch (error) {
      const e = error as InvalidInputError;
      expect(e.problems.map((p) => p.path).sort()).toEqual(["contactEmail", "region", "slug"]);
      expect(e.message).toContain("order 4711: slug: must match");
    }
  });
});

describe("tier budget", () => {
  it("counts database sidecars in a tool's RAM", () => {
    expect(toolRamMb("chatwoot")).toBe(768 + 256 + 64);
    expect(toolRamMb("ghost")).toBe(256 + 128);
    expect(toolRamMb("nocodb")).toBe(256);
  });

  it("adds the LetsBe overhead", () => {
    expect(LETSBE_OVERHEAD_MB).toBe(640);
    expect(tierBudget("lite", []).totalMb).toBe(640);
    expect(tierBudget("lite", ["nocodb"])).toEqual({ totalMb: 896, limitMb: TIERS.lite.ramMb, fits: true });
  });

  it("rejects tools that overflow the tier, naming tier, total and limit", () => {
    const everything = [...TOOL_IDS];
    const total = LETSBE_OVERHEAD_MB + everything.reduce((n, id) => n + toolRamMb(id), 0);
    expect(total).toBeGreaterThan(8192);
    const problems = problemsOf({ ...valid, tier: "lite", tools: everything });
    expect(problems).toEqual([{
      source: "tenants/x.yaml",
      path: "tools",
      message: `tools need ${total} MB with the LetsBe overhead, more than the lite tier's 8192 MB`,
    }]);
    expect(parseTenantSpec({ ...valid, tier: "build", tools: everything }, "x").tier).toBe("build");
  });
});

describe("rules that need the hub", () => {
  const spec = parseTenantSpec({ ...valid, domain: "acme.example" }, "x");
  it("requires a zone id for a domain outside the platform domain", () => {
    expect(hubProblems(spec, "eu.letsbe.biz", "tenants/acme.yaml")).toEqual([{
      source: "tenants/acme.yaml",
      path: "cloudflareZoneId",
      message: 'required because domain "acme.example" is not under the eu platform domain "eu.letsbe.biz"',
    }]);
  });
  it("needs none under the platform domain, and none when the zone is given", () => {
    expect(hubProblems(parseTenantSpec(valid, "x"), "eu.letsbe.biz", "x")).toEqual([]);
    expect(hubProblems({ ...spec, cloudflareZoneId: "0".repeat(32) }, "eu.letsbe.biz", "x")).toEqual([]);
    expect(hubProblems({ ...spec, domain: "notletsbe.biz" }, "letsbe.biz", "x")).toHaveLength(1);
  });
  // Issue 13 part 2: the tenant program and admission apply the platform's domain rules with the hub's names.
  it.each([
    ["eu.letsbe.biz", 'domain "eu.letsbe.biz" of tenant "acme-bakery" equals the tenant base domain "eu.letsbe.biz"'],
    ["hub.eu.letsbe.biz", 'domain "hub.eu.letsbe.biz" of tenant "acme-bakery" takes "hub", a name reserved for the platform under "eu.letsbe.biz"'],
    ["a.b.eu.letsbe.biz", 'domain "a.b.eu.letsbe.biz" of tenant "acme-bakery" has 2 labels under the tenant base domain "eu.letsbe.biz"'],
    ["acme.us.letsbe.biz", 'domain "acme.us.letsbe.biz" of tenant "acme-bakery" sits inside the platform domain "letsbe.biz" but not directly under'],
  ])("refuses domain %j against the hub's base domain, zone id or not", (domain, message) => {
    for (const zone of [{}, { cloudflareZoneId: "0".repeat(32) }]) {
      const problems = hubProblems(parseTenantSpec({ ...valid, domain, ...zone }, "x"), "eu.letsbe.biz", "tenants/acme-bakery.yaml");
      expect(problems.map((p) => [p.source, p.path])).toEqual(problems.map(() => ["tenants/acme-bakery.yaml", "domain"]));
      expect(problems.length).toBeGreaterThan(0);
      expect(problems[0]!.message).toContain(message);
    }
  });
  it("refuses the hub's own name when it is known, even off the platform domains", () => {
    const spec = parseTenantSpec({ ...valid, domain: "portal.estate.example.net", cloudflareZoneId: "0".repeat(32) }, "x");
    expect(hubProblems(spec, "eu.letsbe.biz", "x")).toEqual([]);
    expect(hubProblems(spec, "eu.letsbe.biz", "x", "portal.estate.example.net").map((p) => p.message)).toEqual([
      'domain "portal.estate.example.net" of tenant "acme-bakery" equals the hub\'s name "portal.estate.example.net": a tenant never takes, contains or sits inside the hub\'s name',
    ]);
  });
});

