/**
 * Test-only: a local registry (Debian's `docker-registry`, on 127.0.0.1) and small OCI images
 * built here byte by byte and pushed with `skopeo copy`, so each test knows the digest a tag must
 * resolve to from the bytes it wrote, never from the code under test. Installs skopeo,
 * docker-registry and apache2-utils (htpasswd) from Debian's archive when missing, as the host
 * tier installs its packages.
 */
import { ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const PACKAGES: Record<string, string> = { skopeo: "skopeo", "docker-registry": "docker-registry", htpasswd: "apache2-utils" };

export function ensureTools(): void {
  const missing = Object.entries(PACKAGES).filter(([cmd]) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status !== 0).map(([, pkg]) => pkg);
  if (missing.length === 0) return;
  const options = { stdio: "ignore" as const, env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } };
  execFileSync("apt-get", ["update", "-qq"], options);
  execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing], options);
}

const sha = (bytes: Buffer | string) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

export interface Registry {
  readonly host: string;
  readonly dir: string;
  stop(): Promise<void>;
}

/** Starts docker-registry on 127.0.0.1 (deletes enabled); with `auth`, behind htpasswd basic auth. */
export async function startRegistry(auth?: { user: string; password: string }): Promise<Registry> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "letsbe-pins-registry-"));
  let authConf = "";
  if (auth) {
    writeFileSync(join(dir, "htpasswd"), execFileSync("htpasswd", ["-Bbn", auth.user, auth.password]));
    authConf = `auth:\n  htpasswd:\n    realm: letsbe-test\n    path: ${join(dir, "htpasswd")}\n`;
  }
  writeFileSync(join(dir, "config.yml"), [
    "version: 0.1",
    "log:\n  level: warn",
    `storage:\n  filesystem:\n    rootdirectory: ${join(dir, "data")}\n  delete:\n    enabled: true`,
    `http:\n  addr: 127.0.0.1:${port}`,
    authConf,
  ].join("\n"));
  const child: ChildProcess = spawn("docker-registry", ["serve", join(dir, "config.yml")], { stdio: "ignore" });
  const host = `127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const up = await fetch(`http://${host}/v2/`).then((r) => r.status === 200 || r.status === 401, () => false);
    if (up) return { host, dir, stop: () => stopChild(child) };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stopChild(child);
  throw new Error(`docker-registry did not come up on ${host}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

export interface BuiltImage {
  /** Digest of the index (multi-platform) or of the manifest: sha256 of the bytes written here. */
  readonly digest: string;
  readonly mediaType: string;
  readonly platforms: readonly string[];
}

/**
 * Builds an OCI layout holding one image (one manifest per platform, under an index when there
 * are several) whose only file says `marker`, and pushes it to `ref` on the registry.
 */
export function pushImage(ref: string, marker: string, platforms: readonly string[], creds?: string): BuiltImage {
  const dir = mkdtempSync(join(tmpdir(), "letsbe-pins-oci-"));
  mkdirSync(join(dir, "blobs", "sha256"), { recursive: true });
  const blob = (bytes: Buffer | string) => {
    const digest = sha(bytes);
    writeFileSync(join(dir, "blobs", "sha256", digest.slice(7)), bytes);
    return { digest, size: Buffer.byteLength(bytes) };
  };
  const manifests = platforms.map((platform) => {
    const [os, architecture] = platform.split("/") as [string, string];
    const src = mkdtempSync(join(tmpdir(), "letsbe-pins-src-"));
    writeFileSync(join(src, "marker"), `${marker} ${platform}\n`);
    const tar = execFileSync("tar", ["-c", "-C", src, "--owner=0", "--group=0", "--mtime=@0", "marker"]);
    const layer = blob(gzipSync(tar));
    const config = blob(JSON.stringify({ architecture, os, rootfs: { type: "layers", diff_ids: [sha(tar)] }, config: {} }));
    const bytes = JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", ...layer }],
    });
    return { ...blob(bytes), platform: { architecture, os } };
  });
  let top: { digest: string; size: number; mediaType: string };
  if (manifests.length === 1) {
    top = { digest: manifests[0]!.digest, size: manifests[0]!.size, mediaType: "application/vnd.oci.image.manifest.v1+json" };
  } else {
    const index = JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: manifests.map((m) => ({ mediaType: "application/vnd.oci.image.manifest.v1+json", digest: m.digest, size: m.size, platform: m.platform })),
    });
    top = { ...blob(index), mediaType: "application/vnd.oci.image.index.v1+json" };
  }
  writeFileSync(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  writeFileSync(join(dir, "index.json"), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ ...top, annotations: { "org.opencontainers.image.ref.name": "push" } }],
  }));
  execFileSync("skopeo", [
    "copy", "--all", "--preserve-digests", "--dest-tls-verify=false", ...(creds ? ["--dest-creds", creds] : []),
    `oci:${dir}:push`, `docker://${ref}`,
  ], { stdio: "pipe" });
  return { digest: top.digest, mediaType: top.mediaType, platforms };
}

/** Deletes a manifest by digest from the registry (the "digest gone" case). */
export function deleteManifest(repository: string, digest: string, creds?: string): void {
  execFileSync("skopeo", ["delete", "--tls-verify=false", ...(creds ? ["--creds", creds] : []), `docker://${repository}@${digest}`], { stdio: "pipe" });
}

/** A containers-auth.json file (what `skopeo login` writes) for one registry. */
export function authFile(host: string, user: string, password: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "letsbe-pins-auth-")), "auth.json");
  writeFileSync(file, JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${user}:${password}`).toString("base64") } } }));
  return file;
}
