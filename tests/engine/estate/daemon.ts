/**
 * The estate's long-lived process: it holds the fakes (their state lives in memory), the host fleet
 * and the registry, and takes `up`, `status`, `env` and `down` from `estate` (cli.ts) over HTTP on
 * 127.0.0.1. Every stack operation is the built CLI: hubs by `pulumi up --policy-pack policy` in an
 * operator's checkout, tenants through the order flow over LocalWorkspace with the same pack.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { join } from "node:path";
import { parseOrder } from "../../../automation/orders/schema";
import { REGIONS, type RegionId } from "../../../tenants/catalog";
import type { TenantSpec } from "../../../tenants/schema";
import { readBody } from "../../fakes/http";
import { ESTATE_ORG } from "../lib/hub";
import { ESTATE_NETWORK, Estate, ZONE_NAME, startEstate, stopEstate } from "../lib/estate";
import { decommissionHub, estateHubConfig, estateHubImages, hubWorkDir, initHubStack, projectWorkDir, pulumiAsync, upHub } from "../lib/hubStack";
import { ESTATE_DIR, ESTATE_PREFIX, STATE_FILE, estateTenantSpecs, standInRelease } from "./model";

interface HubEntry { readonly stack: string; readonly dir: string; readonly server: string }

const hubs = new Map<RegionId, HubEntry>();
const tenants = new Map<string, TenantSpec>();
let estate: Estate;
let busy = false;
/** Checkouts without stack config, for commands that need only the project (stack ls, history, export). */
let checkouts: { hub: string; tenant: string };


async function ensureHub(region: RegionId, say: (line: string) => void): Promise<void> {
  if (hubs.has(region)) return;
  const stack = `prod-${region}`;
  const server = estate.addPoolServer({ product: "RS 2000 G12", site: REGIONS[region].netcupSite });
  const dir = hubWorkDir(stack, estateHubConfig({
    stack, zoneId: estate.zoneId, zoneName: ZONE_NAME, managementCidrs: [`${ESTATE_NETWORK.gateway}/32`],
    publicKey: estate.publicKey, registryHost: `127.0.0.1:${estate.registryPort}`,
    netcupServerName: server.name, netcupApiUrl: estate.scp.apiUrl, netcupTokenUrl: estate.scp.tokenUrl,
    cloudflareApiUrl: estate.cloudflare.apiUrl, images: estateHubImages(estate.pins, "s1"), region,
  }));
  hubs.set(region, { stack, dir, server: server.name });
  say(`hub ${stack}: pulumi up --policy-pack policy (Netcup server ${server.name})`);
  await initHubStack(estate.engine, dir, stack, {
    "letsbe-hub:provisioningPrivateKey": estate.privateKey,
    "letsbe-hub:netcupRefreshToken": estate.scp.refreshToken,
    "letsbe-hub:rcloneConfig": "[offsite]\ntype = local\n",
    "letsbe-hub:cloudflareDnsToken": "cf-hub-dns-token-estate",
    "cloudflare:apiToken": estate.cloudflare.token,
  });
  await upHub(estate.engine, dir, stack);
  say(`hub ${stack}: up`);
}

async function up(tenantsDir: string | undefined, say: (line: string) => void): Promise<boolean> {
  const specs = estateTenantSpecs(tenantsDir);
  for (const region of new Set<RegionId>(["eu", ...specs.map((s) => s.region)])) await ensureHub(region, say);
  let ok = true;
  for (const spec of specs) {
    // Pool servers of the tier's product, so that each Netcup tenant finds one to claim.
    if (spec.provider === "netcup") estate.addPoolServer({ product: tierProduct(spec), site: REGIONS[spec.region].netcupSite });
    say(`tenant ${spec.slug}: provision (${spec.provider}, ${spec.tier})`);
    const order = parseOrder({ orderId: `estate-${spec.slug}`, tenant: spec, release: standInRelease(estate.pins) });
    const outcome = await estate.flow.provision(order);
    tenants.set(spec.slug, spec);
    say(`tenant ${spec.slug}: ${outcome.ok ? "up" : `failed at ${outcome.failedStep ?? "?"}: ${outcome.reason ?? ""}`}`);
    ok &&= outcome.ok;
  }
  return ok;
}

function tierProduct(spec: TenantSpec): string {
  return { lite: "RS 1000 G12", build: "RS 2000 G12", scale: "RS 4000 G12", enterprise: "RS 8000 G12" }[spec.tier];
}

/** Each stack from the backend (`pulumi stack ls --all`) with its last update's result (`pulumi stack history`). */
async function status(): Promise<unknown> {
  const listed = JSON.parse((await pulumiAsync(estate.engine, ["stack", "ls", "--all", "--json"], checkouts.tenant)).stdout) as Array<Record<string, unknown>>;
  const stacks = [];
  for (const entry of listed) {
    // The CLI names the stacks of the folder's own project (here the tenant project) without org and project.
    const listedName = String(entry.name);
    const name = listedName.includes("/") ? listedName : `${ESTATE_ORG}/letsbe-tenant/${listedName}`;
    const [, project, stack] = name.split("/");
    const cwd = project === "letsbe-hub" ? checkouts.hub : checkouts.tenant;
    // One stack's unreadable history is reported with it; the listing goes on.
    const history = await pulumiAsync(estate.engine, ["stack", "history", "--json", "-s", name], cwd)
      .then((r) => ({ updates: JSON.parse(r.stdout) as Array<{ result: string }> }), (error: Error) => ({ error: error.message.split("\n").slice(0, 3).join(" ") }));
    stacks.push({
      name, project, stack, resources: entry.resourceCount ?? 0, lastUpdate: entry.lastUpdate ?? null,
      lastResult: "updates" in history ? history.updates[0]?.result ?? null : null, ...("error" in history ? { historyError: history.error } : {}),
    });
  }
  const hosts = estate.fleet.running.map((h) => ({ name: h.name, address: h.address }));
  return { stacks, hosts, hubs: Object.fromEntries([...hubs].map(([region, h]) => [region, { stack: h.stack, netcupServer: h.server, dir: h.dir }])) };
}

async function down(say: (line: string) => void): Promise<boolean> {
  let ok = true;
  for (const slug of [...tenants.keys()]) {
    say(`tenant ${slug}: destroy (unprotect, then pulumi destroy)`);
    const outcome = await estate.flow.destroy(slug, slug, `estate-down-${slug}`);
    say(`tenant ${slug}: ${outcome.ok ? "destroyed" : `failed: ${outcome.reason ?? ""}`}`);
    if (outcome.ok) tenants.delete(slug);
    ok &&= outcome.ok;
  }
  for (const [region, hub] of hubs) {
    say(`hub ${hub.stack}: decommission (unprotect, then pulumi destroy)`);
    await decommissionHub(estate.engine, hub.dir, hub.stack, `estate-down-${region}`);
    await pulumiAsync(estate.engine, ["stack", "rm", "--yes", "-s", hub.stack], hub.dir);
    rmSync(hub.dir, { recursive: true, force: true });
    hubs.delete(region);
    say(`hub ${hub.stack}: destroyed`);
  }
  return ok;
}

/** Streams an operation's lines as text; the last line is `result: ok` or `result: failed`. */
async function stream(res: ServerResponse, body: (say: (line: string) => void) => Promise<boolean>): Promise<void> {
  if (busy) {
    res.writeHead(409, { "content-type": "text/plain" }).end("another estate operation is running\n");
    return;
  }
  busy = true;
  res.writeHead(200, { "content-type": "text/plain" });
  const say = (line: string) => res.write(`${line}\n`);
  try {
    say(`result: ${(await body(say)) ? "ok" : "failed"}`);
  } catch (error) {
    say(`error: ${(error as Error).message}`);
    say("result: failed");
  } finally {
    busy = false;
    res.end();
  }
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const route = `${req.method} ${req.url}`;
  if (route === "POST /up") {
    const { tenantsDir } = JSON.parse((await readBody(req)) || "{}") as { tenantsDir?: string };
    return stream(res, (say) => up(tenantsDir, say));
  }
  if (route === "POST /down") {
    await stream(res, down);
    if (tenants.size === 0 && hubs.size === 0) void shutdown(0);
    return;
  }
  if (route === "GET /status") {
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(await status()));
    return;
  }
  if (route === "GET /env") {
    const hub = hubs.get("eu");
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({
      env: estate.engine.env, hubDir: hub?.dir ?? checkouts.hub, tenantDir: checkouts.tenant, tenants: [...tenants.keys()],
    }));
    return;
  }
  res.writeHead(404, { "content-type": "text/plain" }).end(`no route ${route}\n`);
}

let stopping = false;
async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  await stopEstate(estate);
  rmSync(ESTATE_DIR, { recursive: true, force: true });
  process.exit(code);
}

async function main(): Promise<void> {
  mkdirSync(ESTATE_DIR, { recursive: true });
  estate = await startEstate(ESTATE_PREFIX, { hub: "none", dir: join(ESTATE_DIR, "work") });
  checkouts = { hub: projectWorkDir("letsbe-hub", estate.dir), tenant: projectWorkDir("letsbe-tenant", estate.dir) };
  const server = createServer((req, res) => void handle(req, res).catch((error: Error) => {
    if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
    res.end(`error: ${error.message}\n`);
  }));
  server.listen(0, "127.0.0.1", () => {
    const { port } = server.address() as { port: number };
    writeFileSync(STATE_FILE, JSON.stringify({ pid: process.pid, port }));
  });
  process.on("SIGTERM", () => void shutdown(0));
  process.on("SIGINT", () => void shutdown(0));
}

main().catch(async (error: Error) => {
  process.stderr.write(`estate: ${error.stack ?? error.message}\n`);
  await shutdown(1);
});
