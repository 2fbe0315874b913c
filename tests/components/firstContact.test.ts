/**
 * FirstContact (components/host/firstContact.ts): what is a change (a new installation or plan
 * only), what its inputs must be, and its run over SSH against an sshd on 127.0.0.1 (ssh2's
 * server running commands in a real `sh`), through the provider as the engine loads it. The real
 * Debian host and engine run it in tests/engine/wireguard.test.ts.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RecordedResource } from "../../automation/plan/mockRuntime";
import type { FirstContactInputs, FirstContactOutputs } from "../../components/host/firstContact";
import { diffFirstContact, firstContactFailures } from "../../components/host/firstContact";
import { registeredProvider, requireDist } from "../netcup/helpers";
import { FakeSshHost } from "../netcup/sshHost";
import { ed25519Pair } from "../fixtures/ed25519";

const TYPE = "pulumi-nodejs:dynamic/letsbe:FirstContact";
const pair = ed25519Pair("provisioning@letsbe");
const other = ed25519Pair("rotated@letsbe");
const SPOKE_KEY = "hIt6Gk0dL1CeYo0mBfN2T7T6bF9L3xL0gXkQXG3o3kE=";

function olds(overrides: Partial<FirstContactOutputs> = {}): FirstContactOutputs {
  return {
    label: "WireGuard spoke acme", host: "198.51.100.20", port: 22, user: "root", privateKey: pair.private,
    hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKeyRecordedAtInstallxxxxxxxxxxxxxxxx", remotePath: "/var/lib/letsbe/bootstrap/wireguard.sh",
    script: "#!/usr/bin/env bash\necho v1\n", command: "LB_STAGE=wireguard bash /var/lib/letsbe/bootstrap/wireguard.sh",
    identity: "4711@2026-12-01T10:00:00Z", trigger: "a".repeat(64), providerVersion: "1.0.0", stdout: "", ...overrides,
  };
}

describe("FirstContact: a change", () => {
  it("of the script, the connection or the provider version is no change: it never runs again for them", () => {
    const base = olds();
    for (const news of [
      { ...base, script: "#!/usr/bin/env bash\necho v2\n" },
      { ...base, privateKey: other.private },
      { ...base, host: "10.200.0.2", port: 2222, user: "admin" },
      { ...base, hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAnotherKeyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy" },
      { ...base, command: `${base.command} # reworded`, providerVersion: "2.0.0", label: "renamed" },
    ]) {
      expect(diffFirstContact(base, news)).toEqual({ changes: false });
    }
  });

  it("of the installation or the plan replaces it, run with the new inputs", () => {
    const base = olds();
    expect(diffFirstContact(base, { ...base, identity: "4711@2026-12-02T08:00:00Z" })).toEqual({ changes: true, replaces: ["identity"], deleteBeforeReplace: false });
    expect(diffFirstContact(base, { ...base, trigger: "b".repeat(64) })).toEqual({ changes: true, replaces: ["trigger"], deleteBeforeReplace: false });
    // The engine's placeholder for a server being replaced in a preview.
    expect(diffFirstContact(base, { ...base, identity: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" }).replaces).toEqual(["identity"]);
  });
});

describe("FirstContact: its inputs", () => {
  const never = () => false;
  it("refuses each malformed input by name", () => {
    const failures = firstContactFailures({ ...olds(), host: "", port: 70000, user: "Root!", hostKey: "", remotePath: "relative/x.sh", privateKey: "" }, never);
    expect(failures.map((f) => f.property).sort()).toEqual(["host", "hostKey", "port", "privateKey", "remotePath", "user"]);
    expect(failures.find((f) => f.property === "hostKey")?.reason).toMatch(/recorded at install.*pinned/);
    expect(JSON.stringify(failures)).not.toContain("PRIVATE KEY-----\n");
  });

  it("takes well-formed inputs, and lets values not known in a preview pass", () => {
    expect(firstContactFailures(olds(), never)).toEqual([]);
    const unknown = (v: unknown) => v === "?";
    expect(firstContactFailures({ ...olds(), host: "?", hostKey: "?", privateKey: "?" }, unknown)).toEqual([]);
  });
});

type Provider = {
  check(olds: unknown, news: FirstContactInputs): Promise<{ failures: unknown[] }>;
  create(inputs: FirstContactInputs): Promise<{ id: string; outs: FirstContactOutputs }>;
  diff(id: string, olds: FirstContactOutputs, news: FirstContactInputs): Promise<{ changes: boolean }>;
};

describe("FirstContact over SSH, through the serialized provider", () => {
  let host: FakeSshHost;
  let dir: string;
  beforeEach(async () => {
    host = await FakeSshHost.start();
    host.install([pair.public]);
    dir = mkdtempSync(join(tmpdir(), "letsbe-first-contact-"));
  });
  afterEach(async () => {
    await host.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function declared(overrides: { hostKey?: string; command?: string } = {}) {
    const { runUnderMocks } = requireDist<typeof import("../../automation/plan/mockRuntime")>("automation/plan/mockRuntime");
    const { FirstContact } = requireDist<typeof import("../../components/host/firstContact")>("components/host/firstContact");
    const script = `#!/bin/sh\necho "letsbe-wireguard public-key=${SPOKE_KEY}"\n`;
    const run = await runUnderMocks(() => {
      new FirstContact("acme-host-wg-init", {
        label: "WireGuard spoke acme",
        connection: { host: "127.0.0.1", port: host.port, user: "root", privateKey: pair.private, hostKey: overrides.hostKey ?? host.hostKeyLine },
        file: { remotePath: join(dir, "sub", "wireguard.sh"), content: script },
        command: overrides.command ?? `sh ${join(dir, "sub", "wireguard.sh")}`,
        identity: "1@t0", trigger: "c".repeat(64),
      });
    }, { project: "letsbe-tenant", stack: "acme" });
    const loaded = registeredProvider<Provider>(run.resources as RecordedResource[], TYPE);
    return { ...loaded, inputs: loaded.registration.plainInputs as unknown as FirstContactInputs };
  }

  it("writes the script (mode 0600), runs the command and returns its output; the private key is a secret", async () => {
    const { provider, inputs, registration } = await declared();
    expect(registration.secretPaths).toContain("privateKey");
    expect(JSON.stringify(registration.inputs)).not.toContain(pair.private.trim());
    expect(inputs).toMatchObject({ host: "127.0.0.1", port: host.port, user: "root", hostKey: host.hostKeyLine });
    expect((await provider.check(undefined, inputs)).failures).toEqual([]);
    const { outs } = await provider.create(inputs);
    expect(outs.stdout).toBe(`letsbe-wireguard public-key=${SPOKE_KEY}\n`);
    const written = join(dir, "sub", "wireguard.sh");
    expect(readFileSync(written, "utf8")).toBe(inputs.script);
    expect(statSync(written).mode & 0o777).toBe(0o600);
    expect(host.logins).toHaveLength(1);
  });

  it("a host key other than the recorded one: refused before logging in, nothing written", async () => {
    const { provider, inputs } = await declared({ hostKey: other.public.trim().split(/\s+/).slice(0, 2).join(" ") });
    await expect(provider.create(inputs)).rejects.toThrow(/WireGuard spoke acme \(root@127\.0\.0\.1:\d+\): the host presented a key other than the one recorded at install; refused before logging in/);
    expect(host.logins).toEqual([]);
    expect(existsSync(join(dir, "sub"))).toBe(false);
  });

  it("a failing command: the error names whose first contact it was and shows the command's stderr, never the key", async () => {
    const { provider, inputs } = await declared({ command: "echo 'wg: no tun device' >&2; exit 3" });
    const error = await provider.create(inputs).then(() => undefined, (e: unknown) => e as Error);
    expect(error?.message).toMatch(/^first contact with WireGuard spoke acme \(root@127\.0\.0\.1:\d+\): the command exited 3: wg: no tun device$/);
    expect(error?.message).not.toContain("PRIVATE KEY");
  });
});
