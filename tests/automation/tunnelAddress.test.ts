/**
 * Tunnel addresses chosen by the order flow (issue 16 part 3): a new tenant of a region whose hub has a
 * WireGuard network gets the lowest spoke address no active tenant of the region holds, written into its
 * stack config as `letsbe-tenant:tunnelAddress`; an existing tenant keeps its address; a destroyed one
 * frees it. On the test backend's file record (the simulated backend's store).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseOrder } from "../../automation/orders/schema";
import { TenantRecord } from "../../automation/orders/store";
import { repoWireguardNetwork } from "../../automation/orders/tunnel";
import type { OperationResult, StackOperation, TenantWorkspace } from "../../automation/workspace/types";
import { InvalidInputError } from "../../tenants/schema";
import { FileTenantStore } from "./fileTenantStore";
import { orderInput, simulatedFlow } from "./support";

const KEY = "letsbe-tenant:tunnelAddress";
const EU_NET = "10.200.0.0/16";

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "letsbe-tunnel-"));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * A workspace that only keeps the config of every operation it is handed (what the flow writes into the
 * stack): the tenant program's own handling of the address is tests/stacks/tenantWireguard.test.ts's.
 */
class Recording implements TenantWorkspace {
  readonly kind = "recording";
  readonly configs: Array<{ slug: string; op: string; tunnel?: string }> = [];
  private async seen(op: StackOperation, kind: string): Promise<OperationResult> {
    this.configs.push({ slug: op.slug, op: kind, ...(op.config[KEY] ? { tunnel: op.config[KEY].value } : {}) });
    // Operations overlap as real ones do.
    await new Promise((r) => setTimeout(r, 5));
    return { outputs: {}, changes: { create: 1 } };
  }
  up(op: StackOperation) { return this.seen(op, "up"); }
  preview(op: StackOperation) { return this.seen(op, "preview"); }
  destroy(op: StackOperation) { return this.seen(op, "destroy"); }
  refresh(op: StackOperation) { return this.seen(op, "refresh"); }
}

async function setup(networks: Record<string, string | undefined> = { eu: EU_NET }) {
  const recordDir = tempDir();
  const store = new FileTenantStore(recordDir);
  const workspace = new Recording();
  const { flow } = await simulatedFlow({}, { workspace, store, wireguardNetwork: (region) => networks[region] });
  return { flow, store, workspace, recordDir };
}

const order = (slug: string, tenant: Record<string, unknown> = {}) => parseOrder(orderInput(slug, {}, tenant));
const lastUp = (ws: Recording, slug: string) => ws.configs.filter((c) => c.slug === slug && c.op === "up").at(-1);

describe("tunnel addresses from the fleet record", () => {
  it("gives new tenants the lowest free spoke addresses and writes each into its stack config", async () => {
    const { flow, store, workspace, recordDir } = await setup();
    expect((await flow.provision(order("tun-one"))).ok).toBe(true);
    expect((await flow.provision(order("tun-two"))).ok).toBe(true);
    // The hub holds 10.200.0.1; spokes start after it.
    expect(lastUp(workspace, "tun-one")?.tunnel).toBe("10.200.0.2");
    expect(lastUp(workspace, "tun-two")?.tunnel).toBe("10.200.0.3");
    expect((await store.get("tun-one"))?.tunnelAddress).toBe("10.200.0.2");
    // The record outlives the process: a fresh store over the same folder reads it back.
    expect((await new FileTenantStore(recordDir).get("tun-two"))?.tunnelAddress).toBe("10.200.0.3");
  });

  it("an existing tenant keeps its address on a re-run, a spec change and a release update", async () => {
    const { flow, workspace } = await setup();
    await flow.provision(order("keep-one"));
    await flow.provision(order("keep-two"));
    expect((await flow.provision(order("keep-one"))).ok).toBe(true);
    expect((await flow.provision(order("keep-one", { tools: ["nextcloud"] }))).ok).toBe(true);
    expect((await flow.update("keep-one", { policyBundle: "2026.12.1" }, "rollout-1")).ok).toBe(true);
    const ups = workspace.configs.filter((c) => c.slug === "keep-one" && c.op === "up").map((c) => c.tunnel);
    expect(ups).toEqual(["10.200.0.2", "10.200.0.2", "10.200.0.2", "10.200.0.2"]);
  });

  it("a destroyed tenant frees its address for the next new one", async () => {
    const { flow, workspace, store } = await setup();
    await flow.provision(order("free-one"));
    await flow.provision(order("free-two"));
    expect((await flow.destroy("free-one", "free-one", "d-1")).ok).toBe(true);
    // Its own destroy still ran with its address (the peer leaves the hub with it).
    expect(workspace.configs.filter((c) => c.slug === "free-one").map((c) => c.tunnel)).toEqual(["10.200.0.2", "10.200.0.2", "10.200.0.2"]);
    await flow.provision(order("free-three"));
    expect(lastUp(workspace, "free-three")?.tunnel).toBe("10.200.0.2");
    expect((await store.get("free-two"))?.tunnelAddress).toBe("10.200.0.3");
  });

  it("counts only the tenant's own region", async () => {
    const { flow, workspace } = await setup({ eu: EU_NET, us: "10.201.0.0/16" });
    await flow.provision(order("eu-one"));
    await flow.provision(order("us-one", { region: "us", domain: "us-one.us.letsbe.biz" }));
    await flow.provision(order("us-two", { region: "us", domain: "us-two.us.letsbe.biz" }));
    expect(lastUp(workspace, "eu-one")?.tunnel).toBe("10.200.0.2");
    expect(lastUp(workspace, "us-one")?.tunnel).toBe("10.201.0.2");
    expect(lastUp(workspace, "us-two")?.tunnel).toBe("10.201.0.3");
  });

  it("two orders at once never get the same address", async () => {
    const { flow, workspace } = await setup();
    const outcomes = await Promise.all(["race-one", "race-two", "race-three"].map((slug) => flow.provision(order(slug))));
    expect(outcomes.every((o) => o.ok)).toBe(true);
    const addresses = ["race-one", "race-two", "race-three"].map((slug) => lastUp(workspace, slug)?.tunnel);
    expect([...addresses].sort()).toEqual(["10.200.0.2", "10.200.0.3", "10.200.0.4"]);
  });

  it("writes no address where the region's hub has no network, and gives none later to a tenant made before it", async () => {
    const networks: Record<string, string | undefined> = { eu: undefined };
    const { flow, workspace, store } = await setup(networks);
    await flow.provision(order("old-one"));
    expect(lastUp(workspace, "old-one")).toEqual({ slug: "old-one", op: "up" });
    networks.eu = EU_NET;
    await flow.provision(order("old-one"));
    expect(lastUp(workspace, "old-one")?.tunnel).toBeUndefined();
    expect((await store.get("old-one"))?.tunnelAddress).toBeUndefined();
    await flow.provision(order("new-one"));
    expect(lastUp(workspace, "new-one")?.tunnel).toBe("10.200.0.2");
  });

  it("refuses a full network, naming the order and the key, and records nothing", async () => {
    // A /29: the hub at .1, spokes .2 to .6.
    const { flow, store, workspace } = await setup({ eu: "10.9.9.0/29" });
    for (const n of ["a", "b", "c", "d", "e"]) expect((await flow.provision(order(`full-${n}`))).ok).toBe(true);
    const rejected = flow.provision(order("full-f"));
    await expect(rejected).rejects.toBeInstanceOf(InvalidInputError);
    await expect(rejected).rejects.toThrow(/order ord-full-f: letsbe-tenant:tunnelAddress: region eu: WireGuard network 10\.9\.9\.0\/29 is full \(5 spokes\)/);
    expect(await store.get("full-f")).toBeUndefined();
    expect(workspace.configs.some((c) => c.slug === "full-f")).toBe(false);
  });

  it("refuses to grow an unsound record: an address held twice names both tenants", async () => {
    const { flow, store } = await setup();
    const held = (slug: string, tunnelAddress: string): TenantRecord => ({
      ...({ slug, orderId: `ord-${slug}`, spec: order(slug).spec, status: "active", updatedAt: "2026-11-20T00:00:00Z" } as const), tunnelAddress,
    });
    await store.put(held("dup-one", "10.200.0.2"));
    await store.put(held("dup-two", "10.200.0.2"));
    await expect(flow.provision(order("dup-three"))).rejects.toThrow(/tenant dup-two: letsbe-tenant:tunnelAddress: 10\.200\.0\.2 is held by tenant dup-one too/);
    expect(await store.get("dup-three")).toBeUndefined();
  });
});

describe("the region's network from the hub's committed stack config", () => {
  it("reads letsbe-hub:wireguard's network, is undefined without one, and names file and key when malformed", () => {
    const root = tempDir();
    expect(repoWireguardNetwork("eu", root)).toBeUndefined();
    writeFileSync(join(root, "Pulumi.prod-eu.yaml"), "config:\n  letsbe-hub:settings:\n    region: eu\n");
    expect(repoWireguardNetwork("eu", root)).toBeUndefined();
    writeFileSync(join(root, "Pulumi.prod-eu.yaml"), "config:\n  letsbe-hub:wireguard:\n    network: 10.200.0.0/16\n    port: 51820\n");
    expect(repoWireguardNetwork("eu", root)).toBe("10.200.0.0/16");
    writeFileSync(join(root, "Pulumi.prod-eu.yaml"), "config:\n  letsbe-hub:wireguard:\n    network: 10.200.0.0/8\n");
    expect(() => repoWireguardNetwork("eu", root)).toThrow(/Pulumi\.prod-eu\.yaml: config\.letsbe-hub:wireguard\.network: must be an IPv4 CIDR with a prefix of \/16 to \/29/);
  });
});
