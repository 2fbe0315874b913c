/**
 * SSH sessions for the dynamic providers (a Netcup key rotation, a host's first contact): log in
 * with a private key, optionally pinned to a host key, and run commands with their input on
 * standard input, so keys and scripts never appear in a command line.
 * Serialized into the providers with their closures: functions only, `ssh2` required where used.
 */
import type * as ssh2 from "ssh2";

/** A pinned host key: the `type` and the raw key blob. */
export interface PinnedHostKey {
  readonly type: string;
  readonly blob: Buffer;
}

/** `type base64`, as the host-key record and contracts/hub.ts sshHostKeySchema hold it. */
export function parseHostKey(line: string): PinnedHostKey {
  const [type = "", base64 = ""] = line.trim().split(/\s+/);
  return { type, blob: Buffer.from(base64, "base64") };
}

export interface Login {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly privateKey: string;
  readonly readyTimeoutMs: number;
  /** A channel to carry the session (a direct-tcpip channel of a jump host); default - a TCP connection. */
  readonly sock?: NodeJS.ReadableStream;
  /** Host key the server must present; default - any. */
  readonly hostKey?: PinnedHostKey;
}

export interface RunResult {
  readonly code: number;
  /** At most the last 64 KiB. */
  readonly stdout: string;
  /** At most the last 2000 characters. */
  readonly stderr: string;
}

export interface Session {
  run(command: string, stdin: string): Promise<RunResult>;
  close(): void;
}

/**
 * Opens an authenticated client; rejects with the library's message (it never holds the key). A
 * host key other than the pinned one rejects with `hostKeyMismatch: true`, before any login.
 */
export function login(options: Login): Promise<ssh2.Client> {
  const { Client } = require("ssh2") as typeof ssh2;
  return new Promise((resolve, reject) => {
    const client = new Client();
    let mismatch = false;
    client.once("ready", () => {
      // A later failure (the connection dropping) surfaces in the exec or channel that meets it.
      client.on("error", () => undefined);
      resolve(client);
    });
    client.once("error", (error: Error) => reject(Object.assign(new Error(mismatch ? "host key mismatch" : error.message), { hostKeyMismatch: mismatch })));
    const pinned = options.hostKey;
    client.connect({
      host: options.host, port: options.port, username: options.username, privateKey: options.privateKey,
      readyTimeout: options.readyTimeoutMs,
      // A server holds several host keys and offers the one the client prefers: ask for the pinned type.
      ...(pinned ? { algorithms: { serverHostKey: [pinned.type as ssh2.ServerHostKeyAlgorithm] } } : {}),
      ...(options.sock ? { sock: options.sock as unknown as ssh2.ConnectConfig["sock"] } : {}),
      // Without `hostHash`, ssh2 hands over the raw key blob; a refusal ends the handshake before any authentication.
      hostVerifier: (key: Buffer) => {
        if (!pinned) return true;
        mismatch = !key.equals(pinned.blob);
        return !mismatch;
      },
    });
  });
}

export function sessionOf(client: ssh2.Client): Session {
  return {
    run: (command, stdin) => new Promise((done, fail) => {
      client.exec(command, (error, channel) => {
        if (error) return fail(error);
        let stdout = "";
        let stderr = "";
        channel.stderr.on("data", (chunk: Buffer) => { stderr = (stderr + chunk.toString("utf8")).slice(-2000); });
        channel.on("data", (chunk: Buffer) => { stdout = (stdout + chunk.toString("utf8")).slice(-65_536); });
        channel.on("close", (code: number | null) => done({ code: code ?? -1, stdout, stderr }));
        channel.end(stdin);
      });
    }),
    close: () => client.end(),
  };
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
