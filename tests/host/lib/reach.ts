/** What a host answers from outside: TCP ports, and SSH through a jump host (as `ssh -J` opens it). */
import { Socket } from "node:net";
import { Client } from "ssh2";
import { SshSession } from "./ssh";

/** A TCP connect to host:port within `ms`: "open", or "closed" (refused, dropped or timed out). */
export function probe(host: string, port: number, ms = 700): Promise<"open" | "closed"> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (state: "open" | "closed") => { socket.destroy(); resolve(state); };
    socket.setTimeout(ms, () => done("closed"));
    socket.once("connect", () => done("open"));
    socket.once("error", () => done("closed"));
    socket.connect(port, host);
  });
}

/** Every TCP port of `host` that accepts a connection. */
export async function openPorts(host: string): Promise<number[]> {
  const open: number[] = [];
  const ports = Array.from({ length: 65535 }, (_, i) => i + 1);
  const workers = Array.from({ length: 400 }, async () => {
    for (let port = ports.shift(); port !== undefined; port = ports.shift()) if (await probe(host, port) === "open") open.push(port);
  });
  await Promise.all(workers);
  return open.sort((a, b) => a - b);
}

/** An SSH session as root on `target:port` over a direct-tcpip channel from `jumpHost` (root, port 22). */
export function throughJump(jumpHost: string, privateKey: string, target: string, port = 22): Promise<{ session: SshSession; jump: Client }> {
  return new Promise((resolve, reject) => {
    const jump = new Client();
    jump.once("error", reject);
    jump.once("ready", () => {
      jump.forwardOut("127.0.0.1", 0, target, port, (error, channel) => {
        if (error) { jump.end(); return reject(error); }
        SshSession.connect({ sock: channel, username: "root", privateKey })
          .then((session) => resolve({ session, jump }), (e: unknown) => { jump.end(); reject(e as Error); });
      });
    });
    jump.connect({ host: jumpHost, port: 22, username: "root", privateKey, readyTimeout: 20_000 });
  });
}
