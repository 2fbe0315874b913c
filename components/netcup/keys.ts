/**
 * A changed provisioning key reaches a Netcup server over SSH instead of by reinstalling it (a
 * reinstall wipes the tenant): log in as root with the key the server trusts (the previous
 * one; the new one when an earlier attempt already rotated the file), swap the old key's line
 * in `authorized_keys` for the new key and keep every other line, then prove the new key logs
 * in. Keys travel on standard input, never in a command line or a message.
 * Serialized into the provider with its closure: functions only, `ssh2` required where used.
 */
import type * as ssh2 from "ssh2";

export interface SshTarget {
  readonly host: string;
  /** Default - 22. */
  readonly port?: number;
  /** Named in errors. */
  readonly serverName: string;
  /** Timeout of one connection attempt, ms. Default - 20000. */
  readonly readyTimeoutMs?: number;
}

/** The `type base64` part of an OpenSSH public key, which identifies it. */
export function keyIdentity(key: string): string {
  return key.trim().split(/\s+/).slice(0, 2).join(" ");
}

/** Reads old identity, new identity and the new key line from stdin; atomic replace, mode 0600. */
const ROTATE_SCRIPT = [
  "set -eu", "umask 077",
  "IFS= read -r old", "IFS= read -r newid", "IFS= read -r new",
  "dir=\"$HOME/.ssh\"", "file=\"$dir/authorized_keys\"",
  "mkdir -p \"$dir\"", "touch \"$file\"",
  "tmp=$(mktemp \"$dir/.authorized_keys.XXXXXX\")",
  "{ grep -vF -e \"$old\" -e \"$newid\" \"$file\" || true; printf '%s\\n' \"$new\"; } > \"$tmp\"",
  "mv -f \"$tmp\" \"$file\"",
].join("\n");

interface Session {
  run(command: string, stdin: string): Promise<{ code: number; stderr: string }>;
  close(): void;
}

/** Connects as root with one private key; rejects with the library's message (it never holds the key). */
function connect(target: SshTarget, privateKey: string): Promise<Session> {
  const { Client } = require("ssh2") as typeof ssh2;
  return new Promise((resolve, reject) => {
    const client = new Client();
    client.once("ready", () => resolve({
      run: (command, stdin) => new Promise((done, fail) => {
        client.exec(command, (error, channel) => {
          if (error) return fail(error);
          let stderr = "";
          channel.stderr.on("data", (chunk: Buffer) => { stderr += chunk.toString("utf8"); });
          channel.on("close", (code: number | null) => done({ code: code ?? -1, stderr: stderr.slice(0, 500) }));
          channel.on("data", () => { /* drain */ });
          channel.end(stdin);
        });
      }),
      close: () => client.end(),
    }));
    client.once("error", (error: Error) => reject(new Error(error.message)));
    // Host keys are not pinned here yet (the bootstrap stages do not pin them either).
    client.connect({ host: target.host, port: target.port ?? 22, username: "root", privateKey, readyTimeout: target.readyTimeoutMs ?? 20_000, hostVerifier: () => true });
  });
}

/**
 * Replaces `oldPublicKey` by `newPublicKey` in root's authorized_keys on the server. `loginKeys`
 * are tried in order (previous private key first, then the new one); `newPrivateKey` proves the
 * result. Throws with the server's name and the step, never with a key.
 */
export async function rotateAuthorizedKey(target: SshTarget, oldPublicKey: string, newPublicKey: string, loginKeys: readonly string[], newPrivateKey: string): Promise<void> {
  const where = `server ${target.serverName} (${target.host}:${target.port ?? 22})`;
  let session: Session | undefined;
  const refusals: string[] = [];
  for (const key of loginKeys) {
    try {
      session = await connect(target, key);
      break;
    } catch (error) {
      refusals.push(error instanceof Error ? error.message : String(error));
    }
  }
  if (!session) throw new Error(`SSH login to ${where} refused with the previous and the new provisioning key (${refusals.join("; ")})`);
  try {
    const stdin = `${keyIdentity(oldPublicKey)}\n${keyIdentity(newPublicKey)}\n${newPublicKey.trim()}\n`;
    const result = await session.run(ROTATE_SCRIPT, stdin);
    if (result.code !== 0) throw new Error(`rewriting root's authorized_keys on ${where} exited ${result.code}: ${result.stderr.trim()}`);
  } finally {
    session.close();
  }
  let proof: Session;
  try {
    proof = await connect(target, newPrivateKey);
  } catch (error) {
    throw new Error(`the new provisioning key does not log in to ${where} after the rotation (${error instanceof Error ? error.message : String(error)}); does sshPrivateKey belong to sshPublicKey?`);
  }
  proof.close();
}
