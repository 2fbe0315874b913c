/**
 * A changed provisioning key reaches a Netcup server over SSH instead of by reinstalling it (a
 * reinstall wipes the tenant): log in as root with the key the server trusts (the previous
 * one; the new one when an earlier attempt already rotated the file), swap the old key's line
 * in `authorized_keys` for the new key and keep every other line, then prove the new key logs
 * in. Keys travel on standard input, never in a command line or a message.
 * A WireGuard spoke has SSH on its tunnel address only: then the sessions run over direct-tcpip
 * channels of one session on the hub (the jump host, pinned to its host key).
 * Serialized into the provider with its closure: functions only (sessions from ../host/sshSession).
 */
import type * as ssh2 from "ssh2";
import { Session, login, messageOf, parseHostKey, sessionOf } from "../host/sshSession";

/** An SSH jump host, pinned: `hostKey` is `type base64` as contracts/hub.ts sshHostKeySchema describes it. */
export interface SshJump {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly hostKey: string;
}

export interface SshTarget {
  /** The address sshd listens on: the public one, or (with `jump`) the tunnel address, as the jump host dials it. */
  readonly host: string;
  /** Default - 22. */
  readonly port?: number;
  /** Named in errors. */
  readonly serverName: string;
  /** Timeout of one connection attempt, ms. Default - 20000. */
  readonly readyTimeoutMs?: number;
  /** Reach `host` through this jump host (a WireGuard spoke's hub). Default - directly. */
  readonly jump?: SshJump;
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

/** The route to the server: `dial(key)` opens a root session on it. */
interface Route {
  dial(privateKey: string): Promise<Session>;
  close(): void;
}

/**
 * Logs in to the jump host with the first of `loginKeys` it takes (the hub trusts the same
 * provisioning key); a host key other than the pinned one stops at once, before any login.
 */
async function openRoute(target: SshTarget, loginKeys: readonly string[]): Promise<Route> {
  const port = target.port ?? 22;
  const readyTimeoutMs = target.readyTimeoutMs ?? 20_000;
  const jump = target.jump;
  if (!jump) {
    // The public address is not pinned yet (neither do the bootstrap stages pin first contact).
    return { dial: async (privateKey) => sessionOf(await login({ host: target.host, port, username: "root", privateKey, readyTimeoutMs })), close: () => undefined };
  }
  const jumpName = `jump host ${jump.user}@${jump.host}:${jump.port}`;
  const pinned = parseHostKey(jump.hostKey);
  let client: ssh2.Client | undefined;
  const refusals: string[] = [];
  for (const privateKey of loginKeys) {
    try {
      client = await login({ host: jump.host, port: jump.port, username: jump.user, privateKey, readyTimeoutMs, hostKey: pinned });
      break;
    } catch (error) {
      if ((error as { hostKeyMismatch?: boolean }).hostKeyMismatch) {
        throw new Error(`${jumpName} presented a host key other than the pinned ${pinned.type} key (jump.hostKey); refused to connect through it to server ${target.serverName}`);
      }
      refusals.push(messageOf(error));
    }
  }
  if (!client) throw new Error(`SSH login to ${jumpName} (on the way to server ${target.serverName}) refused with the previous and the new provisioning key (${refusals.join("; ")})`);
  const via = client;
  // The server behind the tunnel is not pinned: its NetcupServer exists before its host key is
  // recorded (a pin would be a cycle). Acceptable: the hub's peer for the tunnel address has
  // AllowedIPs <address>/32 (WireGuard cryptokey routing), so only the spoke's key answers there.
  const channel = () => new Promise<ssh2.ClientChannel>((resolve, reject) => {
    via.forwardOut("127.0.0.1", 0, target.host, port, (error, stream) => (error ? reject(new Error(`${jumpName} could not open a channel to ${target.host}:${port}: ${error.message}`)) : resolve(stream)));
  });
  return {
    dial: async (privateKey) => sessionOf(await login({ host: target.host, port, username: "root", privateKey, readyTimeoutMs, sock: await channel() })),
    close: () => via.end(),
  };
}

/**
 * Replaces `oldPublicKey` by `newPublicKey` in root's authorized_keys on the server. `loginKeys`
 * are tried in order (previous private key first, then the new one); `newPrivateKey` proves the
 * result. Throws with the server's name and the step, never with a key.
 */
export async function rotateAuthorizedKey(target: SshTarget, oldPublicKey: string, newPublicKey: string, loginKeys: readonly string[], newPrivateKey: string): Promise<void> {
  const where = `server ${target.serverName} (${target.host}:${target.port ?? 22}${target.jump ? ` through jump host ${target.jump.host}:${target.jump.port}` : ""})`;
  // Proving the new key needs the jump host too, so the route is opened with the new key as a fallback.
  const route = await openRoute(target, [...loginKeys, newPrivateKey].filter((k, i, all) => all.indexOf(k) === i));
  try {
    let session: Session | undefined;
    const refusals: string[] = [];
    for (const key of loginKeys) {
      try {
        session = await route.dial(key);
        break;
      } catch (error) {
        refusals.push(messageOf(error));
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
      proof = await route.dial(newPrivateKey);
    } catch (error) {
      throw new Error(`the new provisioning key does not log in to ${where} after the rotation (${messageOf(error)}); does sshPrivateKey belong to sshPublicKey?`);
    }
    proof.close();
  } finally {
    route.close();
  }
}
