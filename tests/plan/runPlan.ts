/** Runs the compiled plan CLI as a process, as `npm run plan` does; never throws on a non-zero exit. */
import { execFile } from "node:child_process";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

export const REPO_ROOT = resolve(__dirname, "../..");
export const PLAN_CLI = join(REPO_ROOT, "dist/automation/plan/cli.js");
const run = promisify(execFile);

export async function plan(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [PLAN_CLI, ...args], { cwd: REPO_ROOT });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
