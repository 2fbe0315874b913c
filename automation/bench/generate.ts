import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { TIER_IDS, TOOL_IDS, tierBudget, ToolId } from "../../tenants/catalog";
import { TenantSpecInput } from "../../tenants/schema";

/** Small deterministic PRNG (mulberry32), so a benchmark fleet is the same on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` valid Hetzner tenants of one region, with tools that fit their tier. */
export function generateTenantSpecs(count: number, region: "eu" | "us" = "eu", seed = 42): TenantSpecInput[] {
  const random = seededRandom(seed);
  const groups = ["sandbox", "canary", "general"] as const;
  return Array.from({ length: count }, (_, i) => {
    const tier = TIER_IDS[Math.floor(random() * TIER_IDS.length)];
    const tools: ToolId[] = [];
    for (const tool of TOOL_IDS) {
      if (random() < 0.35 && tierBudget(tier, [...tools, tool]).fits) tools.push(tool);
    }
    const slug = `bench-${String(i).padStart(4, "0")}`;
    const day = 1 + Math.floor(random() * 28);
    return {
      slug,
      domain: `${slug}.${region}.letsbe.biz`,
      region,
      tier,
      provider: "hetzner",
      group: i < 2 ? "sandbox" : groups[1 + Math.floor(random() * 2)],
      tools,
      contactEmail: `owner@${slug}.example`,
      createdAt: `2026-${String(1 + (i % 12)).padStart(2, "0")}-${String(day).padStart(2, "0")}`,
    };
  });
}

export function writeTenantSpecs(dir: string, specs: readonly TenantSpecInput[]): void {
  mkdirSync(dir, { recursive: true });
  for (const spec of specs) writeFileSync(join(dir, `${spec.slug}.yaml`), stringify(spec));
}
