#!/usr/bin/env node
/** `npm run bench [-- --json FILE]`: prints the suite's performance figures. */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { RunFigures } from "./planRun";

export interface PlanBenchRow {
  readonly tenants: number;
  readonly resources: number;
  readonly wallMs: number;
  readonly peakRssMb: number;
  readonly floorWallMs: number;
  readonly ratio: number;
}

function measure(...args: string[]): RunFigures {
  const out = execFileSync(process.execPath, [join(__dirname, "planRun.js"), ...args], { encoding: "utf8", maxBuffer: 1 << 20 });
  return JSON.parse(out) as RunFigures;
}

const round = (n: number, digits = 0) => Number(n.toFixed(digits));

export function benchPlan(sizes: readonly number[]): PlanBenchRow[] {
  return sizes.map((tenants) => {
    const planned = measure("plan", String(tenants));
    const floor = measure("floor", String(planned.stacks), String(planned.resources));
    return {
      tenants,
      resources: planned.resources,
      wallMs: round(planned.wallMs),
      peakRssMb: planned.peakRssMb,
      floorWallMs: round(floor.wallMs),
      ratio: round(planned.wallMs / floor.wallMs, 2),
    };
  });
}

async function main(): Promise<void> {
  const opts = new Command().name("bench").option("--json <file>", "write the figures as JSON").parse(process.argv).opts<{ json?: string }>();
  const planRows = benchPlan([100, 500]);
  console.log("Offline plan (hub prod-eu + N tenant stacks, mock runtime, worker threads on all cores)");
  console.log("tenants  resources  wall ms  µs/resource  peak RSS MB  floor ms  ratio");
  for (const r of planRows) {
    console.log([r.tenants, r.resources, r.wallMs, round((r.wallMs * 1000) / r.resources), r.peakRssMb, r.floorWallMs, r.ratio]
      .map((v, i) => String(v).padStart([7, 10, 8, 12, 12, 9, 6][i])).join(" "));
  }
  const report: Record<string, unknown> = { plan: planRows };
  if (opts.json) writeFileSync(opts.json, `${JSON.stringify(report, null, 2)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
