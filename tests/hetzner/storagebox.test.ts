/**
 * StorageBoxSubaccount: the hcloud stand-in's handler against the fake Hetzner API (storage box
 * endpoints of Hetzner's published description), through the generic stand-in provider.
 */
import type { Provider } from "@pulumi/pulumi/provider";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SIG_KEY, secret, setProviderConfig } from "../engine/standins/config";
import { standInProvider } from "../engine/standins/generic";
import { hcloudHandlers } from "../engine/standins/hcloud";
import { FakeHetzner } from "../fakes/hetzner/server";
import { createValidator } from "../fakes/hetzner/spec";
import { type FakeStorageBox, passwordProblem } from "../fakes/hetzner/storage-ops";

const SUB = "urn:pulumi:t::letsbe-tenant::hcloud:index/storageBoxSubaccount:StorageBoxSubaccount::t-offsite";
const TOKEN = "storagebox-test-token-8c1e";
const PASSWORD = "Kx7-mQ2.vR9_tL4+wZ";

const provider = standInProvider("hcloud", "1.41.0", hcloudHandlers) as Required<Provider>;
let fake: FakeHetzner;
let box: FakeStorageBox;

beforeAll(() => createValidator(), 60_000);
beforeEach(async () => {
  fake = await FakeHetzner.start({ token: TOKEN, actionMs: 5 });
  box = fake.addStorageBox({ username: "u4711" });
  // Storage boxes are the Hetzner API's (endpointHetzner); the Cloud endpoint is set too, and must not be the one used.
  setProviderConfig({ endpoint: "http://127.0.0.1:9/v1", endpointHetzner: fake.endpoint, token: secret(TOKEN) });
});
afterEach(async () => {
  setProviderConfig({});
  await fake.stop();
});

const inputs = (slug: string, password = PASSWORD) => ({
  storageBoxId: box.id, name: `letsbe-${slug}`, description: `LetsBe tenant ${slug}`, homeDirectory: `tenants/${slug}`, password: secret(password),
  accessSettings: { sshEnabled: true, sambaEnabled: false, webdavEnabled: false, readonly: false, reachableExternally: true }, labels: { tenant: slug },
});

describe("StorageBoxSubaccount stand-in", () => {
  it("creates a subaccount with its home directory, SFTP only, the password as sent; reads it; deletes it", async () => {
    const created = await provider.create(SUB, inputs("acme-bakery"));
    const sub = box.subaccounts.get(Number(created.id));
    expect(sub).toMatchObject({ homeDirectory: "tenants/acme-bakery", password: PASSWORD, username: "u4711-sub1", name: "letsbe-acme-bakery" });
    expect(sub?.accessSettings).toEqual({ ssh_enabled: true, samba_enabled: false, webdav_enabled: false, readonly: false, reachable_externally: true });
    expect(created.outs).toMatchObject({ storageBoxId: box.id, username: "u4711-sub1", server: "u4711-sub1.your-storagebox.de", homeDirectory: "tenants/acme-bakery" });
    // The password output stays in the engine's secret envelope.
    expect((created.outs?.password as Record<string, unknown>)[SIG_KEY]).toBeDefined();

    const read = await provider.read(String(created.id), SUB, created.outs);
    expect(read.props).toMatchObject({ username: "u4711-sub1", server: "u4711-sub1.your-storagebox.de" });

    await provider.delete(String(created.id), SUB, created.outs ?? {});
    expect(box.subaccounts.size).toBe(0);
    expect((await provider.read(String(created.id), SUB, created.outs)).props).toBeUndefined();
    // A second delete of what is gone passes (404), as the provider's does.
    await provider.delete(String(created.id), SUB, created.outs ?? {});
    expect(fake.log.filter((c) => c.operation === "get_storage_box_action").length).toBeGreaterThan(0);
    expect(fake.violations).toEqual([]);
  });

  it("leaves every access flag the program does not set off (the provider's defaults)", async () => {
    const created = await provider.create(SUB, { storageBoxId: box.id, homeDirectory: "tenants/x", password: secret(PASSWORD) });
    expect(box.subaccounts.get(Number(created.id))?.accessSettings).toEqual({ ssh_enabled: false, samba_enabled: false, webdav_enabled: false, readonly: false, reachable_externally: false });
    expect(fake.violations).toEqual([]);
  });

  it("a new password is reset through the action, a new home directory changed; a new storage box replaces", async () => {
    const created = await provider.create(SUB, inputs("acme-bakery"));
    const next = { ...inputs("acme-bakery", "Zz9!newPassword-42"), homeDirectory: "tenants/acme-bakery-2" };
    const diff = await provider.diff(String(created.id), SUB, created.outs ?? {}, next);
    expect(diff.replaces).toEqual([]);
    await provider.update(String(created.id), SUB, created.outs ?? {}, next);
    expect(box.subaccounts.get(Number(created.id))).toMatchObject({ password: "Zz9!newPassword-42", homeDirectory: "tenants/acme-bakery-2" });
    const moved = await provider.diff(String(created.id), SUB, created.outs ?? {}, { ...next, storageBoxId: box.id + 1 });
    expect(moved.replaces).toEqual(["storageBoxId"]);
    expect(fake.log.map((c) => c.operation)).toEqual(expect.arrayContaining(["reset_storage_box_subaccount_password", "change_home_directory", "replace_subaccount"]));
    expect(fake.violations).toEqual([]);
  });

  it("two tenants on one box get two accounts with their own homes", async () => {
    const a = await provider.create(SUB, inputs("acme-bakery"));
    const b = await provider.create(SUB, inputs("nordlicht-studio", "Other-Pass.9876x"));
    expect(a.outs?.username).not.toBe(b.outs?.username);
    expect([...box.subaccounts.values()].map((s) => s.homeDirectory).sort()).toEqual(["tenants/acme-bakery", "tenants/nordlicht-studio"]);
  });

  it("retries a create the box refuses while it is locked", async () => {
    fake.faults.push({ operation: "create_subaccount", status: 423, code: "locked", times: 2 });
    const created = await provider.create(SUB, inputs("acme-bakery"));
    expect(box.subaccounts.has(Number(created.id))).toBe(true);
    expect(fake.log.filter((c) => c.operation === "create_subaccount").map((c) => c.status)).toEqual([423, 423, 201]);
  });

  it("a password against the policy is refused by the fake, and the error names no password", async () => {
    const weak = "short1A!";
    await expect(provider.create(SUB, inputs("acme-bakery", weak))).rejects.toThrow(/422 invalid_input: password must be 12 to 128/);
    await expect(provider.create(SUB, inputs("acme-bakery", weak))).rejects.not.toThrow(weak);
    expect(box.subaccounts.size).toBe(0);
  });

  it("a home directory outside the description's pattern breaks the description", async () => {
    await expect(provider.create(SUB, { ...inputs("x"), homeDirectory: "tenants/a;b" })).rejects.toThrow(/400/);
    expect(fake.violations.join("\n")).toMatch(/home_directory/);
  });
});

describe("the fake's Storage Box password policy (from the description's storage_boxes tag)", () => {
  it.each([
    ["Abcdefghij1!", undefined],
    ["abcdefghij1!", "upper case"],
    ["ABCDEFGHIJ1!", "lower case"],
    ["Abcdefghijk!", "number"],
    ["Abcdefghijk1", "special"],
    ["Abcdefgh1!", "12 to 128"],
    ["Abcdefghij1!<", "outside the allowed set"],
    ["Äbcdefghij1§", undefined],
  ])("%s -> %s", (password, problem) => {
    const found = passwordProblem(password);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toContain(problem);
  });
});
