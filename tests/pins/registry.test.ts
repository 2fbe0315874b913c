/**
 * `letsbe pins update` and `letsbe pins verify` through the real CLI and skopeo against local
 * registries (Debian's docker-registry on 127.0.0.1, one open, one behind htpasswd): tags
 * resolved to index and manifest digests, a tag moved, a digest gone, authentication required.
 * Every expected digest is the sha256 of bytes the fixture wrote, never the code's answer.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../automation/cli/index";
import { BuiltImage, Registry, authFile, deleteManifest, ensureTools, pushImage, startRegistry } from "./registryFixture";

const USER = { user: "letsbe-ci", password: "s3cret-for-tests" };
let open: Registry;
let locked: Registry;
const dir = mkdtempSync(join(tmpdir(), "letsbe-pins-cli-"));
const built: Record<string, BuiltImage> = {};

async function cli(...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, { out: (t) => { stdout += t; }, err: (t) => { stderr += t; }, env: {} });
  return { code, stdout, stderr };
}

interface LockJson { lockVersion: number; images: Array<Record<string, unknown> & { repository: string; tag: string; status: string; digest?: string; source?: string }> }
const readLock = (file: string) => JSON.parse(readFileSync(file, "utf8")) as LockJson;
const entry = (file: string, ref: string) => readLock(file).images.find((e) => `${e.repository}:${e.tag}` === ref);

beforeAll(async () => {
  ensureTools();
  open = await startRegistry();
  locked = await startRegistry(USER);
  built.multi = pushImage(`${open.host}/apps/multi:1.0`, "multi", ["linux/amd64", "linux/arm64"]);
  built.single = pushImage(`${open.host}/apps/single:2.0`, "single", ["linux/arm64"]);
  built.moving = pushImage(`${open.host}/apps/moving:1.0`, "moving, first", ["linux/amd64"]);
  built.gone = pushImage(`${open.host}/apps/gone:1.0`, "gone", ["linux/amd64"]);
  built.private = pushImage(`${locked.host}/private/app:3.1`, "private", ["linux/amd64", "linux/arm64"], `${USER.user}:${USER.password}`);
});

afterAll(async () => {
  await open?.stop();
  await locked?.stop();
});

describe("letsbe pins against a local registry", () => {
  const lock = join(dir, "images.lock.json");
  const record = join(dir, "verified.json");
  const refs = () => ["multi:1.0", "single:2.0", "moving:1.0", "gone:1.0"].map((r) => `${open.host}/apps/${r}`);

  it("update resolves each tag to the digest of its index or manifest, with its platforms, registry and time", async () => {
    const before = Date.now() - 1000;
    const run = await cli("pins", "update", "--lock", lock, "--insecure-registry", open.host, ...refs().flatMap((r) => ["--image", r]));
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const got = readLock(lock);
    expect(got.lockVersion).toBe(1);
    expect(got.images.map((e) => `${e.repository}:${e.tag}`)).toEqual([...refs()].sort());
    const multi = entry(lock, `${open.host}/apps/multi:1.0`)!;
    expect(multi).toEqual({
      repository: `${open.host}/apps/multi`, tag: "1.0", status: "resolved", digest: built.multi!.digest,
      mediaType: "application/vnd.oci.image.index.v1+json", platforms: ["linux/amd64", "linux/arm64"],
      resolvedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/), registry: open.host,
    });
    expect(Date.parse(String(multi.resolvedAt))).toBeGreaterThanOrEqual(before);
    expect(Date.parse(String(multi.resolvedAt))).toBeLessThanOrEqual(Date.now());
    expect(entry(lock, `${open.host}/apps/single:2.0`)).toMatchObject({
      digest: built.single!.digest, mediaType: "application/vnd.oci.image.manifest.v1+json", platforms: ["linux/arm64"],
    });
    expect(run.stdout).toContain(`resolved ${open.host}/apps/multi:1.0 ${built.multi!.digest} (linux/amd64, linux/arm64)`);
  });

  it("verify passes on the fresh lock and writes a record naming the lock's sha256", async () => {
    const run = await cli("pins", "verify", "--lock", lock, "--insecure-registry", open.host, "--record", record);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`${lock}: 4 checked, 0 failed`);
    const written = JSON.parse(readFileSync(record, "utf8")) as Record<string, unknown>;
    expect(written.lockSha256).toBe(createHash("sha256").update(readFileSync(lock)).digest("hex"));
    expect(written.images).toBe(4);
    expect(String(written.client)).toMatch(/^skopeo version \d/);
  });

  it("verify fails naming the tag that moved and the digest that is gone, and removes the record", async () => {
    const moved = pushImage(`${open.host}/apps/moving:1.0`, "moving, second", ["linux/amd64"]);
    expect(moved.digest).not.toBe(built.moving!.digest);
    deleteManifest(`${open.host}/apps/gone`, built.gone!.digest);

    const run = await cli("pins", "verify", "--lock", lock, "--insecure-registry", open.host, "--record", record);
    expect(run.code).toBe(1);
    const lines = run.stderr.trim().split("\n").sort();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(`letsbe pins verify: ${open.host}/apps/gone:1.0: not found: digest ${built.gone!.digest} is gone from ${open.host}/apps/gone (reading manifest ${built.gone!.digest} in ${open.host}/apps/gone: manifest unknown: manifest unknown)`);
    expect(lines[1]).toBe(`letsbe pins verify: ${open.host}/apps/moving:1.0: tag moved: ${open.host}/apps/moving:1.0 now names ${moved.digest}; the lock has ${built.moving!.digest}`);
    expect(run.stdout).toContain(`${lock}: 4 checked, 2 failed`);
    expect(existsSync(record)).toBe(false);
  });

  it("update moves the lock to the tag's new digest; an unresolvable image keeps its entry and fails the command", async () => {
    const run = await cli("pins", "update", "--lock", lock, "--insecure-registry", open.host, ...refs().flatMap((r) => ["--image", r]));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`letsbe pins update: ${open.host}/apps/gone:1.0: not found: reading manifest 1.0 in ${open.host}/apps/gone: manifest unknown`);
    const moving = entry(lock, `${open.host}/apps/moving:1.0`)!;
    expect(moving.digest).not.toBe(built.moving!.digest);
    expect(entry(lock, `${open.host}/apps/gone:1.0`)!.digest).toBe(built.gone!.digest);
  });

  it("a registry behind authentication: refused without credentials, resolved and verified with an auth file", async () => {
    const privateLock = join(dir, "private.lock.json");
    const ref = `${locked.host}/private/app:3.1`;
    const refused = await cli("pins", "update", "--lock", privateLock, "--insecure-registry", locked.host, "--image", ref);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(`letsbe pins update: ${ref}: authentication required: reading manifest 3.1 in ${locked.host}/private/app: unauthorized: authentication required\n`);
    const marked = entry(privateLock, ref)!;
    expect(marked.status).toBe("unverified");
    expect(marked.digest).toBeUndefined();
    expect(marked.source).toMatch(/^pins update at .* could not resolve it: authentication required: /);

    const auth = authFile(locked.host, USER.user, USER.password);
    const resolved = await cli("pins", "update", "--lock", privateLock, "--insecure-registry", locked.host, "--authfile", auth, "--image", ref);
    expect(resolved.stderr).toBe("");
    expect(resolved.code).toBe(0);
    expect(entry(privateLock, ref)).toMatchObject({ status: "resolved", digest: built.private!.digest, platforms: ["linux/amd64", "linux/arm64"] });

    const withAuth = await cli("pins", "verify", "--lock", privateLock, "--insecure-registry", locked.host, "--authfile", auth, "--record", join(dir, "private.verified.json"));
    expect(withAuth.code).toBe(0);
    const wrong = authFile(locked.host, USER.user, "wrong");
    const denied = await cli("pins", "verify", "--lock", privateLock, "--insecure-registry", locked.host, "--authfile", wrong, "--record", join(dir, "private.verified.json"));
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain(`letsbe pins verify: ${ref}: authentication required: `);
    expect(existsSync(join(dir, "private.verified.json"))).toBe(false);
  });

  it("verify fails an entry marked unverified without a digest, naming where it came from", async () => {
    const file = join(dir, "unverified.lock.json");
    writeFileSync(file, JSON.stringify({ lockVersion: 1, images: [{ repository: `${open.host}/apps/multi`, tag: "1.0", status: "unverified", source: "typed in by hand" }] }));
    const run = await cli("pins", "verify", "--lock", file, "--insecure-registry", open.host, "--record", join(dir, "u.json"));
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`letsbe pins verify: ${open.host}/apps/multi:1.0: no digest locked: marked unverified (typed in by hand); run \`letsbe pins update\`\n`);
  });

  it("exits 2 on usage errors and on a lock file that breaks its schema, naming file and field", async () => {
    const badImage = await cli("pins", "update", "--lock", join(dir, "x.json"), "--image", "nextcloud");
    expect(badImage.code).toBe(2);
    expect(badImage.stderr).toBe("letsbe pins: --image \"nextcloud\": must be registry-host/path:tag (e.g. docker.io/library/nextcloud:32.0.1)\n");
    const missing = await cli("pins", "verify", "--lock", join(dir, "nowhere.json"));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`letsbe pins: ${join(dir, "nowhere.json")}: no such lock file\n`);
    const broken = join(dir, "broken.lock.json");
    writeFileSync(broken, JSON.stringify({ lockVersion: 1, images: [{ repository: "docker.io/library/redis", tag: "7", status: "resolved", digest: "sha256:abc", mediaType: "application/vnd.oci.image.index.v1+json", platforms: ["linux/amd64"], resolvedAt: "2026-12-01T00:00:00Z", registry: "docker.io" }] }));
    const invalid = await cli("pins", "verify", "--lock", broken);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toBe(`letsbe pins: ${broken}: images.0.digest: must be sha256: followed by 64 lowercase hex digits\n`);
    const unknown = await cli("pins", "frobnicate");
    expect(unknown.code).toBe(2);
  });
});
