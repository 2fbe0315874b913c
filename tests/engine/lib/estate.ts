/**
 * The local estate: the Docker engine and cached Debian 13 image of the host tier, a docker network
 * on which hosts sit at the addresses their provider reports, a registry with stand-in images (real
 * digests), the fake Netcup SCP (host mode), Hetzner Cloud and Cloudflare, a file backend, a hub stack exporting the
 * contract with this estate's key and management network, and the order flow over LocalWorkspace
 * with the policy pack, as the Hub runs it.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { OrderFlow } from "../../../automation/orders/flow";
import { MemoryTenantStore } from "../../../automation/orders/store";
import { LocalTenantWorkspace } from "../../../automation/workspace/local";
import type { StackConfig } from "../../../automation/workspace/types";
import { ImagePin, TIERS } from "../../../tenants/catalog";
import { HostFleet, authorizedKeysOf } from "./hosts";
import { FakeCloudflare } from "../../fakes/cloudflare/server";
import { FakeHetzner } from "../../fakes/hetzner/server";
import { FakeScp } from "../../fakes/scp/server";
import type { FakeServer, SeedServer } from "../../fakes/scp/model";
import { randomBytes } from "node:crypto";
import { freePort, hostInfra } from "../../host/lib/infra";
import { EngineEnv, REPO, engineEnv } from "./engine";
import { ESTATE_ORG, upContractHub } from "./hub";
import { SettingsWorkspace } from "./settings";
import { ed25519Pair } from "../../fixtures/ed25519";

/**
 * Which /22 of 198.18.0.0/15 the estate takes (LETSBE_ESTATE_BLOCK, 0-31; default the vitest worker's
 * number, else 0): estates in different blocks run side by side on one Docker engine.
 */
export const ESTATE_BLOCK = estateBlock(process.env.LETSBE_ESTATE_BLOCK ?? process.env.VITEST_POOL_ID);
const octet = (offset: number) => 4 * ESTATE_BLOCK + offset;
export const ESTATE_NETWORK = {
  name: ESTATE_BLOCK === 0 ? "letsbe-estate" : `letsbe-estate-${ESTATE_BLOCK}`,
  subnet: `198.18.${octet(0)}.0/22`,
  gateway: `198.18.${octet(0)}.1`,
};

function estateBlock(raw: string | undefined): number {
  if (raw === undefined || raw === "") return 0;
  if (!/^\d+$/.test(raw) || Number(raw) > 31) throw new Error(`LETSBE_ESTATE_BLOCK: must be a whole number from 0 to 31, got "${raw}"`);
  return Number(raw);
}

/** The n-th Netcup pool server's address: the block's first two /24s, from .2. */
function poolAddress(n: number): string {
  if (n >= 500) throw new Error("the estate has addresses for 500 Netcup servers");
  return `198.18.${octet(Math.floor(n / 250))}.${(n % 250) + 2}`;
}
export const ZONE_NAME = "estate.example.net";
/** A real hub on the estate puts a region's tenants under `<region>.<zone>` (lib/hubStack.ts). */
export const estateTenantBaseDomain = (region: string) => `${region}.${ZONE_NAME}`;
const REGISTRY_SCRIPT = join(REPO, "tests", "engine", "infra", "registry.sh");
const STANDINS_SCRIPT = join(REPO, "tests", "host", "infra", "standins.sh");

/** Stand-ins pushed once: REPO:TAG:KIND (standins.sh). */
export const STANDINS = [
  "letsbe/openclaw:s1:healthy", "letsbe/safety-wrapper:s1:healthy", "letsbe/secrets-proxy:s1:healthy",
  "letsbe/safety-wrapper:s2-broken:broken", "letsbe/openclaw:s3:healthy-v3",
  "tools/uptime_kuma:s1:healthy", "tools/vaultwarden:s1:healthy",
  // The hub's services: the apps answer their HTTP health probes; s2 is a release of different content.
  "letsbe/hub-postgres:s1:healthy", "letsbe/hub-web-api:s1:healthy-http", "letsbe/hub-worker:s1:healthy-http",
  "letsbe/notifications:s1:healthy-http", "letsbe/hub-web-api:s2:healthy-v2-http", "letsbe/hub-worker:s2:healthy-v2-http",
  "letsbe/notifications:s2:healthy-v2-http",
] as const;

export interface EstateOptions {
  /**
   * "contract": a hub stack of outputs only (what tenants read), quick; "none": no hub stack, for
   * a caller that brings the real hub up itself (tests/engine/lib/hubStack.ts).
   */
  readonly hub?: "contract" | "none";
  /** Further Cloudflare zones (by name) beside the estate's own, for tenants with a zone of their own. */
  readonly zones?: readonly string[];
  /** Folder for the estate's files and its file backend. Default - `.cache/engine/estate-<pid>`, backend in a temporary folder. */
  readonly dir?: string;
}

export interface Estate {
  readonly engine: EngineEnv;
  readonly dockerd: string;
  readonly registryPid: string;
  readonly registryPort: number;
  readonly dir: string;
  readonly pins: Record<string, ImagePin>;
  readonly privateKey: string;
  readonly publicKey: string;
  readonly scp: FakeScp;
  /** A further Netcup server at the estate's next pool address. */
  readonly addPoolServer: (seed: Omit<SeedServer, "ipv4">) => FakeServer;
  readonly cloudflare: FakeCloudflare;
  readonly hetzner: FakeHetzner;
  readonly zoneId: string;
  readonly fleet: HostFleet;
  readonly store: MemoryTenantStore;
  readonly flow: OrderFlow;
  /** The workspace the flow drives, with the estate's settings. */
  readonly workspace: SettingsWorkspace;
  readonly secrets: Record<string, string>;
  readonly timings: Record<string, number>;
}

async function timed<T>(timings: Record<string, number>, label: string, body: () => Promise<T> | T): Promise<T> {
  const started = Date.now();
  try {
    return await body();
  } finally {
    timings[label] = (Date.now() - started) / 1000;
  }
}

export async function startEstate(prefix: string, options: EstateOptions = {}): Promise<Estate> {
  const timings: Record<string, number> = {};
  const partial: Partial<Estate> & { timings: Record<string, number> } = { timings };
  try {
    const dockerd = await timed(timings, "infra:engine", () => hostInfra("engine").trim());
    Object.assign(partial, { dockerd });
    await timed(timings, "infra:image", () => hostInfra("image"));
    hostInfra("network", ESTATE_NETWORK.name, ESTATE_NETWORK.subnet, ESTATE_NETWORK.gateway);
    const dir = options.dir ?? join(REPO, ".cache", "engine", `estate-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    const registryPort = await freePort();
    const registryPid = execFileSync("bash", [REGISTRY_SCRIPT, "start", String(registryPort), join(dir, "registry")], { encoding: "utf8", timeout: 600_000 }).trim();
    Object.assign(partial, { dir, registryPid });
    const pins: Record<string, ImagePin> = {};
    const out = await timed(timings, "infra:standins", () => execFileSync("bash", [STANDINS_SCRIPT, ...STANDINS], {
      encoding: "utf8", timeout: 600_000, env: { ...process.env, LB_STANDIN_REGISTRY: `127.0.0.1:${registryPort}` },
    }));
    for (const line of out.trim().split("\n")) {
      const [repository, tag, digest] = line.split(" ");
      pins[`${repository.replace(/^127\.0\.0\.1:\d+\//, "")}:${tag}`] = { repository, tag, digest };
    }
    const keys = ed25519Pair("letsbe-provisioning-estate");
    const fleet = new HostFleet(prefix, ESTATE_NETWORK.gateway, registryPort, ESTATE_NETWORK.name);
    const scp = await FakeScp.start({
      // Two of the lite tier's product: a replacement (delete first) may claim either.
      servers: [TIERS.lite.netcupProduct, TIERS.lite.netcupProduct, TIERS.scale.netcupProduct].map((product, n) => ({ product, site: "Nuremberg", ipv4: poolAddress(n) })),
      onImageInstall: fleet.installHook(),
    });
    const cloudflare = await FakeCloudflare.start({ zones: [{ name: ZONE_NAME }, ...(options.zones ?? []).map((name) => ({ name }))] });
    // A Hetzner server's host is started with the keys its cloud-init user data names, at its primary IPv4.
    const hetzner = await FakeHetzner.start({
      token: randomBytes(32).toString("hex"), // the real provider insists on 64 characters
      ipv4: (index) => `198.18.${octet(2)}.${10 + index}`,
      onServerCreate: async (server) => {
        const keys = authorizedKeysOf(server.userData ?? "");
        if (!server.ipv4 || keys.length === 0) throw new Error(`server ${server.name}: no IPv4 or no SSH key in its user data`);
        await fleet.start(server.ipv4, `hetzner-${server.name}`, keys);
      },
      onServerDelete: async (server) => {
        if (server.ipv4) await fleet.stop(server.ipv4);
      },
    });
    Object.assign(partial, { fleet, scp, cloudflare, hetzner });
    const zoneId = [...cloudflare.zones.values()][0].id;
    const engine = options.dir ? engineEnv({}, join(options.dir, "backend")) : engineEnv();
    if ((options.hub ?? "contract") === "contract") {
      await timed(timings, "hub", () => upContractHub(engine, { provisioningPublicKey: keys.public, managementCidrs: [`${ESTATE_NETWORK.gateway}/32`] }));
    }
    const secrets: Record<string, string> = {
      "letsbe-tenant:provisioningPrivateKey": keys.private,
      "letsbe-tenant:netcupRefreshToken": scp.refreshToken,
      "cloudflare:apiToken": cloudflare.token,
      "hcloud:token": hetzner.token,
    };
    const images = JSON.stringify({ tools: { uptime_kuma: pins["tools/uptime_kuma:s1"], vaultwarden: pins["tools/vaultwarden:s1"] } });
    const settings = (): StackConfig => ({
      "letsbe-tenant:netcupApiUrl": { value: scp.apiUrl },
      "letsbe-tenant:netcupTokenUrl": { value: scp.tokenUrl },
      // No ACME server is part of this estate yet: the placeholder certificate stays.
      "letsbe-tenant:issueCertificate": { value: "false" },
      "letsbe-tenant:images": { value: images },
      "cloudflare:baseUrl": { value: cloudflare.apiUrl },
      "hcloud:endpoint": { value: hetzner.endpoint },
    });
    const local = new LocalTenantWorkspace({
      programDir: join(REPO, "dist", "stacks", "tenant"), envVars: engine.env, policyPacks: [join(REPO, "policy")], workRoot: dir,
    });
    const store = new MemoryTenantStore();
    const workspace = new SettingsWorkspace(local, settings);
    const flow = new OrderFlow({
      workspace, store, org: ESTATE_ORG, secrets, attempts: 1, timeoutMs: 3_600_000,
      // Admission judges domains against the hub tenants will read: the caller's real one, or the contract's.
      ...((options.hub ?? "contract") === "none" ? { tenantBaseDomain: estateTenantBaseDomain } : {}),
    });
    const addPoolServer = (seed: Omit<SeedServer, "ipv4">): FakeServer => scp.addServers([{ ...seed, ipv4: poolAddress(scp.servers.size) }])[0];
    return { ...partial, addPoolServer, engine, dockerd, registryPid, registryPort, dir, pins, privateKey: keys.private, publicKey: keys.public, scp, cloudflare, zoneId, hetzner, fleet, store, flow, workspace, secrets, timings } as Estate;
  } catch (error) {
    await stopEstate(partial);
    throw error;
  }
}

export async function stopEstate(estate: Partial<Estate> | undefined): Promise<void> {
  await estate?.fleet?.stopAll();
  await estate?.scp?.stop();
  await estate?.cloudflare?.stop();
  await estate?.hetzner?.stop();
  if (estate?.registryPid) execFileSync("bash", [REGISTRY_SCRIPT, "stop", estate.registryPid]);
  if (estate?.dir) rmSync(estate.dir, { recursive: true, force: true });
  if (estate?.engine) rmSync(estate.engine.backendDir, { recursive: true, force: true });
  if (estate?.dockerd) hostInfra("network-rm", ESTATE_NETWORK.name);
  if (estate?.dockerd === "started") hostInfra("engine-stop");
}
