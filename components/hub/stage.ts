/**
 * Hub-only host stages (nginx site, backup): one self-contained shell script per stage, sent
 * over SSH on stdin. A changed script or file changes stdin, so the stage runs again; an
 * unchanged one never does. Secrets in a file make the whole stage input secret.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";

export interface StageFile {
  /** Absolute path on the host. */
  readonly path: string;
  /** Octal mode, e.g. `0644`. */
  readonly mode: string;
  readonly content: pulumi.Input<string>;
}

export interface StageScript {
  /** One line saying what the stage does (a comment in the rendered script). */
  readonly title: string;
  /** Shell variables the script body reads; values are single-quoted. */
  readonly vars: Readonly<Record<string, string>>;
  /** Files written (atomically) before the body runs. */
  readonly files: readonly StageFile[];
  /** The stage's script body (a file of `components/hub/scripts`). */
  readonly body: string;
}

/** Reads a script shipped with this component, from the source tree or next to the build. */
export function hubScript(name: string): string {
  const candidates = [join(__dirname, "scripts", name), join(__dirname, "..", "..", "..", "components", "hub", "scripts", name)];
  const found = candidates.find((file) => existsSync(file));
  if (!found) throw new Error(`hub script ${name} not found (looked in ${candidates.join(", ")})`);
  return readFileSync(found, "utf8");
}

export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function fileBlock(file: StageFile, content: string, index: number): string {
  const marker = `LETSBE_FILE_${index}`;
  const encoded = Buffer.from(content, "utf8").toString("base64").replace(/(.{76})/g, "$1\n").replace(/\n$/, "");
  const path = shellQuote(file.path);
  return [
    `install -d -m 0755 "$(dirname ${path})"`,
    // Born owner-only, given its mode before the rename: a secret is never world-readable, not
    // even while it is written.
    `(umask 077 && base64 -d > ${shellQuote(`${file.path}.letsbe-new`)}) <<'${marker}'`,
    encoded,
    marker,
    `chmod ${file.mode} ${shellQuote(`${file.path}.letsbe-new`)}`,
    `mv -f ${shellQuote(`${file.path}.letsbe-new`)} ${path}`,
  ].join("\n");
}

/** The stage as one script: variables, files, then the body. Secret if any file is. */
export function renderStage(stage: StageScript): pulumi.Output<string> {
  return pulumi.all(stage.files.map((f) => f.content)).apply((contents) => [
    "#!/bin/bash",
    `# ${stage.title}`,
    "set -euo pipefail",
    "umask 022",
    ...Object.entries(stage.vars).map(([key, value]) => `${key}=${shellQuote(value)}`),
    ...stage.files.map((file, i) => fileBlock(file, contents[i], i)),
    stage.body,
  ].join("\n"));
}

/**
 * Runs a rendered stage: stdin goes to a temporary file first, since a `bash -s` script would
 * lose its own remaining lines to any command that reads stdin.
 */
export const RUN_STDIN_SCRIPT = 'f=$(mktemp) && cat > "$f" && bash "$f"; rc=$?; rm -f "$f"; exit $rc';

export function runStage(
  name: string,
  connection: pulumi.Input<command.types.input.remote.ConnectionArgs>,
  script: pulumi.Input<string>,
  opts: pulumi.CustomResourceOptions,
): command.remote.Command {
  return new command.remote.Command(name, { connection, create: RUN_STDIN_SCRIPT, stdin: script }, opts);
}
