/** The compose stage as plain data: files copied to the host, the apply command, its trigger. */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { RenderedCompose } from "./render";
import { sha256 } from "../host/stages";

export const STACK_DIR = "/opt/letsbe/stack";

export interface ComposeFile {
  readonly name: string;
  readonly remotePath: string;
  readonly content: string;
}

export interface ComposeStagePlan {
  readonly files: readonly ComposeFile[];
  readonly command: string;
  /** sha256 over every copied file and the wait timeout. */
  readonly trigger: string;
}

export function applyScript(): string {
  const candidates = [join(__dirname, "apply.sh"), join(__dirname, "..", "..", "..", "components", "compose", "apply.sh")];
  const found = candidates.find((file) => existsSync(file));
  if (!found) throw new Error(`apply.sh not found (looked in ${candidates.join(", ")})`);
  return readFileSync(found, "utf8");
}

/** `waitTimeoutS`: how long `up --wait` may take, seconds. Default - 600. */
export function planComposeStage(rendered: RenderedCompose, waitTimeoutS = 600): ComposeStagePlan {
  const incoming = `${STACK_DIR}/incoming`;
  const files: ComposeFile[] = [
    { name: "compose", remotePath: `${incoming}/compose.yaml`, content: rendered.composeYaml },
    { name: "manifest", remotePath: `${incoming}/manifest.json`, content: rendered.manifestJson },
    { name: "sites", remotePath: `${incoming}/sites.conf`, content: rendered.nginxConf },
    { name: "apply", remotePath: `${STACK_DIR}/apply.sh`, content: applyScript() },
  ];
  return {
    files,
    command: `LB_STACK_DIR=${STACK_DIR} LB_WAIT_TIMEOUT=${Math.round(waitTimeoutS)} bash ${STACK_DIR}/apply.sh`,
    trigger: sha256(...files.map((f) => `${f.remotePath}\n${f.content}`), String(waitTimeoutS)),
  };
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
