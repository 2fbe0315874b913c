/**
 * The hub's stages on the one stage mechanism, their scripts run by bash for real: the apps stage
 * puts the compose file and the secret environment files in place (root-only, from the runner's
 * secrets), pulls a kept image only when missing, and brings the project up with the health gate.
 * A `docker` on PATH records what it is asked and answers as the engine would.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { scriptsDir } from "../../components/host/stages";
import { hubBackupStage } from "../../components/hub/backup";
import { hubStage } from "../../components/hub/stage";

const LIB = join(scriptsDir(), "lib.sh");
const APPS = join(__dirname, "..", "..", "components", "hub", "scripts", "stages", "apps.sh");

/** A `docker` that logs its arguments; `image inspect` knows only the refs in `present`. */
function fakeDocker(dir: string, present: readonly string[]): string {
  const bin = join(dir, "bin");
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, "docker"), [
    "#!/bin/bash",
    `echo "$*" >> '${join(dir, "docker.log")}'`,
    'if [[ "$1 $2" == "image inspect" ]]; then case "$3" in',
    ...present.map((ref) => `  '${ref}') exit 0;;`),
    "  *) exit 1;; esac; fi",
    "exit 0",
  ].join("\n"));
  chmodSync(join(bin, "docker"), 0o755);
  return bin;
}

function runApps(dir: string, env: Record<string, string>) {
  const script = `source '${LIB}'; source '${APPS}'; LB_STAGE=hub-apps; stage_main; echo "changes=$LB_CHANGES"`;
  return spawnSync("bash", ["-c", script], { encoding: "utf8", env: { PATH: `${fakeDocker(dir, env.PRESENT?.split(" ") ?? [])}:${process.env.PATH ?? ""}`, ...env } });
}

describe("the hub's apps stage, run by bash", () => {
  const setup = () => {
    const dir = mkdtempSync(join(tmpdir(), "letsbe-hub-apps-"));
    const files = join(dir, "files");
    mkdirSync(files);
    writeFileSync(join(files, "compose"), "services: {}\n");
    return { dir, files, env: {
      LB_STAGE_FILES: files, LB_HUB_DIR: join(dir, "hub"), LB_PROJECT: "letsbe-hub", LB_WAIT_TIMEOUT: "180",
      LB_KEEP_IMAGES: "reg/a@sha256:1 reg/b@sha256:2", PRESENT: "reg/a@sha256:1",
      LB_SECRET_HUB_DB_ENV: "POSTGRES_PASSWORD='db-secret-0c1e'\n", LB_SECRET_HUB_APP_ENV: "NEXTAUTH_SECRET='app-secret-77d2'\n",
    } };
  };

  it("writes the env files root-only, pulls only the missing kept image, and ups the project with the health gate", () => {
    const { dir, env } = setup();
    const result = runApps(dir, env);
    expect(result.status, result.stderr).toBe(0);
    const hub = env.LB_HUB_DIR;
    expect((statSync(hub).mode & 0o777).toString(8)).toBe("700");
    for (const file of ["db.env", "app.env"]) expect((statSync(join(hub, file)).mode & 0o777).toString(8), file).toBe("600");
    expect(readFileSync(join(hub, "db.env"), "utf8")).toBe("POSTGRES_PASSWORD='db-secret-0c1e'\n");
    expect(readFileSync(join(hub, "compose.yaml"), "utf8")).toBe("services: {}\n");
    const calls = readFileSync(join(dir, "docker.log"), "utf8").trim().split("\n");
    expect(calls.filter((c) => c.startsWith("pull"))).toEqual(["pull -q reg/b@sha256:2"]);
    expect(calls.at(-1)).toBe(`compose -p letsbe-hub --project-directory ${hub} -f ${hub}/compose.yaml up -d --remove-orphans --wait --wait-timeout 180`);
    // Nothing secret on any command line the stage ran.
    expect(calls.join("\n")).not.toMatch(/secret-0c1e|secret-77d2/);
  });

  it("counts no change on a second run with everything in place", () => {
    const { dir, env } = setup();
    expect(runApps(dir, env).status).toBe(0);
    const again = runApps(dir, { ...env, PRESENT: "reg/a@sha256:1 reg/b@sha256:2" });
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout.trim().split("\n").at(-1)).toBe("changes=0");
  });

  it("refuses to start the project without its secrets, naming them", () => {
    const { dir, env } = setup();
    const result = runApps(dir, { ...env, LB_SECRET_HUB_APP_ENV: "" });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("secrets HUB_DB_ENV and HUB_APP_ENV are required by stage hub-apps");
    // It stopped before Docker was asked anything.
    expect(existsSync(join(dir, "docker.log"))).toBe(false);
  });
});

describe("hub stages as plan data", () => {
  it("copies the bundled script and its files under the stage's folder, and runs it through the runner with secrets on stdin", () => {
    const stage = hubStage("site", { files: { "site.conf": "server {}\n" } });
    expect(stage.name).toBe("hub-site");
    expect(stage.files.map((f) => [f.name, f.remotePath])).toEqual([
      ["script", "/var/lib/letsbe/bootstrap/hub-site.sh"], ["site.conf", "/var/lib/letsbe/bootstrap/hub/site/site.conf"],
    ]);
    expect(stage.files[0].content).toContain("lb_run_stage");
    expect(stage.command).toBe("LB_STAGE=hub-site LB_WITH_SECRETS=0 LB_STAGE_FILES='/var/lib/letsbe/bootstrap/hub/site' bash /var/lib/letsbe/bootstrap/hub-site.sh");
    const backup = hubBackupStage({ rcloneRemote: "offsite:hub" });
    expect(backup.secrets).toEqual(["BACKUP_RCLONE_CONFIG"]);
    expect(backup.command).toMatch(/^LB_STAGE=hub-backup LB_WITH_SECRETS=1 /);
  });

  it("changes its trigger with a file and with a parameter, not otherwise", () => {
    const a = hubStage("site", { files: { "site.conf": "server {}\n" } });
    expect(hubStage("site", { files: { "site.conf": "server {}\n" } }).trigger).toBe(a.trigger);
    expect(hubStage("site", { files: { "site.conf": "server { listen 443; }\n" } }).trigger).not.toBe(a.trigger);
    expect(hubBackupStage({ rcloneRemote: "offsite:a" }).trigger).not.toBe(hubBackupStage({ rcloneRemote: "offsite:b" }).trigger);
  });
});
