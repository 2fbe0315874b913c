/** What the estate's command and its daemon share: where the estate lives, and the tenants it brings up. */
import { join } from "node:path";
import type { ReleaseOverride } from "../../../tenants/release";
import type { ImagePin } from "../../../tenants/catalog";
import { loadTenantSpecs } from "../../../tenants/load";
import { InvalidInputError, type InputProblem, type TenantSpec } from "../../../tenants/schema";
import { REPO } from "../lib/engine";

/** Git-ignored: the backend, the secrets passphrase's stacks, work folders and the daemon's record. */
export const ESTATE_DIR = join(REPO, ".cache", "estate");
export const STATE_FILE = join(ESTATE_DIR, "daemon.json");
export const LOG_FILE = join(REPO, ".cache", "estate-daemon.log");
export const ESTATE_PREFIX = "letsbe-estate";
export const DEFAULT_TENANTS_DIR = join(REPO, "tests", "engine", "estate", "tenants");
/** Tools the estate's registry holds stand-ins for (lib/estate.ts STANDINS). */
export const STANDIN_TOOLS = ["uptime_kuma", "vaultwarden"] as const;

/** The tenant specs of DIR, refused as a whole (naming file and field) if one cannot run on the estate. */
export function estateTenantSpecs(dir: string = DEFAULT_TENANTS_DIR): TenantSpec[] {
  const loaded = loadTenantSpecs(dir);
  const problems: InputProblem[] = [...loaded.problems];
  for (const { spec, file } of loaded.specs) {
    const missing = spec.tools.filter((tool) => !(STANDIN_TOOLS as readonly string[]).includes(tool));
    if (missing.length > 0) {
      problems.push({ source: file, path: "tools", message: `the estate has stand-in images only for ${STANDIN_TOOLS.join(", ")}; not for ${missing.join(", ")}` });
    }
  }
  if (problems.length > 0) throw new InvalidInputError(problems);
  return loaded.specs.map((l) => l.spec);
}

/** The core release every estate tenant runs: the healthy stand-ins. */
export function standInRelease(pins: Readonly<Record<string, ImagePin>>): ReleaseOverride {
  return { openclaw: pins["letsbe/openclaw:s1"], safetyWrapper: pins["letsbe/safety-wrapper:s1"], secretsProxy: pins["letsbe/secrets-proxy:s1"] };
}
