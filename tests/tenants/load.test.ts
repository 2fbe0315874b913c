import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RESERVED_LABELS } from "../../tenants/domains";
import { loadTenantSpecs } from "../../tenants/load";

function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "letsbe-specs-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const spec = (slug: string, extra = "", domain = `${slug}.eu.letsbe.biz`) => `slug: ${slug}
domain: ${domain}
region: eu
tier: lite
provider: hetzner
tools: [nocodb]
contactEmail: a@b.example
createdAt: 2026-01-01
${extra}`;

describe("loading tenant specs", () => {
  it("loads every yaml file, skipping other files", () => {
    const dir = dirWith({ "a.yaml": spec("alpha"), "b.yml": spec("bravo"), "notes.txt": "x" });
    const result = loadTenantSpecs(dir);
    expect(result.problems).toEqual([]);
    expect(result.specs.map((s) => s.spec.slug)).toEqual(["alpha", "bravo"]);
  });

  it("reports each bad file with its path and keeps the good ones", () => {
    const dir = dirWith({ "a.yaml": spec("alpha"), "b.yaml": spec("bravo", "colour: red"), "c.yaml": "slug: [unclosed" });
    const result = loadTenantSpecs(dir);
    expect(result.specs.map((s) => s.spec.slug)).toEqual(["alpha"]);
    expect(result.problems).toHaveLength(2);
    expect(result.problems[0]).toEqual({ source: join(dir, "b.yaml"), path: "", message: 'unknown key(s) "colour"' });
    expect(result.problems[1].source).toBe(join(dir, "c.yaml"));
    expect(result.problems[1].message).toMatch(/^not valid YAML/);
  });

  it("rejects a slug used twice, naming the first file", () => {
    const dir = dirWith({ "a.yaml": spec("alpha"), "b.yaml": spec("alpha") });
    const result = loadTenantSpecs(dir);
    expect(result.specs).toHaveLength(1);
    expect(result.problems).toEqual([{ source: join(dir, "b.yaml"), path: "slug", message: `"alpha" is already used by ${join(dir, "a.yaml")}` }]);
  });

  it("the shipped examples are valid and cover both regions, both providers and all groups", () => {
    const result = loadTenantSpecs(join(__dirname, "../../tenants"));
    expect(result.problems).toEqual([]);
    const specs = result.specs.map((s) => s.spec);
    expect(new Set(specs.map((s) => s.region))).toEqual(new Set(["eu", "us"]));
    expect(new Set(specs.map((s) => s.provider))).toEqual(new Set(["netcup", "hetzner"]));
    expect(new Set(specs.map((s) => s.group))).toEqual(new Set(["sandbox", "canary", "general"]));
  });
});

/** Issue 13 part 2: domains are judged across all files at once. */
describe("loading tenant specs: domains that cannot collide", () => {
  const own = (slug: string, domain: string) => spec(slug, "cloudflareZoneId: 0c4d8e2f6a1b3c5d7e9f0a2b4c6d8e0f", domain);

  it("refuses a domain inside another file's, naming both files, both tenants and the rule, and keeps the first", () => {
    const dir = dirWith({ "a.yaml": own("acme", "acme.example"), "b.yaml": own("shop", "shop.acme.example") });
    const result = loadTenantSpecs(dir);
    expect(result.specs.map((s) => s.spec.slug)).toEqual(["acme"]);
    expect(result.problems).toEqual([{
      source: join(dir, "b.yaml"),
      path: "domain",
      message: `domain "shop.acme.example" of tenant "shop" sits inside "acme.example" of tenant "acme" (${join(dir, "a.yaml")}): `
        + "no tenant domain may equal, contain or sit inside another tenant's",
    }]);
  });

  it("refuses an equal domain and one containing another, and leaves label-wise neighbours alone", () => {
    const dir = dirWith({
      "a.yaml": own("alpha", "shop.acme.example"),
      "b.yaml": own("bravo", "acme.example"),
      "c.yaml": own("charlie", "alpha.eu.letsbe.biz"),
      "d.yaml": spec("delta", "", "alpha.eu.letsbe.biz"),
      "e.yaml": own("echo", "myacme.example"),
    });
    const result = loadTenantSpecs(dir);
    expect(result.specs.map((s) => s.spec.slug)).toEqual(["alpha", "charlie", "echo"]);
    expect(result.problems.map((p) => [p.source, p.path, p.message.split(" (")[0]])).toEqual([
      [join(dir, "b.yaml"), "domain", 'domain "acme.example" of tenant "bravo" contains "shop.acme.example" of tenant "alpha"'],
      [join(dir, "d.yaml"), "domain", 'domain "alpha.eu.letsbe.biz" of tenant "delta" equals "alpha.eu.letsbe.biz" of tenant "charlie"'],
    ]);
  });

  it("refuses the base domain and the platform's names without blaming the tenants it would cover", () => {
    const dir = dirWith({ "a.yaml": spec("alpha"), "b.yaml": spec("wildcard", "", "eu.letsbe.biz"), "c.yaml": own("hubby", "hub.staging.letsbe.biz") });
    const result = loadTenantSpecs(dir);
    expect(result.specs.map((s) => s.spec.slug)).toEqual(["alpha"]);
    expect(result.problems.map((p) => [p.source, p.path])).toEqual([[join(dir, "b.yaml"), "domain"], [join(dir, "c.yaml"), "domain"]]);
    expect(result.problems[0]!.message).toContain('domain "eu.letsbe.biz" of tenant "wildcard" takes "eu", a name reserved for the platform');
    expect(result.problems[1]!.message).toContain('domain "hub.staging.letsbe.biz" of tenant "hubby" takes "hub", a name reserved for the platform');
  });

  it("with the hubs' names, refuses two labels under the base domain and the hub's name", () => {
    const dir = dirWith({ "a.yaml": spec("alpha", "", "a.b.eu.letsbe.biz"), "b.yaml": spec("bravo", "", "hub.eu.letsbe.biz"), "c.yaml": spec("charlie") });
    const result = loadTenantSpecs(dir, { platform: (region) => ({ tenantBaseDomain: `${region}.letsbe.biz`, hubDomain: `hub.${region}.letsbe.biz` }) });
    expect(result.specs.map((s) => s.spec.slug)).toEqual(["charlie"]);
    expect(result.problems.map((p) => p.message)).toEqual([
      'domain "a.b.eu.letsbe.biz" of tenant "alpha" has 2 labels under the tenant base domain "eu.letsbe.biz": a tenant takes exactly one (e.g. "b.eu.letsbe.biz")',
      'domain "hub.eu.letsbe.biz" of tenant "bravo" equals the hub\'s name "hub.eu.letsbe.biz": a tenant never takes, contains or sits inside the hub\'s name',
      `domain "hub.eu.letsbe.biz" of tenant "bravo" takes "hub", a name reserved for the platform under "eu.letsbe.biz" (reserved: ${RESERVED_LABELS.join(", ")})`,
    ]);
  });
});
