/**
 * A build of the checkout with one bootstrap script changed, as a release that edits only that
 * script ships it: REPO/dist copied, the scripts copied beside the compiled host component (where
 * components/host/stages.ts scriptsDir() looks first) with the change, and every other top-level
 * entry of the checkout linked, so the program's relative lookups (node_modules, tenants) still work.
 */
import { appendFileSync, cpSync, mkdtempSync, readdirSync, rmSync, symlinkSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO } from "./engine";

export interface ChangedBuild {
  /** The copy's compiled program of a project (what a checkout's `program` link points at). */
  readonly program: (project: "hub" | "tenant") => string;
  /** Removes the copy. */
  readonly remove: () => void;
}

/** `script`: a path under components/host/scripts (e.g. `stages/wireguard.sh`); `text` is appended to it. */
export function buildWithScriptChange(script: string, text: string): ChangedBuild {
  const root = mkdtempSync(join(tmpdir(), "letsbe-changed-build-"));
  try {
    cpSync(join(REPO, "dist"), join(root, "dist"), { recursive: true });
    const scripts = join(root, "dist", "components", "host", "scripts");
    cpSync(join(REPO, "components", "host", "scripts"), scripts, { recursive: true });
    appendFileSync(join(scripts, script), text);
    for (const entry of readdirSync(REPO)) if (entry !== "dist") symlinkSync(join(REPO, entry), join(root, entry));
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  return {
    program: (project) => join(root, "dist", "stacks", project),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** Points a checkout (projectWorkDir) at another build of its program. */
export function pointProgram(workDir: string, program: string): void {
  unlinkSync(join(workDir, "program"));
  symlinkSync(program, join(workDir, "program"), "dir");
}
