/** The compose stage as plain data: files copied to the host (the project and its scripts), the apply command, its trigger. */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { RenderedCompose } from "./render";
import { inlineHostScripts } from "../host/inline";
import { Stage, stage } from "../host/stages";

export const STACK_DIR = "/opt/letsbe/stack";

export interface ComposeFile {
  readonly name: string;
  readonly remotePath: string;
  readonly content: string;
}

/** The stage mechanism's shape (components/host/stages.ts): files, command, trigger; no secrets. */
export interface ComposeStagePlan extends Stage {
  readonly files: readonly ComposeFile[];
}

/**
 * A script shipped beside this module (apply.sh, data.sh, backup.sh, restore.sh), from the sources
 * or next to the build, with the components/host pieces it sources inlined.
 */
export function composeScript(name: string): string {
  const candidates = [join(__dirname, name), join(__dirname, "..", "..", "..", "components", "compose", name)];
  const found = candidates.find((file) => existsSync(file));
  if (!found) throw new Error(`${name} not found (looked in ${candidates.join(", ")})`);
  return inlineHostScripts(readFileSync(found, "utf8"));
}

export function applyScript(): string {
  return composeScript("apply.sh");
}

/**
 * The scripts beside the project on the host: the apply, the data helpers it shares with the
 * daily backup (run by the layout stage's timer) and the restore.
 */
export const STACK_SCRIPTS = ["apply.sh", "data.sh", "backup.sh", "restore.sh"] as const;

/** `waitTimeoutS`: how long `up --wait` may take, seconds. Default - 600. */
export function planComposeStage(rendered: RenderedCompose, waitTimeoutS = 600): ComposeStagePlan {
  const incoming = `${STACK_DIR}/incoming`;
  const files: ComposeFile[] = [
    { name: "compose", remotePath: `${incoming}/compose.yaml`, content: rendered.composeYaml },
    { name: "manifest", remotePath: `${incoming}/manifest.json`, content: rendered.manifestJson },
    { name: "sites", remotePath: `${incoming}/sites.conf`, content: rendered.nginxConf },
    ...STACK_SCRIPTS.map((script) => ({ name: script.replace(/\.sh$/, ""), remotePath: `${STACK_DIR}/${script}`, content: composeScript(script) })),
  ];
  return stage("compose", files, `LB_STACK_DIR=${STACK_DIR} LB_WAIT_TIMEOUT=${Math.round(waitTimeoutS)} bash ${STACK_DIR}/apply.sh`);
}

/** The `LETSBE_RESULT` line apply.sh prints last, or undefined. */
export function parseApplyResult(stdout: string | undefined): { release: unknown; previousRelease: unknown } | undefined {
  const line = (stdout ?? "").split("\n").reverse().find((l) => l.startsWith("LETSBE_RESULT "));
  if (!line) return undefined;
  try {
    return JSON.parse(line.slice("LETSBE_RESULT ".length)) as { release: unknown; previousRelease: unknown };
  } catch {
    return undefined;
  }
}
