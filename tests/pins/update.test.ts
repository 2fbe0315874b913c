/**
 * `pins update` without --image names every image of the catalog and the hub config, and
 * rewrites the whole lock; unresolvable images keep their entries. A scripted registry client
 * stands in for skopeo here (the real one is exercised in registry.test.ts).
 */
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { registerPinsCommands } from "../../automation/cli/pins";
import { RegistryClient } from "../../automation/pins/skopeo";

const LOCK = join(__dirname, "..", "..", "tenants", "images.lock.json");
const committed = JSON.parse(readFileSync(LOCK, "utf8")) as { images: Array<{ repository: string; tag: string; status: string; digest?: string; source?: string }> };
const keys = committed.images.map((e) => `${e.repository}:${e.tag}`);

async function run(argv: string[], client: RegistryClient) {
  let code = -1;
  let stdout = "";
  let stderr = "";
  const program = new Command().exitOverride();
  registerPinsCommands(program, { out: (t) => { stdout += t; }, err: (t) => { stderr += t; }, env: {} }, (c) => { code = c; }, {
    client: () => client, now: () => new Date("2026-12-01T10:00:00.123Z"),
  });
  await program.parseAsync(argv, { from: "user" });
  return { code, stdout, stderr };
}

const digestOf = (ref: string) => `sha256:${Buffer.from(ref.padEnd(32, "x").slice(0, 32)).toString("hex")}`;

describe("letsbe pins update over the whole catalog and hub config", () => {
  it("resolves exactly the images the lock holds today (25 catalog images, 11 hub images) and writes each as resolved", async () => {
    expect(keys).toHaveLength(36);
    const asked: string[] = [];
    const client: RegistryClient = {
      manifest: async (ref) => {
        asked.push(ref);
        return { ok: true, value: { digest: digestOf(ref), mediaType: "application/vnd.oci.image.index.v1+json", platforms: ["linux/amd64", "linux/arm64"] } };
      },
      version: async () => "scripted",
    };
    const file = join(mkdtempSync(join(tmpdir(), "letsbe-pins-update-")), "images.lock.json");
    writeFileSync(file, readFileSync(LOCK));
    const result = await run(["pins", "update", "--lock", file], client);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect([...asked].sort()).toEqual([...keys].sort());
    const written = JSON.parse(readFileSync(file, "utf8")) as { images: Array<Record<string, unknown>> };
    expect(written.images.map((e) => `${String(e.repository)}:${String(e.tag)}`)).toEqual(keys);
    expect(written.images.find((e) => e.repository === "docker.io/library/nextcloud")).toEqual({
      repository: "docker.io/library/nextcloud", tag: "34.0.4-apache", status: "resolved", digest: digestOf("docker.io/library/nextcloud:34.0.4-apache"),
      mediaType: "application/vnd.oci.image.index.v1+json", platforms: ["linux/amd64", "linux/arm64"], resolvedAt: "2026-12-01T10:00:00Z", registry: "docker.io",
    });
  });

  it("keeps every entry as it was when no registry answers, and exits 1 naming each image", async () => {
    const client: RegistryClient = {
      manifest: async () => ({ ok: false, kind: "unreachable", message: "dial tcp: no route" }),
      version: async () => "scripted",
    };
    const file = join(mkdtempSync(join(tmpdir(), "letsbe-pins-update-")), "images.lock.json");
    writeFileSync(file, readFileSync(LOCK));
    const result = await run(["pins", "update", "--lock", file], client);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toHaveLength(36);
    expect(result.stderr).toContain("letsbe pins update: docker.io/library/nextcloud:34.0.4-apache: registry unreachable: dial tcp: no route\n");
    expect(readFileSync(file, "utf8")).toBe(readFileSync(LOCK, "utf8"));
  });
});
