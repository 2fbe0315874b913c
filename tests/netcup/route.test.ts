/**
 * The SSH route of a WireGuard spoke's key rotation (`sshJump`, `sshTunnelAddress`): check()
 * refuses a malformed route naming the property, diff treats a route change alone as an in-place
 * update, and a netcup spoke tenant hands its hub's jump host and its tunnel address to the
 * NetcupServer. (The rotation through a real jump host: tests/engine/netcupJump.test.ts.)
 */
import type * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { runUnderMocks } from "../../automation/plan/mockRuntime";
import { tenantRunOptions } from "../../automation/plan/stackConfig";
import { diffServer, type NetcupServerInputs, type NetcupServerOutputs } from "../../components/netcup/lifecycle";
import type { HubOutputs } from "../../contracts/hub";
import { tenantProgram } from "../../stacks/tenant/program";
import { hubFixture, one, specFixture } from "../helpers/fixtures";
import { fakeForEachTest, inputsFor, loadSerializedProvider } from "./helpers";

const NETCUP = "pulumi-nodejs:dynamic/netcup:Server";
const HOST_KEY = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBhub=";
const JUMP = { host: "203.0.113.5", port: 22, user: "root", hostKey: HOST_KEY };
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const startFake = fakeForEachTest();

async function failuresOf(route: Record<string, unknown>): Promise<pulumi.dynamic.CheckFailure[]> {
  const fake = await startFake();
  const { provider, inputs } = await loadSerializedProvider(fake);
  const checked = await provider.check({}, { ...inputs, ...route });
  return checked.failures ?? [];
}

describe("check(): the SSH route inputs", () => {
  it("takes a jump host as the hub contract describes it together with a tunnel address", async () => {
    expect(await failuresOf({ sshJump: JUMP, sshTunnelAddress: "10.200.0.2" })).toEqual([]);
    expect(await failuresOf({})).toEqual([]);
  });

  it("refuses one without the other, naming the missing one", async () => {
    expect(await failuresOf({ sshJump: JUMP })).toEqual([{ property: "sshTunnelAddress", reason: expect.stringContaining("go together") }]);
    expect(await failuresOf({ sshTunnelAddress: "10.200.0.2" })).toEqual([{ property: "sshJump", reason: expect.stringContaining("go together") }]);
  });

  it("refuses each malformed field by its path", async () => {
    const failures = await failuresOf({
      sshJump: { host: "hub.example", port: 0, user: "Root!", hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5" },
      sshTunnelAddress: "10.200.0.300",
    });
    expect(failures.map((f) => f.property).sort()).toEqual(["sshJump.host", "sshJump.hostKey", "sshJump.port", "sshJump.user", "sshTunnelAddress"]);
    expect(failures.find((f) => f.property === "sshJump.hostKey")?.reason).toMatch(/ecdsa-sha2-nistp256 host key/);
  });

  it("refuses a jump that is no object, and unknown fields", async () => {
    expect(await failuresOf({ sshJump: "root@203.0.113.5", sshTunnelAddress: "10.200.0.2" })).toEqual([{ property: "sshJump", reason: expect.stringContaining("{host, port, user, hostKey}") }]);
    expect(await failuresOf({ sshJump: { ...JUMP, password: "x" }, sshTunnelAddress: "10.200.0.2" })).toEqual([{ property: "sshJump", reason: expect.stringContaining("password") }]);
  });

  it("lets values not known yet in a preview pass", async () => {
    expect(await failuresOf({ sshJump: UNKNOWN, sshTunnelAddress: UNKNOWN })).toEqual([]);
    expect(await failuresOf({ sshJump: { ...JUMP, hostKey: UNKNOWN }, sshTunnelAddress: "10.200.0.2" })).toEqual([]);
  });
});

describe("diff: the route alone", () => {
  const outs = (overrides: Partial<NetcupServerInputs>): NetcupServerOutputs => ({
    ...inputsFor({ apiUrl: "https://scp.example/scp-core", tokenUrl: "https://scp.example/token", refreshToken: "rt" } as never, overrides),
    serverId: "1", serverName: "v2202611000000001", ipv4: "198.18.0.2", ipv6: "2001:db8::1", imageFlavour: "Debian 13.2 UEFI", imageFlavourId: 7, installedAt: "2026-12-01T00:00:00Z",
  });
  const news = (overrides: Partial<NetcupServerInputs>): NetcupServerInputs =>
    inputsFor({ apiUrl: "https://scp.example/scp-core", tokenUrl: "https://scp.example/token", refreshToken: "rt" } as never, overrides);
  const route = { sshJump: JUMP, sshTunnelAddress: "10.200.0.2" };

  it("added, removed or changed alone: no change (the next key rotation reads the new route)", () => {
    const none = { changes: false, replaces: [], deleteBeforeReplace: false };
    expect(diffServer(outs({}), news(route))).toEqual(none);
    expect(diffServer(outs(route), news({}))).toEqual(none);
    expect(diffServer(outs(route), news({ ...route, sshTunnelAddress: "10.200.0.3" }))).toEqual(none);
    expect(diffServer(outs(route), news({ ...route, sshJump: { ...JUMP, port: 2222 } }))).toEqual(none);
  });

  it("with a key change beside it: an in-place update, never a replacement", () => {
    const rotated = { ...route, sshPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOtherKeyOtherKeyOtherKeyOtherKeyOtherKe rotated" };
    expect(diffServer(outs({}), news(rotated))).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
  });
});

describe("a netcup tenant that is a WireGuard spoke", () => {
  const WIREGUARD: NonNullable<HubOutputs["wireguard"]> = {
    network: "10.200.0.0/16", port: 51820, publicKey: `${"H".repeat(42)}0=`, endpoint: "203.0.113.5:51820", hubAddress: "10.200.0.1", jump: JUMP,
  };
  async function serverOf(tunnelAddress: string | undefined) {
    const spec = specFixture({ provider: "netcup" });
    const options = tenantRunOptions(spec, { org: "letsbe" }, { ...hubFixture(), wireguard: WIREGUARD }, []);
    const { resources } = await runUnderMocks(tenantProgram, {
      ...options,
      config: { ...options.config, ...(tunnelAddress === undefined ? {} : { "letsbe-tenant:tunnelAddress": tunnelAddress }) },
    });
    return one(resources, NETCUP);
  }

  it("hands the NetcupServer its hub's jump host and its tunnel address", async () => {
    expect((await serverOf("10.200.0.2")).plainInputs).toMatchObject({ sshJump: JUMP, sshTunnelAddress: "10.200.0.2" });
  });

  it("without a tunnel address (not a spoke): no route, the rotation uses the public address", async () => {
    const inputs = (await serverOf(undefined)).plainInputs;
    expect(inputs.sshJump).toBeUndefined();
    expect(inputs.sshTunnelAddress).toBeUndefined();
  });
});
