/** SSH for the command stand-in: connect as remote.Connection describes (dial retries included), run, copy over SFTP. */
import { Client, ConnectConfig, SFTPWrapper } from "ssh2";

export interface Connection {
  readonly host: string;
  readonly port?: number;
  readonly user?: string;
  readonly privateKey?: string;
  readonly password?: string;
  readonly privateKeyPassword?: string;
  /** Failed dials before giving up; the real provider's default is 10, -1 means no limit. */
  readonly dialErrorLimit?: number;
  /** Seconds per dial; the real provider's default is 15. */
  readonly perDialTimeout?: number;
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function dialOnce(conn: Connection): Promise<Client> {
  const config: ConnectConfig = {
    host: conn.host, port: conn.port ?? 22, username: conn.user ?? "root",
    privateKey: conn.privateKey, passphrase: conn.privateKeyPassword, password: conn.password,
    readyTimeout: (conn.perDialTimeout ?? 15) * 1000,
  };
  return new Promise((resolve, reject) => {
    const client = new Client();
    client.once("ready", () => resolve(client));
    client.once("error", (error) => {
      client.end();
      reject(error);
    });
    client.connect(config);
  });
}

export async function dial(conn: Connection): Promise<Client> {
  const limit = conn.dialErrorLimit ?? 10;
  for (let failures = 0; ; failures++) {
    try {
      return await dialOnce(conn);
    } catch (error) {
      if (limit >= 0 && failures + 1 >= limit) {
        throw new Error(`Dial ${conn.user ?? "root"}@${conn.host}:${conn.port ?? 22} failed ${failures + 1} times: ${(error as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, Math.min(1000 * 2 ** failures, 5000)));
    }
  }
}

/** Runs `command` in a session; `env` goes as SSH environment requests (the server's AcceptEnv decides). */
export function run(client: Client, command: string, stdin: string | undefined, env: Record<string, string>): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    client.exec(command, { env }, (error, stream) => {
      if (error) return reject(error);
      let stdout = "";
      let stderr = "";
      stream.on("data", (d: Buffer) => { stdout += d.toString("utf8"); });
      stream.stderr.on("data", (d: Buffer) => { stderr += d.toString("utf8"); });
      stream.on("close", (code: number | null) => resolve({ code: code ?? -1, stdout, stderr }));
      if (stdin !== undefined) stream.end(stdin);
      else stream.end();
    });
  });
}

function sftp(client: Client): Promise<SFTPWrapper> {
  return new Promise((resolve, reject) => client.sftp((error, s) => (error ? reject(error) : resolve(s))));
}

export async function writeRemote(client: Client, remotePath: string, content: Buffer, mode = 0o644): Promise<void> {
  const s = await sftp(client);
  try {
    await new Promise<void>((resolve, reject) => s.writeFile(remotePath, content, { mode }, (e) => (e ? reject(e) : resolve())));
  } finally {
    s.end();
  }
}

export async function mkdirRemote(client: Client, remotePath: string): Promise<void> {
  const result = await run(client, `mkdir -p '${remotePath.replace(/'/g, "'\\''")}'`, undefined, {});
  if (result.code !== 0) throw new Error(`mkdir ${remotePath} on the remote host failed: ${result.stderr.trim()}`);
}
