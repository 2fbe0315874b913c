/**
 * The committed lock (tenants/images.lock.json): valid, complete for the catalog and the hub
 * config, honest (no fabricated digest anywhere, unverified entries say where a digest came
 * from), and its schema's errors name file, field and rule.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { LockFileError, parseLock, serializeLock } from "../../tenants/pins/lock";
import { CATALOG_IMAGES, DEFAULT_RELEASE, SIDECAR_IMAGES, TOOLS } from "../../tenants/catalog";

const ROOT = join(__dirname, "..", "..");
const LOCK_FILE = join(ROOT, "tenants", "images.lock.json");
const lockText = readFileSync(LOCK_FILE, "utf8");
const raw = JSON.parse(lockText) as { images: Array<{ repository: string; tag: string; status: string; digest?: string; source?: string }> };
const byKey = new Map(raw.images.map((e) => [`${e.repository}:${e.tag}`, e]));

describe("the committed image lock", () => {
  it("passes its schema and is written in the stable order pins update writes", () => {
    const lock = parseLock(lockText, LOCK_FILE);
    expect(serializeLock(lock)).toBe(lockText);
  });

  it("holds every image the catalog names: 17 tools (Portainer gone; Penpot with its backend and exporter), 3 sidecars and 3 release images", () => {
    expect(CATALOG_IMAGES).toHaveLength(25);
    for (const image of CATALOG_IMAGES) expect(byKey.has(`${image.repository}:${image.tag}`), `${image.where} ${image.repository}:${image.tag}`).toBe(true);
  });

  it("holds every hub image of Pulumi.<stack>.yaml, which names them by repository and tag only", () => {
    let count = 0;
    for (const file of readdirSync(ROOT).filter((f) => /^Pulumi\..+\.yaml$/.test(f))) {
      const doc = parseYaml(readFileSync(join(ROOT, file), "utf8")) as { config: Record<string, Record<string, { current: string; previous?: string }>> };
      for (const pair of Object.values(doc.config["letsbe-hub:images"] ?? {})) {
        for (const ref of [pair.current, pair.previous].filter((r): r is string => typeof r === "string")) {
          expect(ref, file).not.toContain("@");
          expect(byKey.has(ref), `${file}: ${ref}`).toBe(true);
          count++;
        }
      }
    }
    expect(count).toBe(24); // three stacks, four services, current and previous
  });

  it("takes the catalog's digests from the lock, and gives none where the lock has none", () => {
    const cases = [TOOLS.nextcloud.image, TOOLS.keycloak.image, SIDECAR_IMAGES.postgres, DEFAULT_RELEASE.openclaw];
    for (const image of cases) expect(image.digest).toBe(byKey.get(`${image.repository}:${image.tag}`)?.digest);
  });

  it("marks every entry not resolved by pins update as unverified, saying where its digest came from or why there is none", () => {
    for (const e of raw.images.filter((x) => x.status !== "resolved")) {
      expect(e.status).toBe("unverified");
      expect(e.source, `${e.repository}:${e.tag}`).toMatch(/\S{3,}/);
    }
    // This machine reaches no public registry: the catalog's tools could not have been resolved here.
    expect(byKey.get("docker.io/library/nextcloud:34.0.4-apache")).toMatchObject({ status: "unverified" });
    expect(byKey.get("docker.io/library/nextcloud:34.0.4-apache")?.digest).toBeUndefined();
  });

  it("leaves no fabricated digest in the repository: no repeated hex pattern, no all-same digit runs", () => {
    const files = ["tenants/catalog.ts", "tenants/images.lock.json", ...readdirSync(ROOT).filter((f) => /^Pulumi\..+\.yaml$/.test(f))];
    const catalog = readFileSync(join(ROOT, "tenants/catalog.ts"), "utf8");
    expect(catalog).not.toMatch(/\.repeat\(/);
    for (const file of files) {
      for (const [, hex] of readFileSync(join(ROOT, file), "utf8").matchAll(/sha256:([0-9a-f]{64})/g)) {
        expect(hex, file).not.toMatch(/^(.{1,8})\1+$/);
        expect(new Set(hex!).size, `${file}: sha256:${hex}`).toBeGreaterThan(8);
      }
    }
  });
});

describe("the lock file schema", () => {
  const entry = { repository: "docker.io/library/redis", tag: "7.4", status: "resolved", digest: `sha256:${"0123456789abcdef".repeat(4)}`, mediaType: "application/vnd.oci.image.index.v1+json", platforms: ["linux/amd64"], resolvedAt: "2026-12-01T09:00:00Z", registry: "docker.io" };
  const problems = (doc: unknown) => {
    try {
      parseLock(JSON.stringify(doc), "x.lock.json");
      return [];
    } catch (error) {
      expect(error).toBeInstanceOf(LockFileError);
      return (error as LockFileError).problems;
    }
  };

  it("accepts a resolved entry and an unverified one with a source", () => {
    expect(problems({ lockVersion: 1, images: [entry, { repository: "ghcr.io/a/b", tag: "1", status: "unverified", source: "never resolved" }] })).toEqual([]);
  });

  it("names file, field and rule", () => {
    expect(problems({ lockVersion: 1, images: [{ ...entry, digest: "sha256:a1" }] })).toEqual(["images.0.digest: must be sha256: followed by 64 lowercase hex digits"]);
    expect(problems({ lockVersion: 1, images: [{ repository: "ghcr.io/a/b", tag: "1", status: "unverified" }] })).toEqual([expect.stringMatching(/^images\.0\.source: /)]);
    expect(problems({ lockVersion: 1, images: [{ ...entry, tag: "latest" }] })).toEqual(["images.0.tag: must not be \"latest\""]);
    expect(problems({ lockVersion: 1, images: [{ ...entry, repository: "redis" }] })).toEqual([expect.stringMatching(/^images\.0\.repository: must be registry-host\/path/)]);
    expect(problems({ lockVersion: 1, images: [entry, entry] })).toEqual(["images.1: duplicate entry for docker.io/library/redis:7.4"]);
    expect(problems({ lockVersion: 1, images: [{ ...entry, extra: 1 }] })).toEqual(["images.0: unknown key(s) \"extra\""]);
    expect(problems({ lockVersion: 1, images: [{ ...entry, platforms: [] }] })).toEqual([expect.stringMatching(/^images\.0\.platforms: /)]);
    expect(() => parseLock("{", "x.lock.json")).toThrow(/^x\.lock\.json: not JSON: /);
  });
});
