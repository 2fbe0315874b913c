/** Drives tests/host/infra/host.sh: the engine, the cached Debian 13 image, host containers. */
import { execFileSync } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { repoRoot } from "../../fakes/scp/spec";

// From the checkout, so the compiled estate command finds the script too (tsc copies no .sh).
const SCRIPT = join(repoRoot(), "tests", "host", "infra", "host.sh");

export function hostInfra(...args: string[]): string {
  return execFileSync("bash", [SCRIPT, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: 900_000 });
}

export function docker(...args: string[]): string {
  return execFileSync("docker", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 600_000 });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
