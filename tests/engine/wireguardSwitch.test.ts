/**
 * Switching an already bootstrapped tenant onto the WireGuard management network, through the real
 * CLI: the hub with `letsbe-hub:wireguard`, a Netcup tenant brought up WITHOUT
 * `letsbe-tenant:tunnelAddress` (SSH on its public address, from the management CIDRs), then the
 * tunnel address set and `up` again. The preview first: the server and DNS untouched, the firewall
 * and ssh stages (their parameters gain the tunnel) replaced, the four spoke resources created,
 * every other stage only updated (its connection moves onto the tunnel), nothing deleted. Then the
 * up: first contact on the still open public address, the peer on the hub, every stage through the
 * tunnel, SSH on the tunnel address alone; public SSH refused, SSH through the hub working, the
 * compose stack still running, and a further up with `--expect-no-changes`. The bootstrapped host's
 * ufw lets SSH in from the management CIDRs only, so first contact (the spoke role) opens sshd's port
 * on the tunnel interface: without it the first stage through the tunnel never connects.
 */
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { dump } from "js-yaml";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { sequentialSteps } from "../host/lib/steps";
import { probe, throughJump } from "../host/lib/reach";
import { SshSession } from "../host/lib/ssh";
import { docker } from "../host/lib/infra";
import { REPO } from "./lib/engine";
import { ESTATE_NETWORK, Estate, ZONE_NAME, estateTenantBaseDomain, startEstate, stopEstate } from "./lib/estate";
import { ESTATE_ORG } from "./lib/hub";
import { estateHubConfig, estateHubImages, hubWorkDir, initHubStack, projectWorkDir, pulumiAsync, upHub } from "./lib/hubStack";

const HUB_STACK = "prod-eu";
const SLUG = "wg-switch";
const NETWORK = "10.200.0.0/16";
const TUNNEL = "10.200.0.2";
const POLICY = ["--policy-pack", join(REPO, "policy")];
// The base stages whose parameters carry the tunnel (stages.ts tunnelParam); every other stage's plan is unchanged.
const TUNNEL_STAGES = ["firewall", "ssh"];
const OTHER_STAGES = ["system", "packages", "unattended", "docker", "fail2ban", "layout", "tls", "nginx", "hardening", "compose"];
let estate: Estate;
let hubDir: string;
let tenantDir: string;
let hubAddress: string;
let tenantAddress: string;
let composeBefore: string;
const timings: Record<string, number> = {};
const { step } = sequentialSteps();

const onHub = (script: string) => estate.fleet.exec(hubAddress, script);
const onTenant = (script: string) => estate.fleet.exec(tenantAddress, script);
const tenantUp = (...extra: string[]) => pulumiAsync(estate.engine, ["up", "--yes", "--skip-preview", "--non-interactive", ...POLICY, ...extra, "-s", SLUG], tenantDir);
async function timed<T>(label: string, body: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try { return await body(); } finally { timings[label] = Math.round((Date.now() - started) / 1000); }
}
/** Container ids and start times of the compose project: a restarted or recreated container shows. */
const composeState = () => onTenant("docker ps -q --filter label=com.docker.compose.project=letsbe | xargs docker inspect -f '{{.Name}} {{.Id}} {{.State.StartedAt}}' | sort");

beforeAll(async () => {
  estate = await startEstate(`letsbe-wgs-${process.pid}`, { hub: "none" });
  // wireguard-go needs the tun device (no wireguard module in the test kernel), as in wireguard.test.ts.
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
    "letsbe-hub:cloudflareDnsToken": "cf-hub-dns-token-wgs-estate",
    "cloudflare:apiToken": estate.cloudflare.token,
  });

  // The tenant stack as the order flow leaves it for a tenant ordered before the region had a
  // WireGuard network: no tunnel address.
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
    "cloudflare:baseUrl": estate.cloudflare.apiUrl,
  } }, { lineWidth: -1 }));
  await pulumiAsync(estate.engine, ["stack", "init", SLUG, "--non-interactive"], tenantDir);
  for (const [key, value] of Object.entries(estate.secrets).filter(([k]) => !k.startsWith("hcloud:"))) {
    await pulumiAsync(estate.engine, ["config", "set", "--secret", key, "--stack", SLUG, "--non-interactive"], tenantDir, value);
  }
});

afterAll(async () => {
  await stopEstate(estate);
  console.log(`engine wireguard switch timings (s): ${JSON.stringify(timings)}`);
});

interface PreviewStep { readonly op: string; readonly urn: string }
/** Resource name -> operation of a `preview --json`, for every resource that is not left as it is. */
function changedResources(stdout: string): Record<string, string> {
  const steps = (JSON.parse(stdout) as { steps?: PreviewStep[] }).steps ?? [];
  const ops: Record<string, string> = {};
  for (const s of steps) {
    const op = ["create-replacement", "delete-replaced", "replace"].includes(s.op) ? "replace" : s.op;
    const name = s.urn.slice(s.urn.lastIndexOf("::") + 2);
    // The hub's StackReference is read on every run; a read changes nothing.
    if (op !== "same" && op !== "read" && !s.urn.includes("::pulumi:pulumi:Stack::")) ops[name] = op;
  }
  return ops;
}

describe("switching a bootstrapped tenant onto the WireGuard tunnel, through the real CLI", () => {
  step("the hub comes up as WireGuard hub; the tenant comes up without a tunnel address, SSH on its public address", async () => {
    await timed("hub up", () => upHub(estate.engine, hubDir, HUB_STACK));
    await timed("tenant up (public SSH)", () => tenantUp());
    const outputs = JSON.parse((await pulumiAsync(estate.engine, ["stack", "output", "--json", "-s", SLUG], tenantDir)).stdout) as Record<string, unknown>;
    tenantAddress = String(outputs.ipv4);
    expect(tenantAddress).not.toBe(hubAddress);
    expect(onTenant("ss -Htln 'sport = :22' | awk '{print $4}' | sort")).toMatch(/^(0\.0\.0\.0|\*):22\n/);
    expect(onTenant("ip link show wg-letsbe >/dev/null 2>&1 && echo wg || echo none")).toBe("none\n");
    expect(await probe(tenantAddress, 22, 3000)).toBe("open");
    expect(onHub("ls /etc/letsbe/wireguard/peers | wc -l").trim()).toBe("0");
    composeBefore = composeState();
    expect(composeBefore).toContain("uptime-kuma");
  });

  step("the preview of the switch: server and DNS untouched, firewall and ssh replaced, the spoke created, every other stage updated", async () => {
    await pulumiAsync(estate.engine, ["config", "set", "letsbe-tenant:tunnelAddress", TUNNEL, "-s", SLUG], tenantDir);
    const preview = await timed("preview", () => pulumiAsync(estate.engine, ["preview", "--json", "--non-interactive", ...POLICY, "-s", SLUG], tenantDir));
    const ops = changedResources(preview.stdout);
    const counts: Record<string, number> = {};
    for (const op of Object.values(ops)) counts[op] = (counts[op] ?? 0) + 1;
    console.log(`wireguard switch preview: ${JSON.stringify(counts)} ${JSON.stringify(ops)}`);
    const named = (op: string) => Object.keys(ops).filter((n) => ops[n] === op).sort();
    // The server, its addresses and DNS are not in the list at all; nothing is deleted.
    expect(Object.keys(ops).filter((n) => !n.startsWith(`${SLUG}-host-`))).toEqual([]);
    expect(named("delete")).toEqual([]);
    expect(named("create")).toEqual([`${SLUG}-host-wg-init`, `${SLUG}-host-wg-init-script`, `${SLUG}-host-wg-peer`, `${SLUG}-host-wg-peer-script`]);
    expect(named("replace")).toEqual(TUNNEL_STAGES.flatMap((s) => [`${SLUG}-host-${s}`, `${SLUG}-host-${s}-script`]).sort());
    // The rest change their connection alone: updated in place (the command provider runs create again).
    const updated = named("update");
    for (const s of OTHER_STAGES) expect(updated).toContain(`${SLUG}-host-${s}`);
    expect(updated.every((n) => OTHER_STAGES.some((s) => n === `${SLUG}-host-${s}` || n.startsWith(`${SLUG}-host-${s}-`)))).toBe(true);
    // Recorded: 9 base stages x (script copy + command), compose's 7 copies and its command.
    expect(updated.length).toBe(26);
    expect(ops[`${SLUG}-host-host-key`]).toBeUndefined();
    expect(Object.keys(ops).length).toBe(4 + 2 * TUNNEL_STAGES.length + updated.length);
  });

  step("the up of the switch: the spoke on the hub, SSH on the tunnel address alone, the compose stack untouched", async () => {
    await timed("tenant up (switch)", () => tenantUp());
    const spokeKey = onTenant("wg show wg-letsbe public-key").trim();
    expect(onHub("wg show wg-letsbe allowed-ips")).toBe(`${spokeKey}\t${TUNNEL}/32\n`);
    expect(onTenant("ss -Htln 'sport = :22' | awk '{print $4}'")).toBe(`${TUNNEL}:22\n`);
    expect(onTenant("ufw show added | grep 'port 22'")).toBe("ufw allow in on wg-letsbe to any port 22 proto tcp\n");
    expect(onTenant("docker compose -p letsbe ps --format '{{.Service}} {{.Health}}' | sort")).toContain("uptime-kuma healthy");
    // The same containers, not restarted: the compose stage's re-run found nothing to change.
    expect(composeState()).toBe(composeBefore);
  });

  step("afterwards: public SSH refused, SSH through the hub's tunnel working", async () => {
    expect(await probe(tenantAddress, 22, 3000)).toBe("closed");
    await expect(SshSession.connect({ host: tenantAddress, port: 22, username: "root", privateKey: estate.privateKey, readyTimeout: 5000 })).rejects.toThrow();
    const { session, jump } = await throughJump(hubAddress, estate.privateKey, TUNNEL);
    try {
      expect(await session.run("hostname")).toBe(`${SLUG}\n`);
    } finally {
      session.close();
      jump.end();
    }
  });

  step("a further up of the tenant changes nothing", async () => {
    await timed("tenant no-change up", () => tenantUp("--expect-no-changes"));
  });
});
