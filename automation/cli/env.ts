/**
 * Environment checks made before an operation starts, so a missing file or tool is named by
 * its variable instead of surfacing as a raw ENOENT or an Automation API trace later on.
 */
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join } from "node:path";
import { InputProblem, InvalidInputError } from "../../tenants/schema";

/** The Pulumi CLI the suite is tested with (README: Operating with the real CLI). */
export const PULUMI_CLI_VERSION = "v3.248.0";

const SECRET_FILE_VAR = /^LETSBE_SECRET_[A-Z0-9_]+_FILE$/;

/** Every `LETSBE_SECRET_<NAME>_FILE` must name a readable file; the problem names the variable, never a value. */
export function secretFileProblems(env: NodeJS.ProcessEnv): InputProblem[] {
  const problems: InputProblem[] = [];
  for (const name of Object.keys(env).filter((k) => SECRET_FILE_VAR.test(k)).sort()) {
    const file = env[name];
    if (!file) continue;
    try {
      if (!statSync(file).isFile()) throw Object.assign(new Error("not a file"), { code: "EISDIR" });
      accessSync(file, constants.R_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "not readable" : code === "EISDIR" ? "not a file" : `cannot be read (${code ?? "error"})`;
      problems.push({ source: "environment", path: name, message: `${why}: ${file}` });
    }
  }
  return problems;
}

/** Whether an executable `name` is on `PATH`. */
export function onPath(name: string, env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? "").split(delimiter).filter(Boolean).some((dir) => {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** The local workspace runs the Pulumi CLI; without it every operation would fail deep in the Automation API. */
export function workspaceToolProblems(env: NodeJS.ProcessEnv): InputProblem[] {
  const kind = env.LETSBE_WORKSPACE ?? "local";
  if (kind !== "local" || onPath("pulumi", env)) return [];
  return [{
    source: "environment", path: "LETSBE_WORKSPACE",
    message: `local (the default) needs the Pulumi CLI (${PULUMI_CLI_VERSION}) on the PATH: install it, or set LETSBE_WORKSPACE=remote`,
  }];
}

/**
 * Throws one InvalidInputError with every problem of the environment an operation needs
 * (`workspaceFromEnv` false: the caller hands its own workspace, so LETSBE_WORKSPACE's tools do not matter).
 */
export function checkOperationEnv(env: NodeJS.ProcessEnv, workspaceFromEnv = true): void {
  const problems = [...secretFileProblems(env), ...(workspaceFromEnv ? workspaceToolProblems(env) : [])];
  if (problems.length > 0) throw new InvalidInputError(problems);
}
