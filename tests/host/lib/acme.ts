/**
 * A local ACME server for the host tier: Pebble (built by engine/pebble.sh from the Go module proxy)
 * behind a TLS certificate of a test CA made per run, its DNS-01 checks asked of the Cloudflare
 * fake's DNS. The test host trusts the test CA; nothing else about the host changes.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../../fakes/scp/spec";
import { freePort } from "./infra";

export interface Pebble {
  /** The ACME directory URL certbot takes (`--server`). */
  readonly directory: string;
  /** PEM of the CA that signed Pebble's own TLS certificate (what the test host trusts). */
  readonly tlsCa: string;
  /** Pebble's issuing intermediate right now (PEM), from its management interface. */
  intermediate(): Promise<string>;
  /** Everything Pebble printed, for a failing test's message. */
  output(): string;
  stop(): void;
}

/** Builds Pebble when the cache lacks it; the path of the binary. */
export function buildPebble(): string {
  const out = execFileSync("bash", [join(repoRoot(), "engine", "pebble.sh")], { encoding: "utf8", timeout: 900_000 });
  return out.trim().split("\n").at(-1) ?? "";
}

/** A CA and a server certificate for `address` (an IP address), by openssl. */
function tlsFiles(dir: string, address: string): { ca: string; cert: string; key: string } {
  const ossl = (...args: string[]) => execFileSync("openssl", args, { stdio: ["ignore", "pipe", "pipe"] });
  const file = (name: string) => join(dir, name);
  ossl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
    "-subj", "/CN=LetsBe host-tier ACME test CA", "-keyout", file("ca.key"), "-out", file("ca.pem"));
  ossl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", `/CN=${address}`,
    "-keyout", file("key.pem"), "-out", file("server.csr"));
  writeFileSync(file("ext.cnf"), `subjectAltName=IP:${address},IP:127.0.0.1\nextendedKeyUsage=serverAuth\n`);
  ossl("x509", "-req", "-in", file("server.csr"), "-CA", file("ca.pem"), "-CAkey", file("ca.key"), "-CAcreateserial",
    "-days", "2", "-extfile", file("ext.cnf"), "-out", file("cert.pem"));
  return { ca: file("ca.pem"), cert: file("cert.pem"), key: file("key.pem") };
}

function get(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    // Pebble answers 400 to a request without a User-Agent, as RFC 8555 6.1 lets a server.
    const req = request(url, { ca, timeout: 5_000, headers: { "user-agent": "letsbe-host-tier" } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => { body += chunk; });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error(`${url}: no answer in 5 s`)));
    req.end();
  });
}

/**
 * Starts Pebble listening on `address` (where the test host reaches it), asking `dnsServer`
 * (`host:port`) for every DNS-01 record. No random sleeps, no nonce rejections, no reused
 * authorizations: each order runs its challenges.
 */
export async function startPebble(binary: string, address: string, dnsServer: string): Promise<Pebble> {
  const dir = mkdtempSync(join(tmpdir(), "letsbe-pebble-"));
  const tls = tlsFiles(dir, address);
  const [port, management] = [await freePort(), await freePort()];
  writeFileSync(join(dir, "pebble.json"), JSON.stringify({
    pebble: {
      listenAddress: `${address}:${port}`, managementListenAddress: `127.0.0.1:${management}`,
      certificate: tls.cert, privateKey: tls.key, httpPort: 5002, tlsPort: 5001, ocspResponderURL: "",
      externalAccountBindingRequired: false, retryAfter: { authz: 1, order: 1 },
      profiles: { default: { description: "host tier", validityPeriod: 7776000 } },
    },
  }));
  let log = "";
  const child: ChildProcess = spawn(binary, ["-config", join(dir, "pebble.json"), "-dnsserver", dnsServer], {
    cwd: dir, stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, PEBBLE_VA_NOSLEEP: "1", PEBBLE_WFE_NONCEREJECT: "0", PEBBLE_AUTHZREUSE: "0" },
  });
  child.stdout?.on("data", (chunk: Buffer) => { log += chunk.toString("utf8"); });
  child.stderr?.on("data", (chunk: Buffer) => { log += chunk.toString("utf8"); });
  const ca = readFileSync(tls.ca, "utf8");
  const directory = `https://${address}:${port}/dir`;
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`pebble exited ${child.exitCode}:\n${log}`);
    const answer = await get(directory, ca).catch(() => undefined);
    if (answer?.status === 200) break;
    if (attempt > 60) { child.kill(); throw new Error(`pebble did not serve ${directory} in 30 s:\n${log}`); }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return {
    directory, tlsCa: ca,
    intermediate: async () => (await get(`https://127.0.0.1:${management}/intermediates/0`, ca)).body,
    output: () => log,
    stop: () => { if (child.exitCode === null) child.kill(); },
  };
}
