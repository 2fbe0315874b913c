/**
 * Where `npm run engine` puts what it builds: the CLI and language host in a cache outside the work
 * tree, by the version of @pulumi/pulumi in package-lock.json; the plugins of a checkout in its own
 * `.cache/engine/home` (PULUMI_HOME).
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export function pulumiVersion(root: string): string {
  const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as { packages: Record<string, { version: string }> };
  return lock.packages["node_modules/@pulumi/pulumi"].version;
}

export function engineBinDir(root: string, env: NodeJS.ProcessEnv = process.env): string {
  const cache = env.LETSBE_ENGINE_CACHE ?? join(homedir(), ".cache", "letsbe-engine");
  return join(cache, `pulumi-v${pulumiVersion(root)}`, "bin");
}

export function engineBuilt(root: string): boolean {
  return existsSync(join(engineBinDir(root), "pulumi"));
}

export const pluginHome = (root: string): string => join(root, ".cache", "engine", "home");

/** Figures the engine tier records from its own runs (bench prints them as recorded). */
export const recordedFiguresFile = (root: string): string => join(root, ".cache", "engine", "figures.json");
