/**
 * The tenant restore's usage errors (exit 2, nothing touched): the script run by bash with a
 * `docker` on PATH that records every call.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { composeScript } from "../../components/compose/stage";

function restore(args: string[], withStack = true) {
  const root = mkdtempSync(join(tmpdir(), "tenant-restore-"));
  mkdirSync(join(root, "bin"));
  mkdirSync(join(root, "stack", "current"), { recursive: true });
  if (withStack) writeFileSync(join(root, "stack", "current", "manifest.json"), JSON.stringify({ project: "letsbe", services: {} }));
  for (const name of ["restore.sh", "data.sh"]) writeFileSync(join(root, "stack", name), composeScript(name));
  writeFileSync(join(root, "bin", "docker"), '#!/bin/bash\necho "$*" >> "$DOCKER_LOG"\n');
  chmodSync(join(root, "bin", "docker"), 0o755);
  const result = spawnSync("bash", [join(root, "stack", "restore.sh"), ...args], {
    encoding: "utf8",
    env: {
      PATH: `${join(root, "bin")}:/usr/bin:/bin`, LB_STACK_DIR: join(root, "stack"), LB_BACKUP_DIR: join(root, "backups"),
      LB_BACKUP_SETTINGS: join(root, "absent.env"), DOCKER_LOG: join(root, "docker.log"),
    },
  });
  return { ...result, dockerCalled: existsSync(join(root, "docker.log")) };
}

describe("tenant restore", () => {
  it.each([
    [["--bogus"], "unknown option --bogus"],
    [["2026-12-01"], "backup name '2026-12-01' is not of the form YYYYMMDDTHHMMSSZ"],
    [["20261201T030000Z", "20261202T030000Z"], "one backup name at most"],
  ])("exits 2 on %j, naming the problem, and touches no container", (args, message) => {
    const result = restore(args);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.dockerCalled).toBe(false);
  });

  it("refuses a host without an applied project, saying what to run first", () => {
    const result = restore([], false);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("apply the tenant's release first (the compose stage), then restore into it");
    expect(result.dockerCalled).toBe(false);
  });

  it("refuses --from-remote without an off-site remote configured", () => {
    const result = restore(["--from-remote"]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("--from-remote: no RCLONE_REMOTE in");
    expect(result.dockerCalled).toBe(false);
  });
});
