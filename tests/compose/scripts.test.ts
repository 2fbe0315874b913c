/** The tenant data scripts and the hub restore pass shellcheck at style level, as the bootstrap scripts do. */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(__dirname, "..", "..");
const SCRIPTS = ["components/compose/data.sh", "components/compose/backup.sh", "components/compose/restore.sh", "components/hub/scripts/restore.sh"];

describe("data scripts", () => {
  it.each(SCRIPTS)("pass shellcheck: %s", (file) => {
    const result = spawnSync("shellcheck", ["-x", "-S", "style", file], { cwd: ROOT, encoding: "utf8" });
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it("stop at the first error, except the daily backup, which goes on past a failing item and fails at the end", () => {
    const head = (file: string) => spawnSync("sed", ["-n", "1,25p", join(ROOT, file)], { encoding: "utf8" }).stdout;
    expect(head("components/compose/restore.sh")).toContain("set -euo pipefail");
    expect(head("components/hub/scripts/restore.sh")).toContain("set -euo pipefail");
    expect(head("components/compose/backup.sh")).toMatch(/^set -uo pipefail$/m);
  });
});
