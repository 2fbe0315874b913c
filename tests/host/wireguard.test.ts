/**
 * The WireGuard management network on two Debian 13 host containers on one test network (their
 * "public" addresses): a hub and a tenant host, reached from the test (the management source, the
 * network's gateway). In the order the tenant program runs them (createWireguardSpoke): first
 * contact on the fresh tenant's public address (host key, spoke key pair), the peer on the hub,
 * then every base stage through the hub's tunnel; SSH then reaches the tenant only that way and a
 * scan of its public address finds only 80 and 443. The test containers have no wireguard kernel module: they run wireguard-go
 * (/dev/net/tun made in the container by the test, as a test-host fact).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "ssh2";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { HostParams, RECORD_HOST_KEY_COMMAND, Stage, planBaseStages, planStage, renderSecretsFile } from "../../components/host/stages";
import { SpokeArgs, WireguardNetwork, hubJumpSources, planHubPeer, planHubWireguard, planSpokeWireguard, parsePublicKey } from "../../components/hub/wireguard";
import { docker, hostInfra } from "./lib/infra";
import { openPorts, probe, throughJump } from "./lib/reach";
import { ExecResult, SshSession } from "./lib/ssh";
import { sequentialSteps } from "./lib/steps";
import { ed25519Pair } from "../fixtures/ed25519";

const ID = process.pid;
const NET = `letsbe-wg-${ID}`;
// 198.18.48.0/22 is engine block 12's; this file takes its first /24 for its own network.
const SUBNET = "198.18.48.0/24";
const GATEWAY = "198.18.48.1";
const HUB = { name: `letsbe-wg-hub-${ID}`, address: "198.18.48.10" };
const TENANT = { name: `letsbe-wg-tenant-${ID}`, address: "198.18.48.11" };
const WG: WireguardNetwork = { network: "10.200.0.0/16", port: 51820 };
const TENANT_TUNNEL = "10.200.0.2";

const TEST_SECRETS: Record<string, string> = { CLOUDFLARE_DNS_TOKEN: "cf-dns-token-wireguard", REGISTRATION_TOKEN: "hub-registration-token-wireguard" };
const { step } = sequentialSteps();
let engine = "running";
let privateKey = "";
let hub: SshSession;
let tenant: SshSession;
let tenantPublic: SshSession | undefined;
let hubKey = "";
let spokeKey = "";
const timings: Record<string, number> = {};

const base = (hostname: string, extra: Partial<HostParams>): HostParams => ({
  hostname, domain: `${hostname}.example.net`, managementCidrs: [`${GATEWAY}/32`], acmeEmail: "ops@example.net", issueCertificate: false, ...extra,
});
const HUB_PARAMS = base("wg-hub", { publicUdpPorts: [WG.port] });
const TENANT_PARAMS = base("wg-tenant", { sshTunnelAddress: TENANT_TUNNEL });
let SPOKE: SpokeArgs;

/** What the stage resources do: copy the files, run the command with the secrets on stdin. */
async function runStage(session: SshSession, stage: Stage): Promise<ExecResult> {
  for (const file of stage.files) await session.upload(file.remotePath, file.content);
  const stdin = stage.secrets.length > 0 ? renderSecretsFile(TEST_SECRETS, stage.secrets) : undefined;
  return session.exec(stage.command, stdin);
}
async function mustRun(session: SshSession, stage: Stage): Promise<string> {
  const started = Date.now();
  const result = await runStage(session, stage);
  timings[stage.name] = (timings[stage.name] ?? 0) + Math.round((Date.now() - started) / 1000);
  if (result.code !== 0) throw new Error(`stage ${stage.name} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}
const changes = (stdout: string) => Number(/letsbe-stage \S+ changes=(\d+)/.exec(stdout)?.[1] ?? NaN);

const throughHub = (target: string, port = 22) => throughJump(HUB.address, privateKey, target, port);

describe("WireGuard management network: a hub and a tenant spoke", () => {
  let jump: Client | undefined;

  beforeAll(async () => {
    engine = hostInfra("engine").trim();
    hostInfra("image");
    const keys = ed25519Pair("letsbe-provisioning-test");
    privateKey = keys.private;
    const dir = mkdtempSync(join(tmpdir(), "letsbe-wg-"));
    writeFileSync(join(dir, "provisioning.pub"), `${keys.public}\n`);
    hostInfra("network", NET, SUBNET, GATEWAY);
    for (const host of [HUB, TENANT]) {
      hostInfra("run-at", host.name, NET, host.address, join(dir, "provisioning.pub"));
      // No wireguard module in this kernel: wireguard-go needs the tun device (Docker's default device rules allow it).
      docker("exec", host.name, "sh", "-c", "mkdir -p /dev/net && [ -c /dev/net/tun ] || mknod -m 0666 /dev/net/tun c 10 200");
    }
    hub = await SshSession.connect({ host: HUB.address, port: 22, username: "root", privateKey });
    tenantPublic = await SshSession.connect({ host: TENANT.address, port: 22, username: "root", privateKey });
  });

  afterAll(() => {
    jump?.end();
    for (const s of [hub, tenant, tenantPublic]) s?.close();
    for (const host of [HUB, TENANT]) hostInfra("stop", host.name);
    hostInfra("network-rm", NET);
    if (engine === "started") hostInfra("engine-stop");
    console.log(`wireguard tier timings (s): ${JSON.stringify(timings)}`);
  });

  step("bootstraps the hub (system, packages, firewall with the WireGuard port, ssh) and makes it the WireGuard hub", async () => {
    for (const plan of planBaseStages(HUB_PARAMS).filter((p) => ["system", "packages", "firewall", "ssh"].includes(p.name))) await mustRun(hub, plan);
    // As the Hub component runs it: the management CIDRs, loopback and the hub's own address.
    hubKey = parsePublicKey(await mustRun(hub, planHubWireguard(WG, hubJumpSources(HUB_PARAMS.managementCidrs, HUB.address))));
    SPOKE = { network: WG, address: TENANT_TUNNEL, hubEndpoint: HUB.address, hubPublicKey: hubKey };
    expect(await hub.run("ufw show added | grep '^ufw allow 51820/udp$'")).toBe("ufw allow 51820/udp\n");
    expect((await hub.run("ip -4 -o addr show dev wg-letsbe")).split(/\s+/)).toContain("10.200.0.1/16");
  });

  step("first contact on the fresh tenant's public address: host key, then the spoke's own key pair (only the public key leaves it)", async () => {
    const session = tenantPublic as SshSession;
    expect(await session.run(RECORD_HOST_KEY_COMMAND)).toMatch(/^ecdsa-sha2-nistp256 /);
    const out = await mustRun(session, planSpokeWireguard(SPOKE));
    spokeKey = parsePublicKey(out);
    expect(spokeKey).not.toBe(hubKey);
    expect(await session.run("stat -c '%a %U' /etc/wireguard/wg-letsbe.key")).toBe("600 root\n");
    const privateOnHost = (await session.run("cat /etc/wireguard/wg-letsbe.key")).trim();
    expect(out).not.toContain(privateOnHost);
    expect(await session.run("wg pubkey < /etc/wireguard/wg-letsbe.key")).toBe(`${spokeKey}\n`);
  });

  step("before the hub knows the spoke the tunnel is not up, and the firewall stage keeps SSH open to management (no lockout)", async () => {
    const session = tenantPublic as SshSession;
    expect(await session.run("wg show wg-letsbe latest-handshakes | awk '{print $2}'")).toBe("0\n");
    await mustRun(session, planStage("firewall", TENANT_PARAMS));
    expect((await session.run("ufw show added")).split("\n").filter((l) => l.includes("port 22")).sort())
      .toEqual([`ufw allow from ${GATEWAY} to any port 22 proto tcp`, "ufw allow in on wg-letsbe to any port 22 proto tcp"]);
    expect(await probe(TENANT.address, 22)).toBe("open");
  });

  step("adds the spoke on the hub; the tunnel comes up (handshake, and the hub reaches the tenant's SSH on its tunnel address)", async () => {
    await mustRun(hub, planHubPeer("wg-tenant", spokeKey, TENANT_TUNNEL));
    expect(await hub.run("wg show wg-letsbe allowed-ips")).toBe(`${spokeKey}\t${TENANT_TUNNEL}/32\n`);
    await (tenantPublic as SshSession).run("for i in $(seq 1 40); do [ \"$(wg show wg-letsbe latest-handshakes | awk '{print $2}')\" != 0 ] && exit 0; sleep 1; done; exit 1");
    await hub.run(`timeout 5 bash -c '</dev/tcp/${TENANT_TUNNEL}/22'`);
  });

  step("refuses a second spoke at a held address, or with a held key, naming the holder", async () => {
    const freshKey = (await hub.run("wg genkey | wg pubkey")).trim();
    const clash = await runStage(hub, planHubPeer("other-tenant", freshKey, TENANT_TUNNEL));
    expect(clash.code).toBe(1);
    expect(clash.stderr).toContain(`tunnel address ${TENANT_TUNNEL} is already held by spoke wg-tenant`);
    const sharedKey = await runStage(hub, planHubPeer("other-tenant", spokeKey, "10.200.0.3"));
    expect(sharedKey.code).toBe(1);
    expect(sharedKey.stderr).toContain("already used by spoke wg-tenant");
    expect(await hub.run("ls /etc/letsbe/wireguard/peers")).toBe("wg-tenant.peer\n");
  });

  step("runs every base stage through the hub's tunnel; SSH then listens on the tunnel address alone", async () => {
    const through = await throughHub(TENANT_TUNNEL);
    tenant = through.session;
    jump = through.jump;
    for (const plan of planBaseStages(TENANT_PARAMS)) await mustRun(tenant, plan);
    // The session that made the switch still works.
    expect(await tenant.run("hostname")).toBe("wg-tenant\n");
    expect((await tenant.run("ufw show added")).split("\n").filter((l) => l.startsWith("ufw ")).sort())
      .toEqual(["ufw allow 443/tcp", "ufw allow 80/tcp", "ufw allow in on wg-letsbe to any port 22 proto tcp"]);
    expect(await tenant.run("ss -Htln 'sport = :22' | awk '{print $4}'")).toBe(`${TENANT_TUNNEL}:22\n`);
    expect(await tenant.run("systemctl show -p After --value ssh.service")).toContain("wg-quick@wg-letsbe.service");
  });

  step("reaches the tenant's SSH only through the hub's tunnel, and the hub forwards nowhere else", async () => {
    tenantPublic?.close();
    tenantPublic = undefined;
    expect(await probe(TENANT.address, 22, 3000)).toBe("closed");
    await expect(SshSession.connect({ host: TENANT.address, port: 22, username: "root", privateKey, readyTimeout: 5000 })).rejects.toThrow();
    const again = await throughHub(TENANT_TUNNEL);
    expect(await again.session.run("echo via-hub")).toBe("via-hub\n");
    again.session.close();
    again.jump.end();
    // PermitOpen: the tenant's public address (even its open web port) is no forward target.
    await expect(throughHub(TENANT.address, 80)).rejects.toThrow();
    await expect(throughHub("127.0.0.1", 22)).rejects.toThrow();
  });

  step("from a shell on the hub itself (the order flow's Pulumi), `ssh -J` through its own public address or 127.0.0.1 reaches the spoke; another source is refused", async () => {
    // The provisioning key and a client config (no known_hosts: the test checks reach, not pins).
    await hub.upload("/root/jump-test/key", privateKey);
    await hub.upload("/root/jump-test/config", "Host *\n  User root\n  IdentityFile /root/jump-test/key\n  IdentitiesOnly yes\n  BatchMode yes\n"
      + "  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  ConnectTimeout 10\n  LogLevel ERROR\n");
    await hub.run("chmod 0700 /root/jump-test && chmod 0600 /root/jump-test/key");
    try {
      expect(await hub.run("grep '^Match User root Address' /etc/ssh/sshd_config.d/50-letsbe-jump.conf"))
        .toBe(`Match User root Address 127.0.0.1/32,${GATEWAY}/32,${HUB.address}/32,::1/128\n`);
      for (const jumpHost of [HUB.address, "127.0.0.1"]) {
        expect(await hub.run(`ssh -F /root/jump-test/config -J root@${jumpHost} root@${TENANT_TUNNEL} hostname`)).toBe("wg-tenant\n");
      }
      // 127.0.0.2 is loopback too, but not a jump source: sshd refuses the forward (what -J asks for).
      const outside = await hub.exec(`sleep 2 | timeout 15 ssh -F /root/jump-test/config -b 127.0.0.2 -W ${TENANT_TUNNEL}:22 root@127.0.0.1`);
      // Logged in (no "Permission denied"), then the forward refused.
      expect({ code: outside.code, stderr: outside.stderr.trim() }).toEqual({ code: 255, stderr: "stdio forwarding failed" });
      const inside = await hub.exec(`sleep 2 | timeout 15 ssh -F /root/jump-test/config -b 127.0.0.1 -W ${TENANT_TUNNEL}:22 root@127.0.0.1`);
      expect(inside.stdout).toMatch(/^SSH-2\.0-OpenSSH/);
    } finally {
      await hub.run("rm -rf /root/jump-test");
    }
  });

  step("a scan of the tenant's public address finds only 80 and 443", async () => {
    const started = Date.now();
    expect(await openPorts(TENANT.address)).toEqual([80, 443]);
    timings.scan = Math.round((Date.now() - started) / 1000);
  });

  step("re-runs every stage through the tunnel with no change, and stays tunnel-only", async () => {
    const stages: Stage[] = [...planBaseStages(TENANT_PARAMS), planSpokeWireguard(SPOKE)];
    const counts: Record<string, number> = {};
    for (const s of stages) counts[s.name] = changes(await mustRun(tenant, s));
    expect(counts).toEqual(Object.fromEntries(stages.map((s) => [s.name, 0])));
    expect(await probe(TENANT.address, 22, 3000)).toBe("closed");
    expect(await tenant.run("echo through-tunnel")).toBe("through-tunnel\n");
  });

  step("takes the spoke off the hub when asked (the tenant's delete)", async () => {
    const out = await mustRun(hub, planHubPeer("wg-tenant", "", "", "absent"));
    expect(changes(out)).toBeGreaterThan(0);
    expect(await hub.run("wg show wg-letsbe peers")).toBe("");
    expect(await hub.run("grep -c PermitOpen /etc/ssh/sshd_config.d/50-letsbe-jump.conf || true")).toBe("0\n");
  });
});
