/**
 * Engine figures for `npm run bench`, when `npm run engine` has built it: a warm build timed now,
 * the last cold build's times as the build recorded them, `pulumi preview` of example tenants timed
 * now (file backend, a hub stack exporting the planned contract), and the engine tier's recorded up
 * and no-change up. Stand-in plugins answer the preview's checks (README, "The engine").
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { OrderFlow } from "../orders/flow";
import { MemoryTenantStore } from "../orders/store";
import { repoRoot } from "../repoRoot";
import { LocalTenantWorkspace } from "../workspace/local";
import { hubReferencesFromRepo } from "../plan/hubReferences";
import { PROVIDER_SECRET_CONFIG, TENANT_SECRET_CONFIG, placeholders } from "../../contracts/secrets";
import { loadTenantSpecs } from "../../tenants/load";
import { engineBinDir, engineBuilt, pluginHome, recordedFiguresFile } from "../engine/paths";

export interface EngineFigures {
  readonly buildColdS: number | null;
  readonly buildWarmS: number;
  readonly previewMsPerTenant: number;
  readonly previewTenants: number;
  readonly offlineMsPerTenant: number;
  readonly previewToOffline: number;
  readonly upMsPerTenant: number | null;
  readonly noChangeUpMs: number | null;
  /** When the engine tier measured the two up figures (null: never ran on this checkout). */
  readonly upRecordedAt: string | null;
}

function seconds(file: string): number | null {
  return existsSync(file) ? Number(readFileSync(file, "utf8").trim()) : null;
}

export async function benchEngine(offlineMsPerTenant: number): Promise<EngineFigures | undefined> {
  const root = repoRoot();
  if (!engineBuilt(root)) return undefined;
  const bin = engineBinDir(root);
  const warmStart = Date.now();
  execFileSync("bash", [join(root, "engine", "build.sh")], { stdio: "ignore" });
  const buildWarmS = (Date.now() - warmStart) / 1000;
  const cli = seconds(join(bin, ".pulumi.seconds"));
  const host = seconds(join(bin, ".pulumi-language-nodejs.seconds"));

  process.env.PATH = `${bin}:${process.env.PATH ?? ""}`;
  const backend = mkdtempSync(join(tmpdir(), "letsbe-bench-engine-"));
  const envVars = {
    PULUMI_HOME: pluginHome(root), PULUMI_BACKEND_URL: `file://${backend}`, PULUMI_CONFIG_PASSPHRASE: "bench-only-passphrase",
    PULUMI_SKIP_UPDATE_CHECK: "true", PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
  };
  try {
    const org = "organization"; // the file backend's only organization
    const hubs = await hubReferencesFromRepo(org);
    const hub = await LocalWorkspace.createOrSelectStack({ stackName: "prod-eu", projectName: "letsbe-hub", program: async () => hubs.eu.outputs }, { envVars });
    await hub.up();
    const specs = loadTenantSpecs(join(root, "tenants")).specs.map((s) => s.spec).filter((s) => s.region === "eu");
    const workspace = new LocalTenantWorkspace({ programDir: join(root, "dist", "stacks", "tenant"), envVars });
    const flow = new OrderFlow({ workspace, store: new MemoryTenantStore(), org, secrets: placeholders([...TENANT_SECRET_CONFIG, ...PROVIDER_SECRET_CONFIG]), attempts: 1 });
    const started = Date.now();
    for (const spec of specs) {
      await workspace.preview({ slug: spec.slug, config: flow.stackConfig({ slug: spec.slug, orderId: "bench", spec, status: "active", updatedAt: "2026-11-22T00:00:00Z" }) });
    }
    const previewMsPerTenant = Math.round((Date.now() - started) / specs.length);
    const recorded = existsSync(recordedFiguresFile(root))
      ? (JSON.parse(readFileSync(recordedFiguresFile(root), "utf8")) as { recordedAt?: string; upMsPerTenant?: number; noChangeUpMs?: number })
      : {};
    return {
      buildColdS: cli === null || host === null ? null : cli + host,
      buildWarmS: Number(buildWarmS.toFixed(1)),
      previewMsPerTenant,
      previewTenants: specs.length,
      offlineMsPerTenant: Number(offlineMsPerTenant.toFixed(1)),
      previewToOffline: Number((previewMsPerTenant / offlineMsPerTenant).toFixed(0)),
      upMsPerTenant: recorded.upMsPerTenant ?? null,
      noChangeUpMs: recorded.noChangeUpMs ?? null,
      upRecordedAt: recorded.recordedAt ?? null,
    };
  } finally {
    rmSync(backend, { recursive: true, force: true });
  }
}
