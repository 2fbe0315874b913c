/**
 * `command` stand-in: remote.Command and remote.CopyToRemote over real SSH, following pulumi-command
 * v1.2.1 as documented: `triggers` replace; any other change updates, running `update` (or `create`
 * when there is none); `delete` runs on removal; PULUMI_COMMAND_STDOUT/STDERR carry the previous
 * output when `addPreviousOutputInEnv` (default true); `environment` is sent as SSH environment
 * requests, so the host's sshd must accept the names; `connection.hostKey` and `connection.proxy`
 * (a jump host with its own hostKey) as the provider's connection.go does them (ssh.ts).
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, posix } from "node:path";
import { SIG_KEY, unwrapAll } from "./config";
import { Props, TypeHandler } from "./generic";
import { Connection, dial, mkdirRemote, run, writeRemote } from "./ssh";

const ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17";
const ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7";

function connectionOf(inputs: Props): Connection {
  const conn = unwrapAll(inputs.connection) as Partial<Connection> | undefined;
  if (!conn?.host) throw new Error("connection.host is required");
  if (conn.proxy && !conn.proxy.host) throw new Error("connection.proxy.host is required");
  return conn as Connection;
}

async function runPhase(phase: "create" | "update" | "delete", inputs: Props, previous: Props | undefined): Promise<{ stdout: string; stderr: string }> {
  const plain = unwrapAll(inputs) as Props;
  const script = phase === "update" ? (plain.update ?? plain.create) : plain[phase];
  if (typeof script !== "string" || script === "") return { stdout: "", stderr: "" };
  const env: Record<string, string> = { ...((plain.environment as Record<string, string> | undefined) ?? {}) };
  if (previous && plain.addPreviousOutputInEnv !== false) {
    env.PULUMI_COMMAND_STDOUT = String(unwrapAll(previous.stdout) ?? "");
    env.PULUMI_COMMAND_STDERR = String(unwrapAll(previous.stderr) ?? "");
  }
  const client = await dial(connectionOf(inputs));
  try {
    const stdin = typeof plain.stdin === "string" ? plain.stdin : undefined;
    const result = await run(client, script, stdin, env);
    if (result.code !== 0) {
      const output = `${result.stdout}${result.stderr}`.trim();
      throw new Error(`Process exited with status ${result.code}: running ${JSON.stringify(script)}:\n${output}`);
    }
    return { stdout: result.stdout.replace(/\n$/, ""), stderr: result.stderr.replace(/\n$/, "") };
  } finally {
    client.end();
  }
}

/** Files an asset or archive names, as (relative path, content) pairs; one unnamed file for an asset. */
function filesOf(source: Props): Array<{ path: string; content: Buffer }> {
  if (source[SIG_KEY] === ASSET_SIG) {
    if (typeof source.text === "string") return [{ path: "", content: Buffer.from(source.text, "utf8") }];
    if (typeof source.path === "string") return [{ path: "", content: readFileSync(source.path) }];
    throw new Error("CopyToRemote: only FileAsset and StringAsset sources are supported");
  }
  if (source[SIG_KEY] === ARCHIVE_SIG && typeof source.path === "string") {
    const root = source.path;
    if (!statSync(root).isDirectory()) return [{ path: "", content: readFileSync(root) }];
    const walk = (dir: string): Array<{ path: string; content: Buffer }> => readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const full = join(dir, entry.name);
      return entry.isDirectory() ? walk(full) : [{ path: full.slice(root.length + 1), content: readFileSync(full) }];
    });
    return walk(root);
  }
  throw new Error("CopyToRemote: source must be a FileAsset, StringAsset or FileArchive");
}

async function copy(inputs: Props): Promise<void> {
  const remotePath = inputs.remotePath;
  if (typeof remotePath !== "string" || remotePath === "") throw new Error("remotePath is required");
  const files = filesOf(inputs.source as Props);
  const client = await dial(connectionOf(inputs));
  try {
    for (const file of files) {
      const target = file.path ? posix.join(remotePath, file.path) : remotePath;
      await mkdirRemote(client, posix.dirname(target));
      await writeRemote(client, target, file.content);
    }
  } finally {
    client.end();
  }
}

export const commandHandlers: Readonly<Record<string, TypeHandler>> = {
  "command:remote:Command": {
    replaceOn: ["triggers"],
    async create(_urn, inputs) {
      const outs = await runPhase("create", inputs, undefined);
      return { id: `cmd-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`, outs };
    },
    async update(_id, _urn, olds, news) {
      return runPhase("update", news, olds);
    },
    async delete(_id, _urn, props) {
      await runPhase("delete", (props.__inputs as Props | undefined) ?? props, props);
    },
  },
  "command:remote:CopyToRemote": {
    replaceOn: ["triggers"],
    async create(_urn, inputs) {
      await copy(inputs);
      return { id: `copy-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`, outs: {} };
    },
    async update(_id, _urn, _olds, news) {
      await copy(news);
      return {};
    },
    // The real provider leaves copied files in place on delete.
    async delete() {},
  },
};
