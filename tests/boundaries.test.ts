/**
 * Module boundaries: layers import downward only. Every relative import (static, `import()` and
 * `require()`) of the production folders is resolved to the folder it lands in and judged against
 * the table below, so a wrong-direction import fails here, whatever the file.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(__dirname, "..");
const PRODUCTION = ["tenants", "contracts", "components", "policy", "stacks", "automation"];

/** What each layer may import, besides itself and npm packages. */
const ALLOWED: Record<string, readonly string[]> = {
  tenants: [],
  contracts: ["tenants"],
  components: ["tenants", "contracts"],
  policy: ["tenants", "contracts", "components"],
  stacks: ["tenants", "contracts", "components"],
  automation: ["tenants", "contracts", "components", "policy", "stacks"],
};

/** The order flow, service, rollouts and CLI drive stacks through the CLI: no programs, no plan internals. */
const FLOW = /^automation\/(orders|workspace|service|rollout|pins|engine|cli)\/|^automation\/(context|repoRoot)\.ts$/;
const FLOW_FORBIDDEN = /^(stacks|tests)\/|^automation\/(plan|bench)\//;
/** The CLI offers `letsbe plan`: its entry may reach the plan command, nothing else of the plan. */
const FLOW_EXCEPTIONS: Record<string, readonly string[]> = {
  "automation/cli/index.ts": ["automation/plan/cli", "automation/plan/plan"],
};

interface Edge { readonly from: string; readonly to: string }

function importsOf(file: string, text: string): Edge[] {
  const specs = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)["'](\.{1,2}\/[^"']+)["']/gm)].map((m) => m[1]);
  return specs.map((spec) => ({ from: file, to: relative(ROOT, resolve(ROOT, dirname(file), spec)).split("\\").join("/") }));
}

function violation({ from, to }: Edge): string | undefined {
  const layer = from.split("/")[0];
  const target = to.split("/")[0];
  if (to.startsWith("..")) return `${from} imports ${to}, outside the repository`;
  // Benchmarks (`npm run bench`, on no production path) measure against the vendor fakes.
  if (from.startsWith("automation/bench/") && to.startsWith("tests/fakes/")) return undefined;
  if (target !== layer && !(ALLOWED[layer] ?? []).includes(target)) {
    return `${from} (layer ${layer}) imports ${to} (layer ${target}); ${layer} may import ${[layer, ...(ALLOWED[layer] ?? [])].join(", ")}`;
  }
  if (FLOW.test(from) && FLOW_FORBIDDEN.test(to) && !(FLOW_EXCEPTIONS[from] ?? []).includes(to)) {
    return `${from} (order flow, service, rollout, CLI) imports ${to}: programs and plan internals are not theirs to import`;
  }
  return undefined;
}

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : sources(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

describe("module boundaries", () => {
  const edges = PRODUCTION.flatMap(sources).flatMap((file) => importsOf(file, readFileSync(join(ROOT, file), "utf8")));

  it("reads the imports of every production folder", () => {
    // A regex gone blind would pass the next test on nothing: these edges exist today.
    expect(edges).toContainEqual({ from: "stacks/tenant/program.ts", to: "components/tenant/tenant" });
    expect(edges).toContainEqual({ from: "components/tenant/tenant.ts", to: "contracts/hub" });
    expect(edges.length).toBeGreaterThan(200);
  });

  it("has no import against the layer order", () => {
    expect(edges.map(violation).filter((v) => v !== undefined)).toEqual([]);
  });

  it("refuses what it is meant to refuse", () => {
    const judge = (from: string, text: string) => importsOf(from, text).map(violation);
    expect(judge("components/tenant/tenant.ts", 'import { HubOutputs } from "../../stacks/contract";')[0]).toMatch(/layer components.*stacks\/contract/);
    expect(judge("policy/x.ts", 'const y = require("../automation/plan/plan");')[0]).toMatch(/layer policy/);
    expect(judge("contracts/hub.ts", 'import type { Tenant } from "../components/tenant/tenant";')[0]).toMatch(/layer contracts/);
    expect(judge("automation/orders/flow.ts", 'import { tenantStackConfig } from "../plan/stackConfig";')[0]).toMatch(/order flow/);
    expect(judge("automation/context.ts", 'const p = await import("../stacks/tenant/program");')[0]).toMatch(/order flow/);
    expect(judge("automation/workspace/select.ts", 'import { SimulatedWorkspace } from "../../tests/automation/simulatedWorkspace";')[0]).toMatch(/layer automation/);
    expect(judge("automation/cli/index.ts", 'import { runPlanCommand } from "../plan/cli";')).toEqual([undefined]);
    expect(judge("automation/plan/planStacks.ts", 'import { tenantProgram } from "../../stacks/tenant/program";')).toEqual([undefined]);
    expect(judge("automation/orders/flow.ts", 'import { FakeScp } from "../../tests/fakes/scp/server";')[0]).toMatch(/layer automation/);
  });
});
