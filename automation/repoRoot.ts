import { existsSync } from "node:fs";
import { dirname, join } from "node:path";

/** The repository root: the folder holding the hub's Pulumi.yaml (found from source or from dist/). */
export function repoRoot(from: string = __dirname): string {
  let dir = from;
  while (!existsSync(join(dir, "Pulumi.yaml")) || !existsSync(join(dir, "stacks"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no Pulumi.yaml above ${from}`);
    dir = up;
  }
  return dir;
}
