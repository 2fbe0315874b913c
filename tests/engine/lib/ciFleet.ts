/**
 * The fleet the CI test deploys to: the local estate with a hub contract for the repository's own eu
 * platform domain (its zone at the fake Cloudflare), stand-in images for the tools of
 * `tenants/sandbox-eu.yaml`, and tenants provisioned by the order flow over the built CLI with their
 * record in the backend (StackTenantStore), as the Hub's service leaves them for CI to find.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { loadSpec } from "../../../automation/cli/tenant";
import { OrderFlow } from "../../../automation/orders/flow";
import type { Order } from "../../../automation/orders/schema";
import { StackTenantStore } from "../../../automation/orders/store";
import { LocalTenantWorkspace } from "../../../automation/workspace/local";
import type { StackConfig } from "../../../automation/workspace/types";
import type { ImagePin } from "../../../tenants/catalog";
import type { ReleaseOverride } from "../../../tenants/release";
import type { TenantSpec } from "../../../tenants/schema";
import { EngineEnv, REPO, pulumi } from "./engine";
import { ESTATE_NETWORK, Estate, startEstate } from "./estate";
import { ESTATE_ORG, upContractHub } from "./hub";
import { SettingsWorkspace } from "./settings";

/** The zone holding the repository's eu platform domain (`eu.letsbe.biz`, Pulumi.prod-eu.yaml). */
export const PLATFORM_ZONE = "letsbe.biz";
/** Tool and sidecar stand-ins beyond the estate's own (standins.sh REPO:TAG:KIND). */
const EXTRA_STANDINS = ["tools/nocodb:s1:healthy", "tools/umami:s1:healthy", "sidecars/postgres:s1:postgres"] as const;
const STANDINS_SCRIPT = join(REPO, "tests", "host", "infra", "standins.sh");

export interface CiFleet {
  readonly estate: Estate;
  /** The order flow of the Hub's service: its own store (the backend) and work folder. */
  readonly flow: OrderFlow;
  readonly release: ReleaseOverride;
  /** Stack config the estate gives a stack at provision (endpoints of its fakes, stand-in images). */
  readonly settings: StackConfig;
}

/**
 * `service`: the Hub service's installation (a built checkout of the commit the repository holds), whose
 * tenant program and policy pack the flow runs, as the CI runner runs its own build of that commit.
 */
export async function startCiFleet(prefix: string, service: string): Promise<CiFleet> {
  const estate = await startEstate(prefix, { hub: "none", zones: [PLATFORM_ZONE] });
  const zone = [...estate.cloudflare.zones.values()].find((z) => z.name === PLATFORM_ZONE);
  if (!zone) throw new Error(`the fake Cloudflare has no zone ${PLATFORM_ZONE}`);
  await upContractHub(estate.engine, {
    provisioningPublicKey: estate.publicKey, managementCidrs: [`${ESTATE_NETWORK.gateway}/32`], cloudflareZoneId: zone.id,
  });
  const out = execFileSync("bash", [STANDINS_SCRIPT, ...EXTRA_STANDINS], {
    encoding: "utf8", timeout: 600_000, env: { ...process.env, LB_STANDIN_REGISTRY: `127.0.0.1:${estate.registryPort}` },
  });
  const pins: Record<string, ImagePin> = { ...estate.pins };
  for (const line of out.trim().split("\n")) {
    const [repository, tag, digest] = line.split(" ");
    pins[`${repository.replace(/^127\.0\.0\.1:\d+\//, "")}:${tag}`] = { repository, tag, digest };
  }
  const images = {
    tools: { nocodb: pins["tools/nocodb:s1"], umami: pins["tools/umami:s1"], uptime_kuma: pins["tools/uptime_kuma:s1"], vaultwarden: pins["tools/vaultwarden:s1"] },
    sidecars: { postgres: pins["sidecars/postgres:s1"] },
  };
  const settings: StackConfig = {
    // No ACME server on this estate: the placeholder certificate stays.
    "letsbe-tenant:issueCertificate": { value: "false" },
    "letsbe-tenant:images": { value: JSON.stringify(images) },
    "cloudflare:baseUrl": { value: estate.cloudflare.apiUrl },
    "hcloud:endpoint": { value: estate.hetzner.endpoint },
  };
  const workRoot = join(estate.dir, "service");
  mkdirSync(workRoot, { recursive: true });
  const local = new LocalTenantWorkspace({
    programDir: join(service, "dist", "stacks", "tenant"), envVars: estate.engine.env, policyPacks: [join(service, "policy")], workRoot,
  });
  const flow = new OrderFlow({
    workspace: new SettingsWorkspace(local, () => settings),
    store: new StackTenantStore({ envVars: estate.engine.env, org: ESTATE_ORG, workRoot }),
    org: ESTATE_ORG, secrets: estate.secrets, attempts: 1, timeoutMs: 3_600_000,
  });
  const release = { openclaw: pins["letsbe/openclaw:s1"], safetyWrapper: pins["letsbe/safety-wrapper:s1"], secretsProxy: pins["letsbe/secrets-proxy:s1"] };
  return { estate, flow, release, settings };
}

/** A built checkout of `commit` of the repository at `REPO` in `dir`: npm's offline cache, as the runner's setup-node gives. */
export function builtCheckout(dir: string, commit = "HEAD"): void {
  mkdirSync(dir, { recursive: true });
  execFileSync("bash", ["-c", `git -C "${REPO}" archive "${commit}" | tar -x -C "${dir}"`]);
  const env = { ...process.env, npm_config_offline: "true" };
  execFileSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: dir, env, stdio: "ignore", timeout: 900_000 });
  execFileSync("npm", ["run", "--silent", "build"], { cwd: dir, env, stdio: "ignore", timeout: 900_000 });
}

/** The spec file `tenants/<slug>.yaml` as it is at `commit` of the checkout `clone`. */
export function specAt(clone: string, commit: string, slug: string): TenantSpec {
  const file = join(mkdtempSync(join(tmpdir(), "letsbe-spec-")), `${slug}.yaml`);
  writeFileSync(file, execFileSync("git", ["show", `${commit}:tenants/${slug}.yaml`], { cwd: clone, encoding: "utf8" }));
  return loadSpec(slug, { spec: file });
}

export function orderOf(spec: TenantSpec, release: ReleaseOverride): Order {
  return { orderId: `order-${spec.slug}`, spec, providerChoice: spec.provider, allowOverflow: false, release };
}

function tenantProjectDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "letsbe-tenant-project-"));
  writeFileSync(join(dir, "Pulumi.yaml"), "name: letsbe-tenant\nruntime: nodejs\n");
  return dir;
}

/** Updates the backend has recorded for a tenant stack (`pulumi stack history`), and its state file's bytes. */
export function stackFootprint(engine: EngineEnv, slug: string): { updates: number; state: string } {
  const history = JSON.parse(pulumi(engine, ["stack", "history", "--json", "--stack", slug], tenantProjectDir())) as unknown[];
  const state = readFileSync(join(engine.backendDir, ".pulumi", "stacks", "letsbe-tenant", `${slug}.json`), "utf8");
  return { updates: history.length, state };
}

/** A tenant stack's plain outputs. */
export function stackOutputs(engine: EngineEnv, slug: string): Record<string, unknown> {
  return JSON.parse(pulumi(engine, ["stack", "output", "--json", "--stack", slug], tenantProjectDir())) as Record<string, unknown>;
}
