/**
 * The WireGuard management network through the real CLI: the hub program with `letsbe-hub:wireguard`
 * (its Netcup server adopted from the fake SCP, the base stages, the hub role, its apps), then a
 * Netcup tenant stack with `letsbe-tenant:tunnelAddress` whose every stage after first contact runs
 * through the hub (the command provider's `proxy`). Checked from outside, as the management source:
 * the tenant's public SSH refused, SSH through the hub's tunnel working, a scan of its public address
 * finding 80 and 443 alone; a second up changes nothing; destroy takes the peer off the hub. The
 * estate's hosts are containers on a kernel without the wireguard module: wireguard-go runs there
 * (/dev/net/tun made in each container as it starts), the kernel module in production.
 */
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { dump } from "js-yaml";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { hubWireguardSchema } from "../../contracts/hub";
import { DECOMMISSION_TAG } from "../../policy/lib/tags";
import { sequentialSteps } from "../host/lib/steps";
import { openPorts, probe, throughJump } from "../host/lib/reach";
import { SshSession } from "../host/lib/ssh";
import { docker } from "../host/lib/infra";
import { REPO } from "./lib/engine";
import { ESTATE_NETWORK, Estate, ZONE_NAME, estateTenantBaseDomain, startEstate, stopEstate } from "./lib/estate";
import { ESTATE_ORG } from "./lib/hub";
import { estateHubConfig, estateHubImages, hubWorkDir, initHubStack, projectWorkDir, pulumiAsync, upHub } from "./lib/hubStack";

const HUB_STACK = "prod-eu";
const SLUG = "wg-tenant";
const NETWORK = "10.200.0.0/16";
const TUNNEL = "10.200.0.2";
const POLICY = ["--policy-pack", join(REPO, "policy")];
let estate: Estate;
let hubDir: string;
let tenantDir: string;
let hubAddress: string;
let tenantAddress: string;
let wireguard: ReturnType<typeof hubWireguardSchema.parse>;
const timings: Record<string, number> = {};
const { step } = sequentialSteps();

const onHub = (script: string) => estate.fleet.exec(hubAddress, script);
const onTenant = (script: string) => estate.fleet.exec(tenantAddress, script);
const tenantUp = (...extra: string[]) => pulumiAsync(estate.engine, ["up", "--yes", "--skip-preview", "--non-interactive", ...POLICY, ...extra, "-s", SLUG], tenantDir);
async function timed<T>(label: string, body: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try { return await body(); } finally { timings[label] = Math.round((Date.now() - started) / 1000); }
}

const throughHub = (target: string, port = 22) => throughJump(hubAddress, estate.privateKey, target, port);

beforeAll(async () => {
  estate = await startEstate(`letsbe-wg-${process.pid}`, { hub: "none" });
  // wireguard-go needs the tun device; the fakes start hosts through fleet.start (installs and creates).
  const start = estate.fleet.start.bind(estate.fleet);
  estate.fleet.start = async (...args) => {
    const host = await start(...args);
    docker("exec", host.name, "sh", "-c", "mkdir -p /dev/net && [ -c /dev/net/tun ] || mknod -m 0666 /dev/net/tun c 10 200");
    return host;
  };
  const server = estate.addPoolServer({ product: "RS 2000 G12", site: "Nuremberg" });
  hubAddress = server.ipv4;
  const hubConfig = {
    ...estateHubConfig({
      stack: HUB_STACK, zoneId: estate.zoneId, zoneName: ZONE_NAME, managementCidrs: [`${ESTATE_NETWORK.gateway}/32`],
      publicKey: estate.publicKey, registryHost: `127.0.0.1:${estate.registryPort}`,
      netcupServerName: server.name, netcupApiUrl: estate.scp.apiUrl, netcupTokenUrl: estate.scp.tokenUrl,
      cloudflareApiUrl: estate.cloudflare.apiUrl, images: estateHubImages(estate.pins, "s1"),
    }),
    "letsbe-hub:wireguard": { network: NETWORK },
  };
  hubDir = hubWorkDir(HUB_STACK, hubConfig);
  await initHubStack(estate.engine, hubDir, HUB_STACK, {
    "letsbe-hub:provisioningPrivateKey": estate.privateKey,
    "letsbe-hub:netcupRefreshToken": estate.scp.refreshToken,
    "letsbe-hub:rcloneConfig": "[offsite]\ntype = local\n",
    "letsbe-hub:cloudflareDnsToken": "cf-hub-dns-token-wg-estate",
    "cloudflare:apiToken": estate.cloudflare.token,
  });

  // The tenant stack as the order flow leaves it (tenantStackConfig + the estate's settings), with
  // the tunnel address the flow allocates: here written directly, the allocation is the flow's test.
  tenantDir = projectWorkDir("letsbe-tenant");
  const pins = estate.pins;
  writeFileSync(join(tenantDir, `Pulumi.${SLUG}.yaml`), dump({ config: {
    "letsbe-tenant:spec": {
      slug: SLUG, domain: `${SLUG}.${estateTenantBaseDomain("eu")}`, region: "eu", tier: "lite", provider: "netcup",
      tools: ["uptime_kuma"], contactEmail: "ops@example.net", createdAt: "2026-12-01",
    },
    "letsbe-tenant:hubOrg": ESTATE_ORG,
    "letsbe-tenant:release": { openclaw: pins["letsbe/openclaw:s1"], safetyWrapper: pins["letsbe/safety-wrapper:s1"], secretsProxy: pins["letsbe/secrets-proxy:s1"] },
    "letsbe-tenant:images": JSON.stringify({ tools: { uptime_kuma: pins["tools/uptime_kuma:s1"] } }),
    "letsbe-tenant:netcupApiUrl": estate.scp.apiUrl,
    "letsbe-tenant:netcupTokenUrl": estate.scp.tokenUrl,
    "letsbe-tenant:issueCertificate": "false",
    "letsbe-tenant:tunnelAddress": TUNNEL,
    "cloudflare:baseUrl": estate.cloudflare.apiUrl,
  } }, { lineWidth: -1 }));
  await pulumiAsync(estate.engine, ["stack", "init", SLUG, "--non-interactive"], tenantDir);
  for (const [key, value] of Object.entries(estate.secrets).filter(([k]) => !k.startsWith("hcloud:"))) {
    await pulumiAsync(estate.engine, ["config", "set", "--secret", key, "--stack", SLUG, "--non-interactive"], tenantDir, value);
  }
});

afterAll(async () => {
  await stopEstate(estate);
  console.log(`engine wireguard timings (s): ${JSON.stringify(timings)}`);
});

describe("the WireGuard management network through the real CLI", () => {
  step("the hub comes up as WireGuard hub and exports what spokes need, with its real key and host key", async () => {
    await timed("hub up", () => upHub(estate.engine, hubDir, HUB_STACK));
    const outputs = JSON.parse((await pulumiAsync(estate.engine, ["stack", "output", "--json", "-s", HUB_STACK], hubDir)).stdout) as Record<string, unknown>;
    wireguard = hubWireguardSchema.parse(outputs.wireguard);
    expect(wireguard).toMatchObject({ network: NETWORK, port: 51820, endpoint: `${hubAddress}:51820`, hubAddress: "10.200.0.1", jump: { host: hubAddress, port: 22, user: "root" } });
    expect(wireguard.publicKey).toBe(onHub("wg show wg-letsbe public-key").trim());
    expect(wireguard.jump.hostKey).toBe(onHub("cut -d' ' -f1,2 /etc/ssh/ssh_host_ecdsa_key.pub").trim());
    expect(onHub("ufw show added")).toContain("ufw allow 51820/udp");
    expect(onHub("ls /etc/letsbe/wireguard/peers | wc -l").trim()).toBe("0");
  });

  step("the tenant comes up as a spoke: its peer on the hub, the tunnel up, SSH on the tunnel address alone", async () => {
    await timed("tenant up", () => tenantUp());
    const outputs = JSON.parse((await pulumiAsync(estate.engine, ["stack", "output", "--json", "-s", SLUG], tenantDir)).stdout) as Record<string, unknown>;
    tenantAddress = String(outputs.ipv4);
    expect(tenantAddress).not.toBe(hubAddress);
    const spokeKey = onTenant("wg show wg-letsbe public-key").trim();
    expect(onHub("wg show wg-letsbe allowed-ips")).toBe(`${spokeKey}\t${TUNNEL}/32\n`);
    expect(onTenant("ss -Htln 'sport = :22' | awk '{print $4}'")).toBe(`${TUNNEL}:22\n`);
    expect(onTenant("docker compose -p letsbe ps --format '{{.Service}} {{.Health}}' | sort")).toContain("uptime-kuma healthy");
  });

  step("from outside: the tenant's public SSH is refused, SSH through the hub's tunnel works", async () => {
    expect(await probe(tenantAddress, 22, 3000)).toBe("closed");
    await expect(SshSession.connect({ host: tenantAddress, port: 22, username: "root", privateKey: estate.privateKey, readyTimeout: 5000 })).rejects.toThrow();
    const { session, jump } = await throughHub(TUNNEL);
    try {
      expect(await session.run("hostname")).toBe(`${SLUG}\n`);
    } finally {
      session.close();
      jump.end();
    }
    // The hub forwards to the spokes' SSH and nowhere else.
    await expect(throughHub(tenantAddress, 80)).rejects.toThrow();
  });

  step("a TCP scan of the tenant's public address finds only 80 and 443", async () => {
    expect(await timed("scan", () => openPorts(tenantAddress))).toEqual([80, 443]);
  });

  step("a second up of the tenant changes nothing", async () => {
    await timed("tenant no-change up", () => tenantUp("--expect-no-changes"));
  });

  step("destroying the tenant takes its peer off the hub, and its server goes back to the pool", async () => {
    await pulumiAsync(estate.engine, ["stack", "tag", "set", DECOMMISSION_TAG, "decommission-wg-tenant", "-s", SLUG], tenantDir);
    await pulumiAsync(estate.engine, ["config", "set", "letsbe-tenant:protect", "false", "-s", SLUG], tenantDir);
    await tenantUp();
    await timed("tenant destroy", () => pulumiAsync(estate.engine, ["destroy", "--yes", "--skip-preview", "--non-interactive", "-s", SLUG], tenantDir));
    expect(onHub("wg show wg-letsbe peers")).toBe("");
    expect(onHub("ls /etc/letsbe/wireguard/peers | wc -l").trim()).toBe("0");
    expect(onHub("grep -c PermitOpen /etc/ssh/sshd_config.d/50-letsbe-jump.conf || true").trim()).toBe("0");
    expect([...estate.scp.servers.values()].find((s) => s.ipv4 === tenantAddress)?.nickname).toBe("letsbe-pool");
  });
});
