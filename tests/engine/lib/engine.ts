/**
 * The environment the engine tier runs the built CLI in: `npm run engine`'s binaries first on PATH,
 * this checkout's plugin home, a file backend and a passphrase secrets provider in a fresh folder,
 * nothing fetched from the network.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { engineBinDir, pluginHome, recordedFiguresFile } from "../../../automation/engine/paths";
import { repoRoot } from "../../fakes/scp/spec";
import { dirname } from "node:path";

/** The checkout, from the sources or from the compiled `dist/` (the estate's command runs there). */
export const REPO = repoRoot();

export function engineBin(): string {
  const bin = engineBinDir(REPO);
  if (!existsSync(join(bin, "pulumi"))) throw new Error(`no pulumi binary in ${bin}: run \`npm run engine\` first`);
  return bin;
}

export interface EngineEnv {
  readonly env: Record<string, string>;
  readonly backendDir: string;
}

/** The passphrase is a test value; the secrets test searches state for it and for every other test secret. */
export const TEST_PASSPHRASE = "engine-tier-passphrase-7c1f";

/** `backendDir`: a folder to keep the file backend in (the estate's); default - a fresh temporary one. */
export function engineEnv(extra: Readonly<Record<string, string>> = {}, backendDir = mkdtempSync(join(tmpdir(), "letsbe-engine-state-"))): EngineEnv {
  mkdirSync(backendDir, { recursive: true });
  const env: Record<string, string> = {
    PATH: `${engineBin()}:${process.env.PATH ?? ""}`,
    PULUMI_HOME: pluginHome(REPO),
    PULUMI_BACKEND_URL: `file://${backendDir}`,
    PULUMI_CONFIG_PASSPHRASE: TEST_PASSPHRASE,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "false",
    ...extra,
  };
  return { env, backendDir };
}

/** Runs the built CLI; returns stdout, throws with stderr on a non-zero exit. */
export function pulumi(engine: EngineEnv, args: readonly string[], cwd: string, input?: string): string {
  return execFileSync("pulumi", [...args], {
    cwd, input, encoding: "utf8", env: { ...process.env, ...engine.env }, maxBuffer: 64 * 1024 * 1024,
    stdio: ["pipe", "pipe", "pipe"],
  });
}

/** Keeps figures of this run for `npm run bench` (which prints them as recorded, with the time). */
export function recordFigures(figures: Readonly<Record<string, number>>): void {
  const file = recordedFiguresFile(REPO);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify({ recordedAt: new Date().toISOString(), ...figures }, null, 2)}\n`);
}
