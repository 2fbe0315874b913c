/** The hub's committed stack config of a region (`Pulumi.prod-<region>.yaml`), as the order flow reads it. */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { repoRoot } from "../repoRoot";

/**
 * The parsed file and its path; undefined when there is none or it is not YAML (a broken hub file is
 * the plan's to report; the tenant program still checks at `up`).
 */
export function readHubStackFile(region: string, root: string = repoRoot()): { file: string; doc: unknown } | undefined {
  const file = join(root, `Pulumi.prod-${region}.yaml`);
  if (!existsSync(file)) return undefined;
  try {
    return { file, doc: parseYaml(readFileSync(file, "utf8")) as unknown };
  } catch {
    return undefined;
  }
}
