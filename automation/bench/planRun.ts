/** One measured run in a fresh process, so peak RSS belongs to that run alone. */
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import { plan } from "../plan/plan";
import { PlanReport } from "../plan/types";
import { generateTenantSpecs, writeTenantSpecs } from "./generate";
import { registerBareStacks } from "./floorWorker";

export interface RunFigures {
  readonly wallMs: number;
  readonly resources: number;
  readonly stacks: number;
  readonly peakRssMb: number;
}

// The SDK captures a stack trace for every promise it makes, for leak diagnostics the plan
// never prints; without them planning takes about half the time.
Error.stackTraceLimit = 0;
async function planFleet(tenants: number): Promise<{ report: PlanReport; wallMs: number }> {
  const dir = mkdtempSync(join(tmpdir(), "letsbe-bench-"));
  try {
    writeTenantSpecs(dir, generateTenantSpecs(tenants));
    const started = performance.now();
    const report = await plan({ stack: "prod-eu", tenantsDir: dir });
    const wallMs = performance.now() - started;
    if (report.errors.length > 0) throw new Error(`bench fleet did not plan cleanly: ${JSON.stringify(report.errors[0])}`);
    return { report, wallMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function planRun(tenants: number): Promise<RunFigures> {
  const { report, wallMs } = await planFleet(tenants);
  const resources = report.stacks.reduce((n, s) => n + s.resources.length, 0);
  return { wallMs, resources, stacks: report.stacks.length, peakRssMb: peakRssMb() };
}

/** Plans (untimed), then times registering the very same resources directly. */
async function replayRun(tenants: number): Promise<RunFigures> {
  const { report } = await planFleet(tenants);
  const stacks = report.stacks;
  const workers = workerCount(stacks.length);
  const size = Math.ceil(stacks.length / workers);
  const started = performance.now();
  const counts = await Promise.all(Array.from({ length: workers }, (_, w) => inWorker({ replay: stacks.slice(w * size, (w + 1) * size) })));
  return { wallMs: performance.now() - started, resources: counts.reduce((a, b) => a + b, 0), stacks: stacks.length, peakRssMb: peakRssMb() };
}

function workerCount(stacks: number): number {
  return Math.min(availableParallelism(), Math.max(1, Math.floor(stacks / 24)));
}

function inWorker(data: unknown): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const worker = new Worker(join(__dirname, "floorWorker.js"), { workerData: data });
    worker.once("message", (m: { registered: number }) => { void worker.terminate(); resolve(m.registered); });
    worker.once("error", reject);
  });
}

async function floorRun(stacks: number, resources: number): Promise<RunFigures> {
  const perStack = Math.max(0, Math.round(resources / stacks) - 1);
  const workers = workerCount(stacks);
  const started = performance.now();
  let registered: number;
  if (workers <= 1) {
    registered = await registerBareStacks(stacks, perStack);
  } else {
    const size = Math.ceil(stacks / workers);
    const counts = await Promise.all(Array.from({ length: workers }, (_, w) =>
      inWorker({ floor: { stacks: Math.min(size, stacks - w * size), perStack, offset: w * size } })));
    registered = counts.reduce((a, b) => a + b, 0);
  }
  return { wallMs: performance.now() - started, resources: registered, stacks, peakRssMb: peakRssMb() };
}

function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

if (require.main === module) {
  const [mode, a, b] = process.argv.slice(2);
  const run = mode === "floor" ? floorRun(Number(a), Number(b)) : mode === "replay" ? replayRun(Number(a)) : planRun(Number(a));
  run.then((figures) => process.stdout.write(JSON.stringify(figures)), (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  });
}
