#!/usr/bin/env node
/** `npm run bench [-- --json FILE]`: prints the suite's performance figures. */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { benchEngine } from "./engine";
import { benchNetcup } from "./netcup";
import { RunFigures } from "./planRun";
import { benchRollout } from "./rollout";

export interface PlanBenchRow {
  readonly tenants: number;
  readonly resources: number;
  readonly wallMs: number;
  readonly peakRssMb: number;
  readonly floorWallMs: number;
  readonly ratio: number;
  /** The same resources (SDK classes, inputs, parents) registered directly: the SDK's own cost. */
  readonly replayWallMs: number;
  readonly replayRatio: number;
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
    const replay = measure("replay", String(tenants));
    return {
      tenants,
      resources: planned.resources,
      wallMs: round(planned.wallMs),
      peakRssMb: planned.peakRssMb,
      floorWallMs: round(floor.wallMs),
      ratio: round(planned.wallMs / floor.wallMs, 2),
      replayWallMs: round(replay.wallMs),
      replayRatio: round(planned.wallMs / replay.wallMs, 2),
    };
  });
}

async function main(): Promise<void> {
  const opts = new Command().name("bench").option("--json <file>", "write the figures as JSON").parse(process.argv).opts<{ json?: string }>();
  const planRows = benchPlan([100, 500]);
  console.log("Offline plan (hub prod-eu + N tenant stacks, mock runtime, worker processes on all cores)");
  console.log("floor: as many bare one-input resources; replay: the very same resources registered directly");
  console.log("tenants  resources  wall ms  µs/resource  peak RSS MB  floor ms  ratio  replay ms  ratio");
  for (const r of planRows) {
    console.log([r.tenants, r.resources, r.wallMs, round((r.wallMs * 1000) / r.resources), r.peakRssMb, r.floorWallMs, r.ratio, r.replayWallMs, r.replayRatio]
      .map((v, i) => String(v).padStart([7, 10, 8, 12, 12, 9, 6, 10, 6][i])).join(" "));
  }
  const netcup = await benchNetcup();
  console.log("\nNetcup provider against the fake SCP API (zero task latency)");
  console.log(`calls per create ${netcup.callsPerCreate} (+${netcup.taskPolls.create} task polls), per delete ${netcup.callsPerDelete} (+${netcup.taskPolls.delete} task polls), create wall ${round(netcup.createWallMs, 1)} ms`);

  const rollout = await benchRollout();
  console.log("\nFleet rollout, virtual clock (1000 tenants, 60-180 s each, concurrency 20)");
  console.log(`total ${(rollout.virtualMs / 3_600_000).toFixed(2)} h, bound ${(rollout.boundMs / 3_600_000).toFixed(2)} h, ratio ${rollout.ratio.toFixed(3)}; one-at-a-time ${(rollout.sequentialMs / 3_600_000).toFixed(1)} h; all-at-once ${(rollout.allAtOnceMs / 60_000).toFixed(1)} min; orchestrator CPU ${rollout.cpuMsPerTenant.toFixed(3)} ms/tenant`);

  const largest = planRows[planRows.length - 1];
  const engine = await benchEngine(largest.wallMs / largest.tenants);
  if (engine) {
    console.log("\nEngine (npm run engine; stand-in plugins, file backend)");
    console.log(`build: cold ${engine.buildColdS ?? "never built here"} s (last real build), warm ${engine.buildWarmS} s`);
    console.log(`pulumi preview ${engine.previewMsPerTenant} ms per tenant (${engine.previewTenants} example tenants); offline plan ${engine.offlineMsPerTenant} ms per tenant (${largest.tenants}); ratio ${engine.previewToOffline}`);
    console.log(engine.upRecordedAt
      ? `up from nothing to healthy ${engine.upMsPerTenant} ms, no-change up ${engine.noChangeUpMs} ms (recorded by the engine tier at ${engine.upRecordedAt})`
      : "up figures: run npm run test:engine first (the engine tier records them)");
  } else {
    console.log("\nEngine: not built here (npm run engine); no engine figures");
  }

  const report: Record<string, unknown> = {
    plan: planRows,
    netcup: { callsPerCreate: netcup.callsPerCreate, callsPerDelete: netcup.callsPerDelete, createWallMs: netcup.createWallMs },
    rollout,
    ...(engine ? { engine } : {}),
  };
  if (opts.json) writeFileSync(opts.json, `${JSON.stringify(report, null, 2)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
