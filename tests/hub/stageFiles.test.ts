/**
 * The hub stage's file writes, run by bash for real: a file holding a secret is never
 * readable by others, not while it is written and not after (issue 13: the stage ran under
 * `umask 022`, so each file was born 0644 and tightened only after its content landed).
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { renderStage } from "../../components/hub/stage";

function rendered(output: pulumi.Output<string>): Promise<string> {
  return new Promise((resolve) => { output.apply((value) => { resolve(value); return value; }); });
}

/** Runs the stage with a `base64` that first records the mode its output file was created with. */
function runWithProbe(script: string, dir: string) {
  const bin = join(dir, "bin");
  const log = join(dir, "born-modes.log");
  spawnSync("mkdir", ["-p", bin]);
  const real = spawnSync("bash", ["-c", "command -v base64"], { encoding: "utf8" }).stdout.trim();
  writeFileSync(join(bin, "base64"), `#!/bin/bash\nstat -L -c '%a' /proc/self/fd/1 >> '${log}'\nexec '${real}' "$@"\n`);
  chmodSync(join(bin, "base64"), 0o755);
  const result = spawnSync("bash", ["-c", script], { encoding: "utf8", env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}` } });
  return { result, bornModes: readFileSync(log, "utf8").trim().split("\n") };
}

describe("hub stage files", () => {
  it("are born owner-only and end with their declared mode and content", async () => {
    const dir = mkdtempSync(join(tmpdir(), "letsbe-hub-stage-"));
    const secretFile = join(dir, "etc", "hub.env");
    const publicFile = join(dir, "etc", "site.conf");
    const script = await rendered(renderStage({
      title: "test stage",
      vars: {},
      files: [
        { path: secretFile, mode: "0600", content: pulumi.secret("HUB_TOKEN=value-never-world-readable\n") },
        { path: publicFile, mode: "0644", content: "server {}\n" },
      ],
      body: "true",
    }));
    const { result, bornModes } = runWithProbe(script, dir);
    expect(result.status, result.stderr).toBe(0);
    // Before the fix the files were born 644 (umask 022).
    expect(bornModes).toEqual(["600", "600"]);
    expect((statSync(secretFile).mode & 0o777).toString(8)).toBe("600");
    expect((statSync(publicFile).mode & 0o777).toString(8)).toBe("644");
    expect(readFileSync(secretFile, "utf8")).toBe("HUB_TOKEN=value-never-world-readable\n");
    // The folder the stage creates for its files stays traversable.
    expect((statSync(join(dir, "etc")).mode & 0o777).toString(8)).toBe("755");
  });

  it("runs the body with the usual umask", async () => {
    const dir = mkdtempSync(join(tmpdir(), "letsbe-hub-stage-"));
    const script = await rendered(renderStage({ title: "t", vars: {}, files: [{ path: join(dir, "f"), mode: "0644", content: "x" }], body: "umask" }));
    const { result } = runWithProbe(script, dir);
    expect(result.stdout.trim()).toBe("0022");
  });
});
