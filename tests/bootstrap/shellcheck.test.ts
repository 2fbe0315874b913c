import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { BASE_STAGES, bundleStage } from "../../components/host/stages";

const ROOT = join(__dirname, "..", "..");
const SCRIPTS = [
  ...["lib.sh", "runner.sh", ...readdirSync(join(ROOT, "components/host/scripts/stages")).map((f) => `stages/${f}`)]
    .map((f) => `components/host/scripts/${f}`),
  "components/compose/apply.sh",
  "tests/host/infra/host.sh",
  "tests/host/infra/standins.sh",
];

function shellcheck(...files: string[]) {
  return spawnSync("shellcheck", ["-x", "-S", "style", ...files], { cwd: ROOT, encoding: "utf8" });
}

describe("shellcheck", () => {
  beforeAll(() => {
    if (spawnSync("shellcheck", ["--version"]).status === 0) return;
    // Debian's package, as the host tier installs it; only possible as root (CI).
    const options = { stdio: "ignore" as const, env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } };
    execFileSync("apt-get", ["update", "-qq"], options);
    execFileSync("apt-get", ["install", "-y", "-qq", "shellcheck"], options);
  });

  it.each(SCRIPTS)("passes on %s", (file) => {
    const result = shellcheck(file);
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it("passes on every bundled stage as the host receives it", () => {
    const dir = mkdtempSync(join(tmpdir(), "letsbe-stages-"));
    const files = BASE_STAGES.map((stage) => {
      const file = join(dir, `${stage}.sh`);
      writeFileSync(file, bundleStage(stage));
      return file;
    });
    const result = shellcheck(...files);
    expect(result.stdout + result.stderr).toBe("");
  });

  it("finds problems when there are some (the check is live)", () => {
    const file = join(mkdtempSync(join(tmpdir(), "letsbe-sc-")), "bad.sh");
    writeFileSync(file, "#!/usr/bin/env bash\nrm -rf $1/*\n");
    expect(shellcheck(file).status).not.toBe(0);
  });

  it("every script starts with set -euo pipefail", () => {
    for (const file of SCRIPTS) {
      expect(execFileSync("sed", ["-n", "1,12p", join(ROOT, file)], { encoding: "utf8" }), file).toContain("set -euo pipefail");
    }
  });
});
