import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadTenantSpecs } from "../../tenants/load";

function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "letsbe-specs-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const spec = (slug: string, extra = "") => `slug: ${slug}
domain: ${slug}.eu.letsbe.biz
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
