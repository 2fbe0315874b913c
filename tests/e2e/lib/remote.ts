/**
 * What @pulumi/command's remote provider does for one resource, over ssh2: dial with the
 * connection's retry settings, then copy a source to `remotePath` (CopyToRemote) or run
 * `create` with its environment and standard input, failing on a non-zero exit (Command).
 */
import { readFileSync } from "node:fs";
import { SshSession } from "../../host/lib/ssh";

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/** `command.types.input.remote.ConnectionArgs`, as the engine hands it to the provider (plain). */
export interface Connection {
  readonly host: string;
  readonly port?: number;
  readonly user?: string;
  readonly privateKey?: string;
  readonly password?: string;
  /** Dial attempts before giving up. Provider default - 10. */
  readonly dialErrorLimit?: number;
  /** Seconds per dial attempt. Provider default - 15. */
  readonly perDialTimeout?: number;
}

/** An asset or archive after the executor resolved it. */
export interface ResolvedSource {
  readonly text?: string;
  readonly path?: string;
  readonly kind: "asset" | "archive";
}

export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
}

async function dial(connection: Connection, endpoint: Endpoint): Promise<SshSession> {
  const limit = connection.dialErrorLimit ?? 10;
  const timeoutS = connection.perDialTimeout ?? 15;
  let last: unknown;
  for (let attempt = 1; attempt <= Math.max(1, limit); attempt++) {
    try {
      return await SshSession.connect({
        host: endpoint.host,
        port: endpoint.port,
        username: connection.user ?? "root",
        ...(connection.privateKey ? { privateKey: connection.privateKey } : {}),
        ...(connection.password ? { password: connection.password } : {}),
        readyTimeout: timeoutS * 1000,
      });
    } catch (error) {
      last = error;
      // An authentication failure does not get better by retrying.
      if (String(error).includes("authentication methods failed")) break;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
  throw new Error(`unable to connect to ${connection.host}:${connection.port ?? 22} (via ${endpoint.host}:${endpoint.port}): ${String(last)}`);
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Runs a Command's `create` (or `delete`); rejects on a non-zero exit with the output, as the provider does. */
export async function runCommand(
  connection: Connection, endpoint: Endpoint, command: string, environment: Readonly<Record<string, string>> = {}, stdin?: string,
): Promise<CommandResult> {
  const session = await dial(connection, endpoint);
  try {
    const exports = Object.entries(environment).map(([key, value]) => `export ${key}=${shellQuote(value)}; `).join("");
    const result = await session.exec(`${exports}${command}`, stdin);
    if (result.code !== 0) {
      const tail = (text: string) => (text.length > 4000 ? `...${text.slice(-4000)}` : text);
      throw new Error(`Process exited with status ${result.code}: running "${command.slice(0, 200)}":\n${tail(result.stdout)}\n${tail(result.stderr)}`);
    }
    // The provider strips the trailing newline from both streams.
    return { stdout: result.stdout.replace(/\n$/, ""), stderr: result.stderr.replace(/\n$/, "") };
  } finally {
    session.close();
  }
}

/** Copies a file asset or string asset to `remotePath`, parent folders created. */
export async function copyToRemote(connection: Connection, endpoint: Endpoint, source: ResolvedSource, remotePath: string): Promise<void> {
  if (source.kind !== "asset") throw new Error(`CopyToRemote to ${remotePath}: archives are not supported by the test executor`);
  const content = source.text ?? (source.path ? readFileSync(source.path, "utf8") : undefined);
  if (content === undefined) throw new Error(`CopyToRemote to ${remotePath}: only StringAsset and FileAsset sources are supported by the test executor`);
  const session = await dial(connection, endpoint);
  try {
    await session.upload(remotePath, content);
  } finally {
    session.close();
  }
}
