/**
 * A small SSH client for the real-host tier: runs commands (with standard input, as
 * `remote.Command` does) and uploads files creating parent folders (as `remote.CopyToRemote`
 * does), over one connection with the provisioning key.
 */
import { Client, ConnectConfig } from "ssh2";

export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export class SshSession {
  private constructor(private readonly client: Client) {}

  static connect(config: ConnectConfig): Promise<SshSession> {
    return new Promise((resolve, reject) => {
      const client = new Client();
      client.once("ready", () => resolve(new SshSession(client)));
      client.once("error", reject);
      client.connect({ readyTimeout: 20_000, ...config });
    });
  }

  exec(command: string, stdin?: string): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      this.client.exec(command, (error, channel) => {
        if (error) return reject(error);
        let stdout = "";
        let stderr = "";
        channel.on("data", (chunk: Buffer) => { stdout += chunk.toString("utf8"); });
        channel.stderr.on("data", (chunk: Buffer) => { stderr += chunk.toString("utf8"); });
        channel.on("close", (code: number | null) => resolve({ code: code ?? -1, stdout, stderr }));
        channel.end(stdin ?? "");
      });
    });
  }

  /** Runs and requires exit 0; the error carries the output. */
  async run(command: string, stdin?: string): Promise<string> {
    const result = await this.exec(command, stdin);
    if (result.code !== 0) throw new Error(`"${command.slice(0, 120)}" exited ${result.code}\n${result.stdout}\n${result.stderr}`);
    return result.stdout;
  }

  async upload(remotePath: string, content: string): Promise<void> {
    const dir = remotePath.slice(0, remotePath.lastIndexOf("/"));
    await this.run(`mkdir -p '${dir}'`);
    await new Promise<void>((resolve, reject) => {
      this.client.sftp((error, sftp) => {
        if (error) return reject(error);
        sftp.writeFile(remotePath, content, (err) => {
          sftp.end();
          if (err) reject(err); else resolve();
        });
      });
    });
  }

  close(): void {
    this.client.end();
  }
}

/** Whether a login with this config is accepted (and closes it). */
export async function canLogin(config: ConnectConfig): Promise<boolean> {
  try {
    const session = await SshSession.connect({ ...config, tryKeyboard: false });
    session.close();
    return true;
  } catch (error) {
    if (String(error).includes("authentication methods failed")) return false;
    throw error;
  }
}

/** Whether the server agrees to a connection whose client offers only these MACs (with a non-AEAD cipher, so the MAC is used). */
export async function acceptsMacs(config: ConnectConfig, hmac: NonNullable<NonNullable<ConnectConfig["algorithms"]>["hmac"]>): Promise<boolean> {
  try {
    const session = await SshSession.connect({ ...config, algorithms: { cipher: ["aes256-ctr"], hmac } });
    session.close();
    return true;
  } catch (error) {
    if (/handshake failed|no matching/i.test(String(error))) return false;
    throw error;
  }
}

/** Whether the server opens a direct-tcpip channel (local port forwarding, `ssh -L`) to host:port. */
export function canForwardTcp(config: ConnectConfig, host: string, port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    client.once("error", reject);
    client.once("ready", () => {
      client.forwardOut("127.0.0.1", 0, host, port, (error, channel) => {
        client.end();
        if (!error) { channel.close(); return resolve(true); }
        // SSH_OPEN_ADMINISTRATIVELY_PROHIBITED: what sshd answers with forwarding off.
        if ((error as Error & { reason?: number }).reason === 1) return resolve(false);
        reject(error);
      });
    });
    client.connect({ readyTimeout: 20_000, ...config });
  });
}
