/**
 * Issue 14: the pack folder is self-contained, as `pulumi preview --policy-pack policy` and `pulumi
 * policy publish` (which runs `npm pack` in it) take it: package.json's main lies inside the folder,
 * the packed tarball holds everything the pack runs, and that tarball, unpacked outside any checkout,
 * serves the analyzer. In the checkout the pin gate still reads the checkout's lock and record.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { defaultLockPath } from "../../tenants/pins/lock";
import { defaultRecordPath } from "../../tenants/pins/record";
import { ROOT, ensurePackBuilt } from "./analyzerClient";

const PACK = join(ROOT, "policy");
const manifest = JSON.parse(readFileSync(join(PACK, "package.json"), "utf8")) as { main: string; dependencies: Record<string, string> };

/** Resolves with the port the pack prints once it serves, rejects with its stderr if it exits first. */
function serves(dir: string): Promise<number> {
  const runner = join(ROOT, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack");
  const child = spawn(process.execPath, [runner, "127.0.0.1:0", dir], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((done, fail) => {
    let out = "";
    let err = "";
    const timer = setTimeout(() => { child.kill(); fail(new Error(`no port within 60 s: ${err}`)); }, 60_000);
    child.stderr.on("data", (c: Buffer) => { err += c.toString(); });
    child.once("exit", (code) => { clearTimeout(timer); fail(new Error(`exited with ${code}: ${err}`)); });
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      const port = /^(\d+)\s*$/m.exec(out);
      if (!port) return;
      clearTimeout(timer);
      child.removeAllListeners("exit");
      child.kill();
      done(Number(port[1]));
    });
  });
}

describe("policy pack folder", () => {
  let unpacked: string;
  let packed: string[];

  beforeAll(() => {
    ensurePackBuilt();
    // What `pulumi policy publish` uploads: `npm pack` of the folder.
    const dest = mkdtempSync(join(tmpdir(), "letsbe-pack-"));
    const [info] = JSON.parse(execFileSync("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", dest], { cwd: PACK, encoding: "utf8" })) as Array<{ filename: string; files: Array<{ path: string }> }>;
    packed = info.files.map((f) => f.path).sort();
    execFileSync("tar", ["-xzf", join(dest, info.filename), "-C", dest]);
    unpacked = join(dest, "package");
    // The CLI installs a downloaded pack's dependencies; the repository's node_modules stands in for that install.
    symlinkSync(join(ROOT, "node_modules"), join(unpacked, "node_modules"));
  }, 180_000);

  it("names a main inside the folder, and dependencies at the versions the repository locks", () => {
    expect(resolve(PACK, manifest.main).startsWith(`${PACK}/`)).toBe(true);
    const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { version: string }> };
    for (const [name, version] of Object.entries(manifest.dependencies)) expect([name, version]).toEqual([name, lock.packages[`node_modules/${name}`].version]);
  });

  it("packs the compiled pack, what it imports and the lock, and no sources", () => {
    expect(packed).toEqual(expect.arrayContaining([
      "PulumiPolicy.yaml", "package.json", "bin/policy/index.js", "bin/policy/verifiedPins.js",
      "bin/tenants/catalog.js", "bin/tenants/pins/lock.js", "bin/tenants/images.lock.json", "bin/components/compose/services.js",
    ]));
    expect(packed.filter((f) => f.endsWith(".ts") || f.startsWith("../"))).toEqual([]);
  });

  it("serves the analyzer from the unpacked tarball, outside any checkout, with its own copy of the lock", async () => {
    expect(await serves(unpacked)).toBeGreaterThan(0);
    expect(defaultLockPath(join(unpacked, "bin", "tenants", "pins"))).toBe(join(unpacked, "bin", "tenants", "images.lock.json"));
  }, 90_000);

  it("in the checkout, reads the checkout's lock, so the gate finds the record `letsbe pins verify` writes", async () => {
    expect(await serves(PACK)).toBeGreaterThan(0);
    const lock = defaultLockPath(join(PACK, "bin", "tenants", "pins"));
    expect(lock).toBe(join(ROOT, "tenants", "images.lock.json"));
    expect(defaultRecordPath(lock, {})).toBe(join(ROOT, ".cache", "pins", "verified.json"));
  }, 90_000);
});
