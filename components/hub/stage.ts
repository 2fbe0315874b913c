/**
 * The hub's own stages (apps, nginx site, backup) on the one stage mechanism of components/host:
 * each a `stage_main` script bundled with lib.sh and runner.sh, copied with the files it puts in
 * place, run with its secrets on stdin and the server's identity in its trigger. Another hub
 * stage is a script in scripts/stages/ and one `hubStage` call.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { inlineHostScripts } from "../host/inline";
import { BOOTSTRAP_DIR, Stage, bundleScript, stage, stageCommand } from "../host/stages";

/** Where a hub stage's files land before its script puts them in place. */
export const HUB_STAGE_FILES_DIR = `${BOOTSTRAP_DIR}/hub`;

function hubScriptPath(name: string): string {
  const candidates = [join(__dirname, "scripts", name), join(__dirname, "..", "..", "..", "components", "hub", "scripts", name)];
  const found = candidates.find((file) => existsSync(file));
  if (!found) throw new Error(`hub script ${name} not found (looked in ${candidates.join(", ")})`);
  return found;
}

/** Reads a script shipped with this component, from the source tree or next to the build, with the components/host pieces it sources inlined. */
export function hubScript(name: string): string {
  return inlineHostScripts(readFileSync(hubScriptPath(name), "utf8"));
}

export interface HubStageArgs {
  /** Files the script reads from `$LB_STAGE_FILES/<name>`; never a secret (those go in `secrets`). */
  readonly files?: Readonly<Record<string, string>>;
  /** Non-secret parameters, as environment assignments on the command. */
  readonly params?: Readonly<Record<string, string>>;
  /** Names of the secrets the script reads with `lb_secret`. */
  readonly secrets?: readonly string[];
}

/** The stage `hub-<name>`: scripts/stages/<name>.sh bundled, plus its files. */
export function hubStage(name: string, args: HubStageArgs = {}): Stage {
  const label = `hub-${name}`;
  const remotePath = `${BOOTSTRAP_DIR}/${label}.sh`;
  const filesDir = `${HUB_STAGE_FILES_DIR}/${name}`;
  const files = Object.entries(args.files ?? {}).map(([file, content]) => ({ name: file, remotePath: `${filesDir}/${file}`, content }));
  const secrets = args.secrets ?? [];
  const params = { ...(files.length > 0 ? { LB_STAGE_FILES: filesDir } : {}), ...args.params };
  return stage(label, [{ name: "script", remotePath, content: bundleScript(label, hubScriptPath(`stages/${name}.sh`)) }, ...files],
    stageCommand(label, remotePath, params, secrets.length > 0), secrets);
}
