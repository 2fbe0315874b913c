/**
 * Runs a workflow with act (built by engine/act.sh) the way a self-hosted Gitea runner would: steps on
 * this machine (`-self-hosted`, no job container images, which cannot be pulled here), the runner's
 * environment from this process, secrets and repository variables from files (never arguments), and
 * local stand-ins for the remote actions that cannot be fetched (actions/checkout is act's own copy
 * of the working tree).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";

const REPO = join(__dirname, "..", "..");
export const STANDINS = join(__dirname, "standins");

export function actVersion(): string {
  const mod = readFileSync(join(REPO, "engine", "act", "go.mod"), "utf8");
  const version = /^\s*(?:require\s+)?github\.com\/nektos\/act (v\S+)/m.exec(mod)?.[1];
  if (!version) throw new Error("engine/act/go.mod: no github.com/nektos/act requirement");
  return version;
}

export function actBinary(env: NodeJS.ProcessEnv = process.env): string {
  const bin = join(env.LETSBE_ENGINE_CACHE ?? join(homedir(), ".cache", "letsbe-engine"), `act-${actVersion()}`, "act");
  if (!existsSync(bin)) throw new Error(`no act binary at ${bin}: run \`npm run engine\` first`);
  return bin;
}

export interface ActRun {
  /** The workflow file to run. */
  readonly workflow: string;
  /** The checkout act copies for each job (a git work tree). */
  readonly workdir: string;
  readonly event: "push" | "pull_request";
  readonly payload: Record<string, unknown>;
  /** Jobs to run (with the jobs they need); default all of the event's. */
  readonly job?: string;
  readonly secrets?: Readonly<Record<string, string>>;
  readonly vars?: Readonly<Record<string, string>>;
  /** The runner's environment (what a self-hosted runner's host or its `envs:` give every step). */
  readonly runnerEnv: Readonly<Record<string, string>>;
  /** The Gitea host the checkout's `origin` names (act reads owner/repo from it). */
  readonly instance?: string;
  /** Values act itself takes from its configuration (GITHUB_SERVER_URL). */
  readonly actEnv?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

export interface ActResult {
  readonly code: number;
  readonly log: string;
}

function dotenv(values: Readonly<Record<string, string>>): string {
  // act reads these files with godotenv: double quotes with \n escapes keep multi-line values whole.
  return Object.entries(values).map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`).join("\n") + "\n";
}

export async function runAct(run: ActRun): Promise<ActResult> {
  const dir = mkdtempSync(join(tmpdir(), "letsbe-act-"));
  try {
    const files = {
      event: join(dir, "event.json"), secrets: join(dir, "secrets.env"), vars: join(dir, "vars.env"), env: join(dir, "act.env"),
    };
    writeFileSync(files.event, JSON.stringify(run.payload));
    writeFileSync(files.secrets, dotenv(run.secrets ?? {}), { mode: 0o600 });
    writeFileSync(files.vars, dotenv(run.vars ?? {}));
    writeFileSync(files.env, dotenv(run.actEnv ?? {}));
    const args = [
      run.event, "-W", run.workflow, "-e", files.event,
      "--secret-file", files.secrets, "--var-file", files.vars, "--env-file", files.env,
      "-P", "ubuntu-latest=-self-hosted",
      "--local-repository", `actions/setup-node@v4=${join(STANDINS, "setup-node")}`,
      "--action-offline-mode", "--no-cache-server",
      ...(run.instance ? ["--github-instance", run.instance] : []),
      ...(run.job ? ["-j", run.job] : []),
    ];
    return await new Promise<ActResult>((resolve, reject) => {
      const child = spawn(actBinary(), args, { cwd: run.workdir, env: { ...run.runnerEnv }, stdio: ["ignore", "pipe", "pipe"] });
      let log = "";
      child.stdout.on("data", (chunk: Buffer) => { log += chunk.toString(); });
      child.stderr.on("data", (chunk: Buffer) => { log += chunk.toString(); });
      const timer = setTimeout(() => child.kill("SIGTERM"), run.timeoutMs ?? 900_000);
      child.on("error", reject);
      child.on("close", (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, log });
      });
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The lines of one job's log (act prefixes each with `[<workflow>/<job name>]`). */
export function jobLines(log: string, jobName: string): string[] {
  return log.split("\n").filter((line) => line.includes(`/${jobName}]`));
}
