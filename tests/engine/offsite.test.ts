/**
 * Each tenant's own off-site credential under the real CLI: tests/engine/programs/offsite (the
 * compiled components/backup/offsite.ts) as two tenant stacks against the fake Hetzner API's
 * Storage Box. Two subaccounts with their own home directories and passwords; the password is in
 * state only as a secret; a second up and a refresh change nothing; destroying one tenant removes
 * its subaccount alone. Every request is checked against Hetzner's description.
 */
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeHetzner } from "../fakes/hetzner/server";
import { type FakeStorageBox, type FakeSubaccount, passwordProblem } from "../fakes/hetzner/storage-ops";
import { REPO, engineEnv, type EngineEnv } from "./lib/engine";

const TENANTS = ["acme-bakery", "nordlicht-studio"] as const;
const TOKEN = "engine-offsite-token-2b7f";

let fake: FakeHetzner;
let box: FakeStorageBox;
let engine: EngineEnv;
let work: string;

function pulumi(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("pulumi", [...args], { cwd: work, env: { ...process.env, ...engine.env, LETSBE_REPO: REPO }, maxBuffer: 64 * 1024 * 1024, timeout: 300_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`pulumi ${args.join(" ")} failed (${error.code ?? "signal"}):\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}
const run = (stack: string, ...args: string[]) => pulumi([...args, "--stack", stack, "--non-interactive"]);
const subaccountOf = (slug: string): FakeSubaccount | undefined => [...box.subaccounts.values()].find((s) => s.labels.tenant === slug);

/** Every file under a folder, as text (the file backend's state, history and backups). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [readFileSync(path, "utf8")];
  });
}

beforeAll(async () => {
  fake = await FakeHetzner.start({ token: TOKEN, actionMs: 20 });
  box = fake.addStorageBox({ username: "u4711" });
  engine = engineEnv();
  work = mkdtempSync(join(tmpdir(), "letsbe-engine-offsite-"));
  cpSync(join(REPO, "tests", "engine", "programs", "offsite"), work, { recursive: true });
  symlinkSync(join(REPO, "node_modules"), join(work, "node_modules"));
  for (const slug of TENANTS) {
    await pulumi(["stack", "init", slug, "--non-interactive"]);
    await run(slug, "config", "set", "storageBoxId", String(box.id));
    // The Cloud endpoint points nowhere: storage boxes must go to the Hetzner API's.
    await run(slug, "config", "set", "hcloud:endpoint", "http://127.0.0.1:9/v1");
    await run(slug, "config", "set", "hcloud:endpointHetzner", fake.endpoint);
    await run(slug, "config", "set", "--secret", "hcloud:token", TOKEN);
  }
}, 180_000);

afterAll(async () => {
  await fake?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
  if (engine) rmSync(engine.backendDir, { recursive: true, force: true });
});

describe("each tenant's off-site credential under the engine", () => {
  it("up of two tenant stacks makes two subaccounts: own home directory, own password, SFTP only", async () => {
    for (const slug of TENANTS) expect(await run(slug, "up", "--yes")).not.toContain(TOKEN);
    const [a, b] = TENANTS.map((slug) => subaccountOf(slug));
    expect(a?.homeDirectory).toBe("tenants/acme-bakery");
    expect(b?.homeDirectory).toBe("tenants/nordlicht-studio");
    expect(a?.username).not.toBe(b?.username);
    expect(a?.password).not.toBe(b?.password);
    for (const sub of [a, b]) {
      expect(sub?.password).toHaveLength(40);
      expect(passwordProblem(sub?.password ?? "")).toBeUndefined();
      expect(sub?.accessSettings).toEqual({ ssh_enabled: true, samba_enabled: false, webdav_enabled: false, readonly: false, reachable_externally: true });
    }
    const outputs = JSON.parse(await run("acme-bakery", "stack", "output", "--json")) as Record<string, unknown>;
    expect(outputs).toMatchObject({ subaccountId: String(a?.id), username: a?.username, server: `${a?.username}.your-storagebox.de`, homeDirectory: "tenants/acme-bakery", password: "[secret]" });
    const shown = JSON.parse(await run("acme-bakery", "stack", "output", "--json", "--show-secrets")) as Record<string, unknown>;
    expect(shown.password).toBe(a?.password);
    expect(fake.violations).toEqual([]);
  });

  it("state holds each password only as a secret (state files and the export)", async () => {
    const passwords = TENANTS.map((slug) => subaccountOf(slug)?.password ?? "");
    const texts = [...filesUnder(engine.backendDir), ...(await Promise.all(TENANTS.map((slug) => run(slug, "stack", "export"))))];
    expect(texts.length).toBeGreaterThan(2);
    for (const text of texts) for (const password of passwords) expect(text).not.toContain(password);
    const exported = JSON.parse(await run("acme-bakery", "stack", "export")) as { deployment: { resources: Array<{ type: string; outputs?: Record<string, unknown> }> } };
    const sub = exported.deployment.resources.find((r) => r.type === "hcloud:index/storageBoxSubaccount:StorageBoxSubaccount");
    expect(JSON.stringify(sub?.outputs?.password)).toContain("ciphertext");
  });

  it("a second up and a refresh change nothing", async () => {
    const before = fake.log.length;
    for (const slug of TENANTS) {
      await run(slug, "up", "--yes", "--expect-no-changes");
      await run(slug, "refresh", "--yes", "--expect-no-changes");
    }
    expect(fake.log.slice(before).filter((c) => c.method !== "GET")).toEqual([]);
    expect(fake.violations).toEqual([]);
  });

  it("destroying one tenant removes its subaccount and leaves the other's", async () => {
    const other = subaccountOf("nordlicht-studio");
    await run("acme-bakery", "destroy", "--yes");
    expect(subaccountOf("acme-bakery")).toBeUndefined();
    expect(subaccountOf("nordlicht-studio")).toBe(other);
    await run("nordlicht-studio", "destroy", "--yes");
    expect(box.subaccounts.size).toBe(0);
    expect(fake.log.filter((c) => c.operation === "delete_subaccount").map((c) => c.status)).toEqual([201, 201]);
    expect(fake.violations).toEqual([]);
  });
});
