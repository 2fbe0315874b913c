/**
 * The tenant's own off-site credential (components/backup/offsite.ts): a Storage Box subaccount
 * per tenant, chrooted to tenants/<slug>, SFTP only, its password a secret RandomPassword within
 * Hetzner's policy; the offsite stage gets host, user and password on stdin only; the layout
 * stage's remote is the subaccount's; an explicit rclone.conf and a Storage Box exclude each other.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RecordedResource, runUnderMocks } from "../../automation/plan/mockRuntime";
import { tenantRunOptions } from "../../automation/plan/stackConfig";
import { OFFSITE_PASSWORD_SPECIAL, offsiteHomeDirectory, planOffsiteStage, storageBoxIdSchema, tenantOffsite } from "../../components/backup/offsite";
import { Tenant } from "../../components/tenant/tenant";
import { tenantProgram } from "../../stacks/tenant/program";
import { DEFAULT_RELEASE } from "../../tenants/catalog";
import { TenantSpec } from "../../tenants/schema";
import { password } from "../engine/standins/random";
import { passwordProblem } from "../fakes/hetzner/storage-ops";
import { byType, hubFixture, one, specFixture } from "../helpers/fixtures";

const SUBACCOUNT = "hcloud:index/storageBoxSubaccount:StorageBoxSubaccount";
const BOX = 481516;

async function plan(spec: TenantSpec, host: Record<string, unknown> = { offsite: { storageBoxId: BOX } }) {
  return runUnderMocks(async () => {
    const tenant = new Tenant(spec.slug, {
      spec, hub: hubFixture(spec.region), release: DEFAULT_RELEASE,
      host: { provisioningPrivateKey: "key", registrationToken: "reg", ...host },
    });
    return { ipv4: tenant.ipv4 };
  }, {
    project: "letsbe-tenant", stack: spec.slug,
    // What Hetzner computes for a subaccount (the mock runtime alone would leave it unknown).
    answer: async (args) => (args.type === SUBACCOUNT ? { id: "901", state: { ...args.inputs, username: "u4711-sub3", server: "u4711-sub3.your-storagebox.de" } } : undefined),
  });
}

const stageNamed = (resources: readonly RecordedResource[], stage: string) => {
  const found = resources.filter((r) => r.type === "command:remote:Command" && String(r.plainInputs.create ?? "").includes(`LB_STAGE=${stage} `));
  expect(found, `one ${stage} stage`).toHaveLength(1);
  return found[0];
};
const stdinLines = (r: RecordedResource) => Object.fromEntries(String(r.plainInputs.stdin ?? "").split("\n").filter(Boolean)
  .map((line) => [line.slice(0, line.indexOf("=")), Buffer.from(line.slice(line.indexOf("=") + 1), "base64").toString("utf8")]));

describe("a tenant's off-site credential", () => {
  it("is a subaccount of the region's box, home tenants/<slug>, SFTP only, its password a secret", async () => {
    const { resources } = await plan(specFixture());
    const sub = one(resources, SUBACCOUNT);
    expect(sub.plainInputs).toMatchObject({ storageBoxId: BOX, homeDirectory: "tenants/acme-bakery", name: "letsbe-acme-bakery" });
    expect(sub.plainInputs.accessSettings).toEqual({ sshEnabled: true, sambaEnabled: false, webdavEnabled: false, readonly: false, reachableExternally: true });
    expect(sub.secretPaths).toContain("password");
    const pw = resources.find((r) => r.type === "random:index/randomPassword:RandomPassword" && r.name.endsWith("-offsite-password"));
    expect(pw?.plainInputs).toMatchObject({ length: 40, special: true, minUpper: 2, minLower: 2, minNumeric: 2, minSpecial: 2 });
  });

  it("two tenants get two home directories", async () => {
    const a = one((await plan(specFixture())).resources, SUBACCOUNT).plainInputs.homeDirectory;
    const b = one((await plan(specFixture({ slug: "nordlicht-studio", domain: "nordlicht-studio.eu.letsbe.biz" }))).resources, SUBACCOUNT).plainInputs.homeDirectory;
    expect([a, b]).toEqual(["tenants/acme-bakery", "tenants/nordlicht-studio"]);
  });

  it("reaches the host only on the offsite stage's stdin, after the base stages; the layout stage's remote is the subaccount's", async () => {
    const { resources } = await plan(specFixture());
    const offsite = stageNamed(resources, "offsite");
    expect(offsite.secretPaths).toContain("stdin");
    const lines = stdinLines(offsite);
    expect(Object.keys(lines).sort()).toEqual(["OFFSITE_HOST", "OFFSITE_PASSWORD", "OFFSITE_USER"]);
    expect([lines.OFFSITE_HOST, lines.OFFSITE_USER]).toEqual(["u4711-sub3.your-storagebox.de", "u4711-sub3"]);
    expect(lines.OFFSITE_PASSWORD.length).toBeGreaterThanOrEqual(12);
    expect(String(offsite.plainInputs.create)).not.toContain(lines.OFFSITE_PASSWORD);
    expect(String(offsite.plainInputs.create)).toContain("LB_OFFSITE_PORT='22'");
    expect(offsite.dependencies).toContain(stageNamed(resources, "hardening").urn);
    const layout = stageNamed(resources, "layout");
    expect(String(layout.plainInputs.create)).toContain("LB_BACKUP_REMOTE='letsbe-offsite:daily'");
    expect(Object.keys(stdinLines(layout))).not.toContain("BACKUP_RCLONE_CONFIG");
  });

  it("without a Storage Box: no subaccount, the operator's remote and rclone.conf as before", async () => {
    const { resources } = await plan(specFixture(), { backupRemote: "offsite:bucket/acme", backupRcloneConfig: "[offsite]\ntype = s3\n" });
    expect(byType(resources, SUBACCOUNT)).toEqual([]);
    expect(resources.some((r) => String(r.plainInputs.create ?? "").includes("LB_STAGE=offsite "))).toBe(false);
    expect(stdinLines(stageNamed(resources, "layout")).BACKUP_RCLONE_CONFIG).toBe("[offsite]\ntype = s3\n");
  });

  it("a Storage Box and an explicit remote or rclone.conf exclude each other", () => {
    const parent = undefined as never;
    expect(() => tenantOffsite("t", { slug: "t", offsite: { storageBoxId: 1 }, backupRcloneConfig: "x" }, parent)).toThrow(/exclude each other/);
    expect(() => tenantOffsite("t", { slug: "t", offsite: { storageBoxId: 1 }, backupRemote: "r:p" }, parent)).toThrow(/exclude each other/);
  });
});

describe("its parts", () => {
  it("the home directory is a single folder per slug", () => {
    expect(offsiteHomeDirectory("acme-bakery")).toBe("tenants/acme-bakery");
    expect(() => offsiteHomeDirectory("../etc")).toThrow(/not a plain label/);
  });

  it("the generated password keeps Hetzner's policy (checked by the fake's reading of it), 300 times", () => {
    for (let i = 0; i < 300; i++) {
      const made = password({ length: 40, special: true, overrideSpecial: OFFSITE_PASSWORD_SPECIAL, minUpper: 2, minLower: 2, minNumeric: 2, minSpecial: 2 });
      expect(passwordProblem(made)).toBeUndefined();
    }
  });

  it("the Storage Box id from config: digits become a number, anything else is refused", () => {
    expect(storageBoxIdSchema.parse("481516")).toBe(481516);
    for (const bad of ["", "abc", "0", "-4", "1.5", "99999999999999999999"]) expect(storageBoxIdSchema.safeParse(bad).success, bad).toBe(false);
  });

  it("the stage's command carries no host, user or password (they come on stdin) and its secrets are the three", () => {
    const stage = planOffsiteStage();
    expect(stage.secrets).toEqual(["OFFSITE_HOST", "OFFSITE_USER", "OFFSITE_PASSWORD"]);
    expect(stage.command).toBe("LB_STAGE=offsite LB_WITH_SECRETS=1 LB_OFFSITE_PORT='22' LB_OFFSITE_REMOTE='letsbe-offsite' bash /var/lib/letsbe/bootstrap/offsite.sh");
    expect(stage.files[0].content).toContain("rclone obscure -");
  });

  it("the script and the bundle the host receives pass shellcheck at style level", () => {
    const bundle = join(mkdtempSync(join(tmpdir(), "letsbe-offsite-")), "offsite.sh");
    writeFileSync(bundle, planOffsiteStage().files[0].content);
    for (const file of [join(__dirname, "..", "..", "components", "backup", "offsite.sh"), bundle]) {
      const result = spawnSync("shellcheck", ["-x", "-S", "style", file], { encoding: "utf8" });
      expect(result.stdout + result.stderr, file).toBe("");
      expect(result.status).toBe(0);
    }
  });
});

describe("the tenant program's off-site config", () => {
  const options = (extra: Record<string, string>, drop: readonly string[] = ["letsbe-tenant:backupRcloneConfig"], hub: Record<string, unknown> = {}) => {
    const spec = specFixture();
    const base = tenantRunOptions(spec, { org: "letsbe" }, { ...hubFixture(spec.region), ...hub }, []);
    const config = Object.fromEntries(Object.entries({ ...base.config, ...extra }).filter(([k]) => !drop.includes(k)));
    return { ...base, config, secretConfigKeys: (base.secretConfigKeys ?? []).filter((k) => !drop.includes(k)) };
  };

  it("letsbe-tenant:offsiteStorageBoxId makes the subaccount", async () => {
    const { resources } = await runUnderMocks(tenantProgram, options({ "letsbe-tenant:offsiteStorageBoxId": "77" }));
    expect(one(resources, SUBACCOUNT).plainInputs.storageBoxId).toBe(77);
  });

  it("without it, the hub contract's offsiteStorageBoxId is the region's default; the stack's own wins", async () => {
    const fromHub = await runUnderMocks(tenantProgram, options({}, undefined, { offsiteStorageBoxId: 4242 }));
    expect(one(fromHub.resources, SUBACCOUNT).plainInputs).toMatchObject({ storageBoxId: 4242, homeDirectory: "tenants/acme-bakery" });
    const own = await runUnderMocks(tenantProgram, options({ "letsbe-tenant:offsiteStorageBoxId": "77" }, undefined, { offsiteStorageBoxId: 4242 }));
    expect(one(own.resources, SUBACCOUNT).plainInputs.storageBoxId).toBe(77);
  });

  it("a stack with the operator's backupRcloneConfig keeps it over the region's default (no subaccount)", async () => {
    const { resources } = await runUnderMocks(tenantProgram, options({}, [], { offsiteStorageBoxId: 4242 }));
    expect(byType(resources, SUBACCOUNT)).toEqual([]);
    expect(Object.keys(stdinLines(stageNamed(resources, "layout")))).toContain("BACKUP_RCLONE_CONFIG");
  });

  it("neither: no subaccount, as before", async () => {
    expect(byType((await runUnderMocks(tenantProgram, options({}))).resources, SUBACCOUNT)).toEqual([]);
  });

  it("a malformed id is refused, naming the key", async () => {
    await expect(runUnderMocks(tenantProgram, options({ "letsbe-tenant:offsiteStorageBoxId": "box-7" }))).rejects.toThrow(/letsbe-tenant:offsiteStorageBoxId.*whole number/);
  });

  it("together with backupRcloneConfig or backupRemote it is refused, naming both keys", async () => {
    await expect(runUnderMocks(tenantProgram, options({ "letsbe-tenant:offsiteStorageBoxId": "77" }, []))).rejects.toThrow(/offsiteStorageBoxId.*letsbe-tenant:backupRcloneConfig must not be/);
    await expect(runUnderMocks(tenantProgram, options({ "letsbe-tenant:offsiteStorageBoxId": "77", "letsbe-tenant:backupRemote": "r:p" }))).rejects.toThrow(/letsbe-tenant:backupRemote must not be/);
  });
});
