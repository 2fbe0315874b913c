/**
 * The end-to-end harness: the Docker engine and cached Debian 13 image of the host tier, the
 * stand-in registry with real digests, the fake SCP in host mode, hub outputs naming the test's
 * provisioning key, and the order flow over the executor workspace.
 */
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { utils } from "ssh2";
import type { HubReference } from "./lib/workspace";
import { ExecutorWorkspace } from "./lib/workspace";
import { HostFleet, bridgeGateway } from "./lib/hosts";
import type { StoredResource } from "./lib/executor";
import { FakeScp } from "../fakes/scp/server";
import { freePort, hostInfra } from "../host/lib/infra";
import { requireDist } from "../netcup/helpers";
import { repoRoot } from "../fakes/scp/spec";
import { ImagePin, TIERS } from "../../tenants/catalog";
import { MemoryTenantStore } from "../../automation/orders/store";
import { OrderFlow } from "../../automation/orders/flow";

export const ORG = "letsbe";
export const REGION = "eu";
export const TIER = "lite";
const REGISTRY_SCRIPT = join(__dirname, "infra", "registry.sh");
const STANDINS_SCRIPT = join(__dirname, "..", "host", "infra", "standins.sh");

/** Stand-ins pushed once: REPO:TAG:KIND (standins.sh). */
export const STANDINS = [
  "letsbe/openclaw:s1:healthy", "letsbe/safety-wrapper:s1:healthy", "letsbe/secrets-proxy:s1:healthy",
  "letsbe/safety-wrapper:s2-broken:broken", "letsbe/openclaw:s3:healthy-v3",
  "tools/uptime_kuma:s1:healthy", "tools/vaultwarden:s1:healthy",
] as const;

type SimulatedModule = typeof import("../../automation/workspace/simulated");

export interface Harness {
  readonly engine: string;
  readonly gateway: string;
  readonly registryPid: string;
  readonly registryDir: string;
  readonly pins: Record<string, ImagePin>;
  readonly privateKey: string;
  readonly publicKey: string;
  readonly fake: FakeScp;
  readonly fleet: HostFleet;
  readonly workspace: ExecutorWorkspace;
  readonly store: MemoryTenantStore;
  readonly flow: OrderFlow;
  readonly secrets: Record<string, string>;
  readonly timings: Record<string, number>;
}

export async function timed<T>(timings: Record<string, number>, label: string, body: () => Promise<T> | T): Promise<T> {
  const started = Date.now();
  try {
    return await body();
  } finally {
    timings[label] = (Date.now() - started) / 1000;
  }
}

export async function startHarness(prefix: string): Promise<Harness> {
  const timings: Record<string, number> = {};
  const engine = await timed(timings, "infra:engine", () => hostInfra("engine").trim());
  await timed(timings, "infra:image", () => hostInfra("image"));
  const gateway = bridgeGateway();
  const registryPort = await freePort();
  const registryDir = join(repoRoot(), ".cache", "host", `e2e-registry-${process.pid}`);
  const registryPid = execFileSync("bash", [REGISTRY_SCRIPT, "start", String(registryPort), registryDir], { encoding: "utf8", timeout: 600_000 }).trim();
  const pins: Record<string, ImagePin> = {};
  const out = await timed(timings, "infra:standins", () => execFileSync("bash", [STANDINS_SCRIPT, ...STANDINS], {
    encoding: "utf8", timeout: 600_000, env: { ...process.env, LB_STANDIN_REGISTRY: `127.0.0.1:${registryPort}` },
  }));
  for (const line of out.trim().split("\n")) {
    const [repository, tag, digest] = line.split(" ");
    pins[`${repository.replace(/^127\.0\.0\.1:\d+\//, "")}:${tag}`] = { repository, tag, digest };
  }
  const keys = utils.generateKeyPairSync("ed25519", { comment: "letsbe-provisioning-e2e" });
  const fleet = new HostFleet(prefix, gateway, registryPort);
  const fake = await FakeScp.start({
    servers: [{ product: TIERS[TIER].netcupProduct, site: "Nuremberg" }, { product: TIERS.scale.netcupProduct, site: "Nuremberg" }],
    onImageInstall: fleet.installHook(),
  });
  // The hub's outputs as the offline plan computes them, with this test's key and address.
  const { hubReferencesFromRepo } = requireDist<SimulatedModule>("automation/workspace/simulated");
  const planned = await hubReferencesFromRepo(ORG);
  const hubs: Record<string, HubReference> = Object.fromEntries(Object.entries(planned).map(([region, hub]) => [region, {
    outputs: { ...hub.outputs, provisioningPublicKey: keys.public, managementCidrs: [`${gateway}/32`] },
    secretOutputs: hub.secretOutputs,
  }]));
  const secrets = {
    "letsbe-tenant:provisioningPrivateKey": keys.private,
    "letsbe-tenant:cloudflareDnsToken": "cf-dns-token-e2e-4b7d",
    "letsbe-tenant:registrationToken": "hub-registration-token-e2e-9c21",
    "letsbe-tenant:netcupRefreshToken": fake.refreshToken,
  };
  const images = JSON.stringify({ tools: { uptime_kuma: pins["tools/uptime_kuma:s1"], vaultwarden: pins["tools/vaultwarden:s1"] } });
  const workspace = new ExecutorWorkspace(hubs, () => ({
    // The stack's own settings: the fake SCP, stand-in tool images, and no certificate request
    // (Cloudflare is not reachable here; a zone not delegated yet is run the same way).
    "letsbe-tenant:netcupApiUrl": fake.apiUrl,
    "letsbe-tenant:netcupTokenUrl": fake.tokenUrl,
    "letsbe-tenant:issueCertificate": "false",
    "letsbe-tenant:images": images,
  }), {
    endpointFor: (address) => fleet.endpointFor(address),
    supplyHost: (resource) => supplyHetznerHost(fleet, resource),
    releaseHost: (resource) => fleet.stop(String(resource.state.ipv4Address ?? "")),
  });
  const store = new MemoryTenantStore();
  const flow = new OrderFlow({ workspace, store, org: ORG, secrets, attempts: 1, timeoutMs: 3_600_000 });
  return { engine, gateway, registryPid, registryDir, pins, privateKey: keys.private, publicKey: keys.public, fake, fleet, workspace, store, flow, secrets, timings };
}

/** The Hetzner path: the recorded server gets a host with the root keys its cloud-init user data names. */
async function supplyHetznerHost(fleet: HostFleet, server: StoredResource): Promise<void> {
  const address = String(server.state.ipv4Address ?? "");
  const keys = authorizedKeysOf(String(server.inputs.userData ?? ""));
  if (!address || keys.length === 0) throw new Error(`${server.name}: no address or no SSH key in its user data to supply a host for`);
  await fleet.start(address, `hetzner-${server.name}`, keys);
}

/** The `ssh_authorized_keys` entries of a cloud-config (what cloud-init would install for root). */
export function authorizedKeysOf(userData: string): string[] {
  const lines = userData.split("\n");
  const start = lines.findIndex((l) => l.trim() === "ssh_authorized_keys:");
  if (start < 0) return [];
  const keys: string[] = [];
  for (const line of lines.slice(start + 1)) {
    const match = /^\s+- (.+)$/.exec(line);
    if (!match) break;
    keys.push(match[1].trim());
  }
  return keys;
}

export async function stopHarness(harness: Partial<Harness> | undefined): Promise<void> {
  await harness?.fleet?.stopAll();
  await harness?.fake?.stop();
  if (harness?.registryPid) execFileSync("bash", [REGISTRY_SCRIPT, "stop", harness.registryPid]);
  if (harness?.registryDir) rmSync(harness.registryDir, { recursive: true, force: true });
  if (harness?.engine === "started") hostInfra("engine-stop");
}
