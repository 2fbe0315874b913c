/**
 * The WireGuard management network through the real CLI, on one estate and one hub (`letsbe-hub:wireguard`,
 * its Netcup server adopted from the fake SCP, the base stages, the hub role, its apps) with two Netcup
 * tenants, their first ups side by side as the order flow runs them:
 *   - `wg-tenant` has `letsbe-tenant:tunnelAddress` from the start: every stage after first contact
 *     runs through the hub (the command provider's `proxy`). From outside, as the management source:
 *     its public SSH refused, SSH through the hub's tunnel working, a scan of its public address
 *     finding 80 and 443 alone; a second up changes nothing; destroy takes its peer off the hub.
 *   - `wg-switch` is bootstrapped WITHOUT a tunnel address (SSH on its public address, from the
 *     management CIDRs), then switched: the preview first (server and DNS untouched, firewall and ssh,
 *     whose parameters gain the tunnel, replaced, the spoke's resources created, every other stage
 *     only updated as its connection moves onto the tunnel, nothing deleted), then the up (first
 *     contact on the still open public address, the peer on the hub, every stage through the tunnel,
 *     the compose stack untouched), public SSH refused, SSH through the hub working, a further up
 *     with `--expect-no-changes`. Then a release changing wireguard.sh alone: first contact (public
 *     address, closed since the switch) must not run again, the wireguard stage through the tunnel does.
 * The bootstrapped host's ufw lets SSH in from the management CIDRs only, so first contact (the spoke
 * role) opens sshd's port on the tunnel interface: without it the first stage through the tunnel never
 * connects. Hosts run wireguard-go (lib/wireguardEstate.ts).
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { hubWireguardSchema } from "../../contracts/hub";
import { DECOMMISSION_TAG } from "../../policy/lib/tags";
import { TIERS } from "../../tenants/catalog";
import { sequentialSteps } from "../host/lib/steps";
import { openPorts, probe, throughJump } from "../host/lib/reach";
import { SshSession } from "../host/lib/ssh";
import { ChangedBuild, buildWithScriptChange, pointProgram } from "./lib/changedProgram";
import { REPO } from "./lib/engine";
import { Estate, stopEstate } from "./lib/estate";
import { pulumiAsync, upHub } from "./lib/hubStack";
import { changedResources } from "./lib/preview";
import { WG_HUB_STACK, WG_HUB_TUNNEL, WG_NETWORK, initNetcupTenant, startWireguardEstate } from "./lib/wireguardEstate";

const POLICY = ["--policy-pack", join(REPO, "policy")];
// The base stages whose parameters carry the tunnel (stages.ts tunnelParam); every other stage's plan is unchanged.
const TUNNEL_STAGES = ["firewall", "ssh"];
const OTHER_STAGES = ["system", "packages", "unattended", "docker", "fail2ban", "layout", "tls", "nginx", "hardening", "compose"];
const SCRIPT_MARK = "# changed by the engine test";

interface Tenant { readonly slug: string; readonly tunnel: string; dir: string; address: string }
/** Tunnel address from the start. */
const spoke: Tenant = { slug: "wg-tenant", tunnel: "10.200.0.2", dir: "", address: "" };
/** Bootstrapped on public SSH, then switched onto this tunnel address. */
const switched: Tenant = { slug: "wg-switch", tunnel: "10.200.0.3", dir: "", address: "" };
let estate: Estate;
let hubDir: string;
let hubAddress: string;
let wireguard: ReturnType<typeof hubWireguardSchema.parse>;
let composeBefore: string;
let changedBuild: ChangedBuild | undefined;
const timings: Record<string, number> = {};
const { step } = sequentialSteps();

const onHub = (script: string) => estate.fleet.exec(hubAddress, script);
const onTenant = (t: Tenant, script: string) => estate.fleet.exec(t.address, script);
const cli = (t: Tenant, ...args: string[]) => pulumiAsync(estate.engine, [...args, "-s", t.slug], t.dir);
const tenantUp = (t: Tenant, ...extra: string[]) => cli(t, "up", "--yes", "--skip-preview", "--non-interactive", ...POLICY, ...extra);
const tenantPreview = (t: Tenant) => cli(t, "preview", "--json", "--non-interactive", ...POLICY);
const outputsOf = async (t: Tenant) => JSON.parse((await cli(t, "stack", "output", "--json")).stdout) as Record<string, unknown>;
async function timed<T>(label: string, body: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try { return await body(); } finally { timings[label] = Math.round((Date.now() - started) / 1000); }
}
const throughHub = (target: string, port = 22) => throughJump(hubAddress, estate.privateKey, target, port);
/** `hostname` of the tenant over SSH through the hub's tunnel. */
async function hostnameThroughHub(t: Tenant): Promise<string> {
  const { session, jump } = await throughHub(t.tunnel);
  try {
    return await session.run("hostname");
  } finally {
    session.close();
    jump.end();
  }
}
/** The tenant's public SSH: nothing listens, no login. */
async function expectPublicSshRefused(t: Tenant): Promise<void> {
  expect(await probe(t.address, 22, 3000)).toBe("closed");
  await expect(SshSession.connect({ host: t.address, port: 22, username: "root", privateKey: estate.privateKey, readyTimeout: 5000 })).rejects.toThrow();
}
const peerLine = (t: Tenant) => `${onTenant(t, "wg show wg-letsbe public-key").trim()}\t${t.tunnel}/32\n`;
/** Container ids and start times of the compose project: a restarted or recreated container shows. */
const composeState = (t: Tenant) => onTenant(t, "docker ps -q --filter label=com.docker.compose.project=letsbe | xargs docker inspect -f '{{.Name}} {{.Id}} {{.State.StartedAt}}' | sort");

beforeAll(async () => {
  ({ estate, hubDir, hubAddress } = await startWireguardEstate(`letsbe-wg-${process.pid}`));
  // The pool holds two servers of the lite tier; a third, so a claim lost in the two tenants' race still finds one.
  estate.addPoolServer({ product: TIERS.lite.netcupProduct, site: "Nuremberg" });
  spoke.dir = await initNetcupTenant(estate, spoke.slug, spoke.tunnel);
  switched.dir = await initNetcupTenant(estate, switched.slug);
});

afterAll(async () => {
  changedBuild?.remove();
  await stopEstate(estate);
  console.log(`engine wireguard timings (s): ${JSON.stringify(timings)}`);
});

describe("the WireGuard management network through the real CLI", () => {
  step("the hub comes up as WireGuard hub and exports what spokes need, with its real key and host key", async () => {
    await timed("hub up", () => upHub(estate.engine, hubDir, WG_HUB_STACK));
    const outputs = JSON.parse((await pulumiAsync(estate.engine, ["stack", "output", "--json", "-s", WG_HUB_STACK], hubDir)).stdout) as Record<string, unknown>;
    wireguard = hubWireguardSchema.parse(outputs.wireguard);
    expect(wireguard).toMatchObject({ network: WG_NETWORK, port: 51820, endpoint: `${hubAddress}:51820`, hubAddress: WG_HUB_TUNNEL, jump: { host: hubAddress, port: 22, user: "root" } });
    expect(wireguard.publicKey).toBe(onHub("wg show wg-letsbe public-key").trim());
    expect(wireguard.jump.hostKey).toBe(onHub("cut -d' ' -f1,2 /etc/ssh/ssh_host_ecdsa_key.pub").trim());
    expect(onHub("ufw show added")).toContain("ufw allow 51820/udp");
    expect(onHub("ls /etc/letsbe/wireguard/peers | wc -l").trim()).toBe("0");
  });

  step("both tenants' first up, side by side: one with a tunnel address, one without", async () => {
    const results = await Promise.allSettled([
      timed(`${spoke.slug} up`, () => tenantUp(spoke)),
      timed(`${switched.slug} up (public SSH)`, () => tenantUp(switched)),
    ]);
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed.length > 0) throw new Error(failed.map((r) => String(r.reason)).join("\n\n"));
    spoke.address = String((await outputsOf(spoke)).ipv4);
    switched.address = String((await outputsOf(switched)).ipv4);
    expect(new Set([hubAddress, spoke.address, switched.address]).size).toBe(3);
  });

  step("the tenant with a tunnel address is a spoke: its peer on the hub, the tunnel up, SSH on the tunnel address alone", async () => {
    // The other tenant is no spoke yet: this peer is the hub's only one.
    expect(onHub("wg show wg-letsbe allowed-ips")).toBe(peerLine(spoke));
    expect(onTenant(spoke, "ss -Htln 'sport = :22' | awk '{print $4}'")).toBe(`${spoke.tunnel}:22\n`);
    expect(onTenant(spoke, "docker compose -p letsbe ps --format '{{.Service}} {{.Health}}' | sort")).toContain("uptime-kuma healthy");
  });

  step("the tenant without a tunnel address has SSH on its public address and no tunnel", async () => {
    expect(onTenant(switched, "ss -Htln 'sport = :22' | awk '{print $4}' | sort")).toMatch(/^(0\.0\.0\.0|\*):22\n/);
    expect(onTenant(switched, "ip link show wg-letsbe >/dev/null 2>&1 && echo wg || echo none")).toBe("none\n");
    expect(await probe(switched.address, 22, 3000)).toBe("open");
    // The hub holds the other tenant's peer alone.
    expect(onHub("ls /etc/letsbe/wireguard/peers")).toBe(`${spoke.slug}.peer\n`);
    composeBefore = composeState(switched);
    expect(composeBefore).toContain("uptime-kuma");
  });

  step("from outside: the spoke's public SSH is refused, SSH through the hub's tunnel works", async () => {
    await expectPublicSshRefused(spoke);
    expect(await hostnameThroughHub(spoke)).toBe(`${spoke.slug}\n`);
    // The hub forwards to the spokes' SSH and nowhere else.
    await expect(throughHub(spoke.address, 80)).rejects.toThrow();
  });

  step("a TCP scan of the spoke's public address finds only 80 and 443", async () => {
    expect(await timed("scan", () => openPorts(spoke.address))).toEqual([80, 443]);
  });

  step("a second up of the spoke changes nothing", async () => {
    await timed(`${spoke.slug} no-change up`, () => tenantUp(spoke, "--expect-no-changes"));
  });

  step("the preview of the switch: server and DNS untouched, firewall and ssh replaced, the spoke created, every other stage updated", async () => {
    const slug = switched.slug;
    await cli(switched, "config", "set", "letsbe-tenant:tunnelAddress", switched.tunnel);
    const ops = changedResources((await timed("switch preview", () => tenantPreview(switched))).stdout);
    const counts: Record<string, number> = {};
    for (const op of Object.values(ops)) counts[op] = (counts[op] ?? 0) + 1;
    console.log(`wireguard switch preview: ${JSON.stringify(counts)} ${JSON.stringify(ops)}`);
    const named = (op: string) => Object.keys(ops).filter((n) => ops[n] === op).sort();
    // The server, its addresses and DNS are not in the list at all; nothing is deleted.
    expect(Object.keys(ops).filter((n) => !n.startsWith(`${slug}-host-`))).toEqual([]);
    expect(named("delete")).toEqual([]);
    // First contact is one resource (a FirstContact: script and command); the peer entry a copy and a command.
    expect(named("create")).toEqual([`${slug}-host-wg-init`, `${slug}-host-wg-peer`, `${slug}-host-wg-peer-script`]);
    expect(named("replace")).toEqual(TUNNEL_STAGES.flatMap((s) => [`${slug}-host-${s}`, `${slug}-host-${s}-script`]).sort());
    // The rest change their connection alone: updated in place (the command provider runs create again).
    const updated = named("update");
    for (const s of OTHER_STAGES) expect(updated).toContain(`${slug}-host-${s}`);
    expect(updated.every((n) => OTHER_STAGES.some((s) => n === `${slug}-host-${s}` || n.startsWith(`${slug}-host-${s}-`)))).toBe(true);
    // Recorded: 9 base stages x (script copy + command), compose's 7 copies and its command.
    expect(updated.length).toBe(26);
    expect(ops[`${slug}-host-host-key`]).toBeUndefined();
    expect(Object.keys(ops).length).toBe(3 + 2 * TUNNEL_STAGES.length + updated.length);
  });

  step("the up of the switch: the spoke on the hub beside the other, SSH on the tunnel address alone, the compose stack untouched", async () => {
    await timed(`${switched.slug} up (switch)`, () => tenantUp(switched));
    // Both spokes on the one hub (wg lists peers in no set order).
    expect(onHub("wg show wg-letsbe allowed-ips | sort")).toBe([peerLine(spoke), peerLine(switched)].sort().join(""));
    expect(onTenant(switched, "ss -Htln 'sport = :22' | awk '{print $4}'")).toBe(`${switched.tunnel}:22\n`);
    expect(onTenant(switched, "ufw show added | grep 'port 22'")).toBe("ufw allow in on wg-letsbe to any port 22 proto tcp\n");
    expect(onTenant(switched, "docker compose -p letsbe ps --format '{{.Service}} {{.Health}}' | sort")).toContain("uptime-kuma healthy");
    // The same containers, not restarted: the compose stage's re-run found nothing to change.
    expect(composeState(switched)).toBe(composeBefore);
  });

  step("after the switch: public SSH refused, SSH through the hub's tunnel working", async () => {
    await expectPublicSshRefused(switched);
    expect(await hostnameThroughHub(switched)).toBe(`${switched.slug}\n`);
  });

  step("a further up of the switched tenant changes nothing", async () => {
    await timed(`${switched.slug} no-change up`, () => tenantUp(switched, "--expect-no-changes"));
  });

  step("destroying the spoke takes its peer off the hub, the other spoke's stays, and its server goes back to the pool", async () => {
    await cli(spoke, "stack", "tag", "set", DECOMMISSION_TAG, `decommission-${spoke.slug}`);
    await cli(spoke, "config", "set", "letsbe-tenant:protect", "false");
    await tenantUp(spoke);
    await timed(`${spoke.slug} destroy`, () => cli(spoke, "destroy", "--yes", "--skip-preview", "--non-interactive"));
    expect(onHub("wg show wg-letsbe allowed-ips")).toBe(peerLine(switched));
    expect(onHub("ls /etc/letsbe/wireguard/peers")).toBe(`${switched.slug}.peer\n`);
    expect(onHub("grep PermitOpen /etc/ssh/sshd_config.d/50-letsbe-jump.conf || true").trim()).toBe(`PermitOpen ${switched.tunnel}:22`);
    expect([...estate.scp.servers.values()].find((s) => s.ipv4 === spoke.address)?.nickname).toBe("letsbe-pool");
    expect(await hostnameThroughHub(switched)).toBe(`${switched.slug}\n`);
  });

  step("a wireguard.sh change after the switch: first contact left alone, the hub's peer entry re-made (removed first), the spoke still reached", async () => {
    const slug = switched.slug;
    // First contact runs on the public address, which the switch closed: it must never run again.
    const firstContact = [`${slug}-host-wg-init`];
    // The spoke's entry on the hub runs its own copy of wireguard.sh (over the hub's connection).
    const hubPeer = [`${slug}-host-wg-peer`, `${slug}-host-wg-peer-script`];
    const state = JSON.parse((await cli(switched, "stack", "export")).stdout) as { deployment: { resources?: Array<{ urn: string }> } };
    expect((state.deployment.resources ?? []).some((r) => r.urn.endsWith(`::${slug}-host-wg-init`))).toBe(true);
    changedBuild = buildWithScriptChange("stages/wireguard.sh", `${SCRIPT_MARK}\n`);
    pointProgram(switched.dir, changedBuild.program("tenant"));
    const ops = changedResources((await timed("wireguard.sh change preview", () => tenantPreview(switched))).stdout);
    console.log(`wireguard.sh change preview: ${JSON.stringify(ops)}`);
    // Soft: a wrong plan fails the step, and the up below still shows what it does on the hosts.
    for (const name of firstContact) expect.soft(ops[name], name).toBeUndefined();
    for (const name of hubPeer) expect.soft(ops[name], name).toBe("replace");
    // No stage of the tenant runs again: a switched spoke has no tunnelled wireguard stage (README, Known limits).
    expect.soft(Object.keys(ops).filter((n) => !hubPeer.includes(n))).toEqual([]);
    await timed(`${slug} up (wireguard.sh change)`, () => tenantUp(switched));
    await expectPublicSshRefused(switched);
    expect(onHub("wg show wg-letsbe allowed-ips")).toBe(peerLine(switched));
    expect(await hostnameThroughHub(switched)).toBe(`${slug}\n`);
    // The changed script reached the hub, and the peer it re-made is the spoke's (deleted before replaced).
    expect(onHub(`grep -l '^${SCRIPT_MARK}$' /var/lib/letsbe/bootstrap/*.sh || true`)).not.toBe("");
  });
});
