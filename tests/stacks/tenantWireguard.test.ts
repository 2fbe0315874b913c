/**
 * The tenant program as a spoke: the hub contract's `wireguard` output plus the stack's
 * `letsbe-tenant:tunnelAddress`. First contact on the public address, the peer on the hub, then
 * every stage (compose included) at the tunnel address through the hub as jump host.
 */
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it, vi } from "vitest";
import { MockRunOptions, RecordedResource, runUnderMocks } from "../../automation/plan/mockRuntime";
import { tenantRunOptions } from "../../automation/plan/stackConfig";
import { BASE_STAGES } from "../../components/host";
import { Tenant } from "../../components/tenant/tenant";
import { DEFAULT_RELEASE } from "../../tenants/catalog";
import { HubOutputs } from "../../contracts/hub";
import { tenantProgram } from "../../stacks/tenant/program";
import { InvalidInputError } from "../../tenants/schema";
import { hubFixture, named, specFixture } from "../helpers/fixtures";

const HUB_KEY = `${"H".repeat(42)}0=`;
const SPOKE_KEY = `${"s".repeat(42)}k=`;
const TENANT_HOST_KEY = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBtenant";
const HUB_HOST_KEY = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBhub";
const WIREGUARD: NonNullable<HubOutputs["wireguard"]> = {
  network: "10.200.0.0/16", port: 51820, publicKey: HUB_KEY, endpoint: "203.0.113.5:51820", hubAddress: "10.200.0.1",
  jump: { host: "203.0.113.5", port: 22, user: "root", hostKey: HUB_HOST_KEY },
};

function run(tunnelAddress: string | undefined, wireguard: HubOutputs["wireguard"] | null = WIREGUARD, extra: Partial<MockRunOptions> = {}) {
  const spec = specFixture();
  const options = tenantRunOptions(spec, { org: "letsbe" }, { ...hubFixture(), ...(wireguard ? { wireguard } : {}) }, []);
  return runUnderMocks(tenantProgram, {
    ...options,
    config: { ...options.config, ...(tunnelAddress === undefined ? {} : { "letsbe-tenant:tunnelAddress": tunnelAddress }) },
    answer: async (a) => {
      if (a.name.endsWith("-host-key")) return { id: a.name, state: { ...a.inputs, stdout: `${TENANT_HOST_KEY}\n` } };
      if (a.name.endsWith("-wg-init")) return { id: a.name, state: { ...a.inputs, stdout: `letsbe-wireguard public-key=${SPOKE_KEY}\n` } };
      return undefined;
    },
    ...extra,
  });
}

const connection = (r: RecordedResource) => r.plainInputs.connection as Record<string, unknown>;

async function rejection(promise: Promise<unknown>): Promise<InvalidInputError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(InvalidInputError);
  return error as InvalidInputError;
}

describe("tenant program as a WireGuard spoke", () => {
  it("makes first contact on the public address, then adds its peer on the hub, pinned to the hub's host key", async () => {
    const { resources } = await run("10.200.0.2");
    // The public address: where the host key was recorded (the mock's 100.64/10 address).
    const publicIp = connection(named(resources, "acme-bakery-host-host-key")).host;
    expect(publicIp).toMatch(/^100\./);
    const init = named(resources, "acme-bakery-host-wg-init");
    // A FirstContact: its connection flat, the private key a secret, no jump host at all.
    expect(init.type).toBe("pulumi-nodejs:dynamic/letsbe:FirstContact");
    expect(init.plainInputs).toMatchObject({ host: publicIp, port: 22, user: "root", hostKey: TENANT_HOST_KEY });
    expect(init.plainInputs.proxy).toBeUndefined();
    expect(String(init.plainInputs.command)).toContain("LB_WG_ROLE='spoke' LB_WG_ADDRESS='10.200.0.2' LB_WG_HUB_ENDPOINT='203.0.113.5:51820'");
    expect(init.dependencies).toContain(named(resources, "acme-bakery-host-host-key").urn);

    const peer = named(resources, "acme-bakery-host-wg-peer");
    expect(connection(peer)).toMatchObject({ host: "203.0.113.5", port: 22, user: "root", hostKey: HUB_HOST_KEY });
    expect(String(peer.plainInputs.create)).toContain(`LB_WG_PEER_NAME='acme-bakery' LB_WG_PEER_STATE='present' LB_WG_PEER_KEY='${SPOKE_KEY}' LB_WG_PEER_ADDRESS='10.200.0.2'`);
    expect(String(peer.plainInputs.delete)).toContain("LB_WG_PEER_STATE='absent'");
    expect(peer.dependencies).toContain(init.urn);
  });

  it("runs every base stage and the compose stage at the tunnel address through the hub, SSH moving onto the tunnel", async () => {
    const { resources } = await run("10.200.0.2");
    const stages = [...BASE_STAGES, "compose"].map((s) => named(resources, `acme-bakery-host-${s}`));
    for (const stage of stages) {
      expect(connection(stage), stage.name).toMatchObject({ host: "10.200.0.2", hostKey: TENANT_HOST_KEY });
      expect(connection(stage).proxy, stage.name).toMatchObject({ host: "203.0.113.5", port: 22, user: "root", hostKey: HUB_HOST_KEY });
      expect((connection(stage).proxy as Record<string, unknown>).proxy, stage.name).toBeUndefined();
      expect(stage.secretPaths, stage.name).toContain("connection");
    }
    expect(named(resources, "acme-bakery-host-system").dependencies).toContain(named(resources, "acme-bakery-host-wg-peer").urn);
    for (const name of ["firewall", "ssh"]) expect(String(named(resources, `acme-bakery-host-${name}`).plainInputs.create)).toContain("LB_SSH_TUNNEL='wg-letsbe 10.200.0.2'");
  });

  it("stays on the public address, as before the network, without a tunnel address", async () => {
    const { resources } = await run(undefined);
    expect(resources.filter((r) => r.name.includes("-wg-"))).toEqual([]);
    const firewall = named(resources, "acme-bakery-host-firewall");
    expect(connection(firewall).proxy).toBeUndefined();
    expect(String(firewall.plainInputs.create)).not.toContain("LB_SSH_TUNNEL");
  });

  it("refuses a tunnel address the hub's network cannot give it, naming the key, and creates nothing", async () => {
    const source = "stack acme-bakery config letsbe-tenant:tunnelAddress";
    for (const [address, message] of [
      ["10.201.0.2", "10.201.0.2 is not a spoke address of 10.200.0.0/16 (the hub holds 10.200.0.1)"],
      ["10.200.0.1", "10.200.0.1 is not a spoke address of 10.200.0.0/16 (the hub holds 10.200.0.1)"],
      ["10.200.0", "must be an IPv4 address"],
    ]) {
      const recorded: RecordedResource[] = [];
      const error = await rejection(run(address, WIREGUARD, { recordInto: recorded }));
      expect(error.problems).toEqual([{ source, path: "", message }]);
      expect(recorded.map((r) => r.type).sort()).toEqual(["pulumi:pulumi:Stack", "pulumi:pulumi:StackReference"]);
    }
  });

  it("keeps public SSH, warning, while its hub exports no network yet (the hub's config merged, its `up` not run)", async () => {
    const warn = vi.spyOn(pulumi.log, "warn").mockImplementation(() => Promise.resolve());
    try {
      const { resources } = await run("10.200.0.2", null);
      expect(resources.filter((r) => r.name.includes("-wg-"))).toEqual([]);
      const stages = [...BASE_STAGES, "compose"].map((s) => named(resources, `acme-bakery-host-${s}`));
      for (const stage of stages) {
        expect(connection(stage).host, stage.name).toMatch(/^100\./);
        expect(connection(stage).proxy, stage.name).toBeUndefined();
        expect(String(stage.plainInputs.create), stage.name).not.toContain("LB_SSH_TUNNEL");
      }
      expect(warn.mock.calls.map((c) => c[0])).toEqual([
        "tenant \"acme-bakery\" has tunnel address 10.200.0.2 but its hub exports no WireGuard network yet: SSH stays on the public address; it switches to the tunnel at its first `up` after the hub exports its network",
      ]);
    } finally {
      warn.mockRestore();
    }
  });

  it("declares the same stages with that address as with none, so nothing changes on the host until the switch", async () => {
    const warn = vi.spyOn(pulumi.log, "warn").mockImplementation(() => Promise.resolve());
    try {
      const waiting = (await run("10.200.0.2", null)).resources;
      const none = (await run(undefined, null)).resources;
      const shape = (list: RecordedResource[]) => list.map((r) => [r.urn, JSON.stringify(r.plainInputs)]);
      expect(shape(waiting)).toEqual(shape(none));
    } finally {
      warn.mockRestore();
    }
  });
});

describe("Tenant component as a spoke", () => {
  it("refuses an address outside the hub's network, naming the tenant and the hub's address", async () => {
    const spec = specFixture();
    const error = await runUnderMocks(async () => {
      new Tenant(spec.slug, {
        spec, hub: { ...hubFixture(), wireguard: WIREGUARD }, release: DEFAULT_RELEASE,
        host: { provisioningPrivateKey: "key", tunnelAddress: "10.201.0.2" },
      });
      return {};
    }, { project: "letsbe-tenant", stack: spec.slug }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(pulumi.InputPropertyError);
    expect((error as pulumi.InputPropertyError).reason).toBe("tenant \"acme-bakery\": 10.201.0.2 is not a spoke address of 10.200.0.0/16 (the hub holds 10.200.0.1)");
    expect((error as pulumi.InputPropertyError).propertyPath).toBe("host.tunnelAddress");
  });
});
