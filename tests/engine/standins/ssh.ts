/**
 * SSH for the command stand-in: connect as remote.Connection describes, run, copy over SFTP.
 *
 * Follows pulumi/pulumi-command provider/pkg/provider/remote/connection.go, the stored version
 * with `hostKey` (commit 3701639a69d08e01d30ed34eb0f3c86f99e51a3e; the proxy path is the same as
 * at e1fd5afe468d4a61b924bdb784227d423461649c, and `hostKey` is in @pulumi/command 1.2.1's schema):
 * - `hostKey` is parsed with ssh.ParseAuthorizedKey (authorized_keys form: `type base64 [comment]`,
 *   options allowed); a bad one fails at once with "failed to parse host key: ...". The client then
 *   checks with ssh.FixedHostKey and narrows HostKeyAlgorithms to the key's type, so a host holding
 *   that type shows exactly that key. A mismatch fails the handshake ("ssh: handshake failed: ssh:
 *   host key mismatch", x/crypto's texts) and, like any dial error, is retried up to dialErrorLimit.
 * - Retries: dialErrorLimit + 1 dials (default 10, -1 no limit), 100 ms apart growing 1.5x up to
 *   5 s (pulumi sdk retry.Until's defaults); then "after N failed attempts: <last error>".
 * - `proxy`: the jump host is dialled with its own user, key, hostKey, limit and timeout ("Dial
 *   proxy"); from it a direct-tcpip channel to host:port is opened (retried with the target's limit),
 *   and the target's SSH handshake runs over that one channel (retried likewise, on the same
 *   channel). Every failure on this path is prefixed "proxy: ".
 */
import { Client, ConnectConfig, SFTPWrapper } from "ssh2";
import type { Duplex } from "node:stream";

export interface ProxyConnection {
  readonly host: string;
  readonly port?: number;
  readonly user?: string;
  readonly privateKey?: string;
  readonly password?: string;
  readonly privateKeyPassword?: string;
  /** Failed dials allowed before giving up; the real provider's default is 10, -1 means no limit. */
  readonly dialErrorLimit?: number;
  /** Seconds per dial; the real provider's default is 15, 0 no maximum. */
  readonly perDialTimeout?: number;
  /** The host's public key in authorized_keys form; none - the host key is not checked. */
  readonly hostKey?: string;
}

export interface Connection extends ProxyConnection {
  readonly proxy?: ProxyConnection | null;
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const HOST_KEY_TYPES = new Set([
  "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa", "ssh-dss",
  "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
]);

export interface PinnedKey {
  readonly type: string;
  readonly blob: Buffer;
}

/** The key type named inside an SSH wire-format public key blob (a uint32 length, then the name). */
function blobType(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const length = blob.readUInt32BE(0);
  if (length === 0 || 4 + length > blob.length) return undefined;
  return blob.subarray(4, 4 + length).toString("latin1");
}

function keyFrom(fields: readonly string[]): PinnedKey | undefined {
  if (fields.length < 2 || !HOST_KEY_TYPES.has(fields[0]) || !/^[A-Za-z0-9+/]+={0,2}$/.test(fields[1])) return undefined;
  const blob = Buffer.from(fields[1], "base64");
  const type = blobType(blob);
  return type && HOST_KEY_TYPES.has(type) ? { type, blob } : undefined;
}

/** The first key of an authorized_keys text, as ssh.ParseAuthorizedKey finds it. */
export function parseHostKey(text: string): PinnedKey {
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const fields = line.split(/[ \t]+/);
    // A leading options field (`no-pty,from="..."`) is skipped, as authorized_keys allows.
    const key = keyFrom(fields) ?? keyFrom(fields.slice(1));
    if (key) return key;
  }
  throw new Error("failed to parse host key: ssh: no key found");
}

interface DialTarget {
  readonly config: ConnectConfig;
  readonly pinned?: PinnedKey;
  readonly label: string;
}

function target(conn: ProxyConnection): DialTarget {
  const pinned = conn.hostKey !== undefined && conn.hostKey !== null ? parseHostKey(conn.hostKey) : undefined;
  const timeout = conn.perDialTimeout ?? 15;
  const config: ConnectConfig = {
    host: conn.host, port: conn.port ?? 22, username: conn.user ?? "root",
    privateKey: conn.privateKey, passphrase: conn.privateKeyPassword, password: conn.password,
    readyTimeout: timeout === 0 ? 2 ** 31 - 1 : timeout * 1000,
  };
  if (pinned) {
    config.algorithms = { serverHostKey: [pinned.type as never] };
  }
  return { config, pinned, label: `${conn.user ?? "root"}@${conn.host}:${conn.port ?? 22}` };
}

/** One SSH handshake, over `sock` when given (a channel through the proxy). */
function handshake(t: DialTarget, sock?: Duplex): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    let mismatch = false;
    const config: ConnectConfig = { ...t.config, ...(sock ? { sock } : {}) };
    if (t.pinned) {
      const expected = t.pinned.blob;
      config.hostVerifier = (key: Buffer) => {
        mismatch = !key.equals(expected);
        return !mismatch;
      };
    }
    client.once("ready", () => resolve(client));
    client.once("error", (error) => {
      client.end();
      reject(mismatch ? new Error("ssh: handshake failed: ssh: host key mismatch") : error);
    });
    client.connect(config);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** retry.Until as the provider uses it: limit + 1 tries (limit -1: no end), 100 ms x1.5 up to 5 s between. */
async function withRetry<T>(limit: number, attempt: () => Promise<T>): Promise<T> {
  let delay = 100;
  for (let tryIndex = 0; ; tryIndex++) {
    try {
      return await attempt();
    } catch (error) {
      if (limit > -1 && tryIndex + 1 > limit) throw new Error(`after ${tryIndex} failed attempts: ${(error as Error).message}`);
      await sleep(delay);
      delay = Math.min(delay * 1.5, 5000);
    }
  }
}

/** A direct-tcpip channel from the jump host, originator 0.0.0.0:0 as x/crypto's Client.Dial sends. */
function forward(proxy: Client, host: string, port: number): Promise<Duplex> {
  return new Promise((resolve, reject) => proxy.forwardOut("0.0.0.0", 0, host, port, (error, stream) => (error ? reject(error) : resolve(stream))));
}

function prefixed(error: unknown): Error {
  return new Error(`proxy: ${(error as Error).message}`);
}

/** A connected client; with a proxy, `end()` also closes the jump host's connection. */
export async function dial(conn: Connection): Promise<Client> {
  const direct = target(conn);
  const limit = conn.dialErrorLimit ?? 10;
  if (!conn.proxy) return withRetry(limit, () => handshake(direct));

  let jump: DialTarget;
  try {
    jump = target(conn.proxy);
  } catch (error) {
    throw prefixed(error);
  }
  const proxyClient = await withRetry(conn.proxy.dialErrorLimit ?? 10, () => handshake(jump)).catch((e) => { throw prefixed(e); });
  try {
    const channel = await withRetry(limit, () => forward(proxyClient, conn.host, conn.port ?? 22));
    // Go's client closes the channel when a handshake fails; the retries then meet EOF on it.
    let used = false;
    const client = await withRetry(limit, () => {
      if (used) return Promise.reject(new Error("ssh: handshake failed: EOF"));
      used = true;
      return handshake(direct, channel);
    });
    client.once("close", () => proxyClient.end());
    return client;
  } catch (error) {
    proxyClient.end();
    throw prefixed(error);
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
