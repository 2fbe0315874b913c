/**
 * Shell pieces of components/host/scripts inlined into the scripts that source them
 * (components/host/inline.ts), and the two restores as the hosts receive them.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { composeScript } from "../../components/compose/stage";
import { inlineHostScripts } from "../../components/host/inline";
import { hubScript } from "../../components/hub/stage";

const SCRIPT = [
  "#!/usr/bin/env bash",
  "set -euo pipefail",
  "# shellcheck source-path=SCRIPTDIR source=data.sh",
  'source "$(dirname "${BASH_SOURCE[0]}")/data.sh"',
  "# shellcheck source-path=SCRIPTDIR source=../../host/scripts/piece.sh",
  'source "$(dirname "${BASH_SOURCE[0]}")/../../host/scripts/piece.sh"',
  "piece",
  "",
].join("\n");

function pieces(): string {
  const dir = mkdtempSync(join(tmpdir(), "letsbe-pieces-"));
  writeFileSync(join(dir, "piece.sh"), "#!/usr/bin/env bash\npiece() { echo from-the-piece; }\n");
  return dir;
}

describe("inlineHostScripts", () => {
  it("replaces the source line and its directive by the piece, without its shebang, and keeps other sources", () => {
    const out = inlineHostScripts(SCRIPT, pieces());
    expect(out).toContain("piece() { echo from-the-piece; }\n");
    expect(out).not.toContain("host/scripts/piece.sh");
    expect(out).toContain('source "$(dirname "${BASH_SOURCE[0]}")/data.sh"\n');
    expect(out.match(/^#!/gm)).toHaveLength(1);
  });

  it("makes a script that runs where the piece is not", () => {
    const dir = mkdtempSync(join(tmpdir(), "letsbe-inlined-"));
    writeFileSync(join(dir, "data.sh"), "");
    writeFileSync(join(dir, "script.sh"), inlineHostScripts(SCRIPT, pieces()));
    const result = spawnSync("bash", [join(dir, "script.sh")], { encoding: "utf8" });
    expect(result.stderr).toBe("");
    expect(result.stdout).toBe("from-the-piece\n");
  });

  it("leaves a script that sources no piece as it is", () => {
    const plain = "#!/usr/bin/env bash\necho plain\n";
    expect(inlineHostScripts(plain, pieces())).toBe(plain);
  });
});

describe("the restores as shipped", () => {
  const shipped = { "tenant restore.sh": composeScript("restore.sh"), "hub restore.sh": hubScript("restore.sh") };

  it.each(Object.entries(shipped))("%s holds the shared argument parsing once and sources nothing of components/host", (_name, script) => {
    expect(script.match(/^restore_args\(\) \{$/gm)).toHaveLength(1);
    expect(script).not.toContain("restore-args.sh\"");
  });

  it.each(Object.entries(shipped))("%s passes shellcheck as the host receives it", (_name, script) => {
    const dir = mkdtempSync(join(tmpdir(), "letsbe-restore-sc-"));
    mkdirSync(join(dir, "stack"));
    writeFileSync(join(dir, "stack", "data.sh"), composeScript("data.sh"));
    writeFileSync(join(dir, "stack", "restore.sh"), script);
    const result = spawnSync("shellcheck", ["-x", "-S", "style", "restore.sh"], { cwd: join(dir, "stack"), encoding: "utf8" });
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  });
});
