/**
 * Shell pieces of components/host/scripts that other components' scripts source (restore-args.sh):
 * the `source ".../host/scripts/NAME.sh"` line, with the shellcheck directive above it, becomes the
 * piece itself, so the script runs alone where it is copied, as bundleScript does for stages.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { scriptsDir } from "./stages";

const SOURCED_PIECE = /^(?:# shellcheck [^\n]*\n)?source "\$\(dirname "\$\{BASH_SOURCE\[0\]\}"\)\/(?:\.\.\/)+host\/scripts\/([\w-]+\.sh)"\n/gm;

export function inlineHostScripts(script: string, dir: string = scriptsDir()): string {
  return script.replace(SOURCED_PIECE, (_line: string, name: string) =>
    `# --- ${name} (inlined from components/host/scripts) ---\n${readFileSync(join(dir, name), "utf8").replace(/^#!.*\n/, "")}# --- end of ${name} ---\n`);
}
