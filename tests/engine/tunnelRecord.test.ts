/**
 * Tunnel addresses in the fleet record on the built CLI: the order flow over LocalWorkspace (stand-in
 * program tests/engine/programs/record) writes each new tenant's `letsbe-tenant:tunnelAddress` into its
 * stack; another machine's StackTenantStore, sharing only the backend, reads them back; a destroyed
 * tenant's address goes to the next new one.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OrderFlow } from "../../automation/orders/flow";
import { parseOrder } from "../../automation/orders/schema";
import { StackTenantStore } from "../../automation/orders/store";
import { LocalTenantWorkspace } from "../../automation/workspace/local";
import { SECRETS } from "../automation/support";
import { EngineEnv, REPO, engineEnv, pulumi } from "./lib/engine";

const ORG = "organization"; // the file backend's only organization
const NETWORK = "10.210.0.0/24";

let engine: EngineEnv;
const folders: string[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  folders.push(dir);
  return dir;
};

/** One machine: its own store and work folder; only the backend is shared. */
function machine(): { store: StackTenantStore; flow: OrderFlow } {
  const workRoot = tempDir("letsbe-tunnel-machine-");
  const store = new StackTenantStore({ envVars: engine.env, org: ORG, workRoot });
  const workspace = new LocalTenantWorkspace({ programDir: join(REPO, "tests", "engine", "programs", "record"), envVars: engine.env, workRoot });
  const flow = new OrderFlow({ workspace, store, org: ORG, secrets: SECRETS, attempts: 1, tenantBaseDomain: () => undefined, wireguardNetwork: () => NETWORK });
  return { store, flow };
}

const order = (slug: string) => parseOrder({
  orderId: `ord-${slug}`,
  tenant: { slug, domain: `${slug}.eu.letsbe.biz`, region: "eu", tier: "build", provider: "hetzner", tools: ["nextcloud"], contactEmail: `owner@${slug}.example`, createdAt: "2026-11-20" },
});

/** The stack's recorded config value, as `pulumi config get` prints it from the backend. */
function recorded(slug: string): string {
  const dir = tempDir("letsbe-tunnel-cfg-");
  writeFileSync(join(dir, "Pulumi.yaml"), "name: letsbe-tenant\nruntime: nodejs\n");
  pulumi(engine, ["config", "refresh", "--stack", slug], dir);
  return pulumi(engine, ["config", "get", "letsbe-tenant:tunnelAddress", "--stack", slug], dir).trim();
}

beforeAll(() => {
  engine = engineEnv();
});

afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
  if (engine) rmSync(engine.backendDir, { recursive: true, force: true });
});

describe("tunnel addresses in the backend's fleet record", () => {
  it("new tenants get .2 and .3 (the hub holds .1), each in its own stack's config", async () => {
    const service = machine();
    for (const slug of ["tun-a", "tun-b"]) {
      const outcome = await service.flow.provision(order(slug));
      expect(outcome.reason, outcome.reason).toBeUndefined();
    }
    expect(recorded("tun-a")).toBe("10.210.0.2");
    expect(recorded("tun-b")).toBe("10.210.0.3");
    const other = machine();
    expect((await other.store.list()).map((r) => [r.slug, r.tunnelAddress])).toEqual([["tun-a", "10.210.0.2"], ["tun-b", "10.210.0.3"]]);
  });

  it("an existing tenant keeps its address when another machine runs its order again", async () => {
    const outcome = await machine().flow.provision(order("tun-b"));
    expect(outcome.reason, outcome.reason).toBeUndefined();
    expect(recorded("tun-b")).toBe("10.210.0.3");
  });

  it("a destroyed tenant's address goes to the next new tenant", async () => {
    const gone = await machine().flow.destroy("tun-a", "tun-a", "destroy-tun-a");
    expect(gone.reason, gone.reason).toBeUndefined();
    const outcome = await machine().flow.provision(order("tun-c"));
    expect(outcome.reason, outcome.reason).toBeUndefined();
    expect(recorded("tun-c")).toBe("10.210.0.2");
    expect((await machine().store.list()).map((r) => [r.slug, r.tunnelAddress])).toEqual([["tun-b", "10.210.0.3"], ["tun-c", "10.210.0.2"]]);
  });
});
