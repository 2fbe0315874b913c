/**
 * A stand-in for a Netcup server's sshd, on 127.0.0.1: root logs in with a key listed in its
 * `authorized_keys` (signature checked), and a command runs in a real `sh` with HOME set to the
 * host's own folder, so the provider's key rotation script runs for real against a real file.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Server, utils, type ParsedKey } from "ssh2";
import { ed25519Pair } from "../fixtures/ed25519";

export class FakeSshHost {
  readonly home = mkdtempSync(join(tmpdir(), "letsbe-ssh-host-"));
  /** Public keys that logged in, in order. */
  readonly logins: string[] = [];
  /** Its host key, `type base64`, as a host-key record holds it. */
  readonly hostKeyLine: string;
  private readonly server: Server;

  private constructor() {
    const hostKey = ed25519Pair();
    this.hostKeyLine = hostKey.public.trim().split(/\s+/).slice(0, 2).join(" ");
    this.server = new Server({ hostKeys: [hostKey.private] }, (client) => {
      client.on("authentication", (ctx) => {
        if (ctx.method !== "publickey" || ctx.username !== "root") return ctx.reject(["publickey"]);
        const key = this.authorizedKeys().map((line) => utils.parseKey(line)).find((k): k is ParsedKey =>
          !(k instanceof Error) && k.type === ctx.key.algo && k.getPublicSSH().equals(ctx.key.data));
        if (!key) return ctx.reject();
        if (!ctx.signature) return ctx.accept();
        if (key.verify(ctx.blob!, ctx.signature, ctx.hashAlgo) !== true) return ctx.reject();
        this.logins.push(`${key.type} ${key.getPublicSSH().toString("base64")}`);
        return ctx.accept();
      });
      client.on("ready", () => {
        client.on("session", (acceptSession) => {
          acceptSession().on("exec", (accept, _reject, info) => {
            const stream = accept();
            const proc = spawn("sh", ["-c", info.command], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: this.home } });
            stream.pipe(proc.stdin);
            proc.stdout.pipe(stream, { end: false });
            proc.stderr.pipe(stream.stderr, { end: false });
            proc.on("close", (code) => { stream.exit(code ?? 1); stream.end(); });
          });
        });
      });
      client.on("error", () => { /* a client that hangs up */ });
    });
  }

  static async start(): Promise<FakeSshHost> {
    const host = new FakeSshHost();
    await new Promise<void>((resolve) => host.server.listen(0, "127.0.0.1", resolve));
    return host;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get authorizedKeysPath(): string {
    return join(this.home, ".ssh", "authorized_keys");
  }

  /** What an image install does: root's authorized_keys holds exactly the install's keys. */
  install(keys: readonly string[]): void {
    mkdirSync(join(this.home, ".ssh"), { recursive: true, mode: 0o700 });
    writeFileSync(this.authorizedKeysPath, keys.map((k) => `${k}\n`).join(""), { mode: 0o600 });
  }

  authorizedKeys(): string[] {
    try {
      return readFileSync(this.authorizedKeysPath, "utf8").split("\n").filter((l) => l.trim() && !l.startsWith("#"));
    } catch {
      return [];
    }
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.home, { recursive: true, force: true });
  }
}
