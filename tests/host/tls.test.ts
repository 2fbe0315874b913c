/**
 * The wildcard certificate issued for real (issue 16 part 4): a Debian 13 host bootstrapped by the
 * base stages first serves its placeholder; the tls stage, unchanged, then has certbot's Cloudflare
 * plugin solve DNS-01 against the Cloudflare fake (its API for the TXT records, its DNS for Pebble's
 * check) and Pebble issues the apex + wildcard certificate; nginx serves it at once; the renewal
 * certbot.timer starts runs the deploy hook and nginx serves the new one. The credential the host
 * holds is the tenant's zone-scoped token: refused for another tenant's zone and the hub's. Last, a
 * tenant under the base domain: its child zone made through the API and delegated by NS records in
 * the platform zone, the same stage issues with a token on the child zone alone, Pebble's check
 * reaching the challenge through the delegation.
 *
 * Test setup on the test host only: it trusts the test CA of Pebble's TLS listener, and
 * `/root/.cloudflare.cfg` gives python3-cloudflare the fake's base URL (`base_url`, the library's own
 * setting; certbot-dns-cloudflare has none), as api.cloudflare.com is not reachable here.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { connect } from "node:tls";
import { X509Certificate } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { HostParams, StagePlan, planBaseStages, planStage, renderSecretsFile } from "../../components/host/stages";
import { FakeCloudflare } from "../fakes/cloudflare/server";
import { FakeCloudflareDns } from "../fakes/cloudflare/dns";
import { Pebble, buildPebble, startPebble } from "./lib/acme";
import { docker, freePort, hostInfra } from "./lib/infra";
import { SshSession } from "./lib/ssh";
import { sequentialSteps } from "./lib/steps";
import { ed25519Pair } from "../fixtures/ed25519";

const NAME = `letsbe-host-tls-${process.pid}`;
const DOMAIN = "tls-test.example.net";
const TENANT_ZONE = "1111111111111111111111111111aaaa";
const OTHER_ZONE = "2222222222222222222222222222bbbb";
const PLATFORM_ZONE = "3333333333333333333333333333cccc";
let engine = "running";
let session: SshSession;
let address = "";
let cloudflare: FakeCloudflare;
let dns: FakeCloudflareDns;
let pebble: Pebble;
let tenantToken = "";

interface Served { readonly cert: X509Certificate; readonly issuer: string; readonly serial: string; readonly names: string }

/** The certificate nginx presents on 443 for the tenant's name. */
function served(): Promise<Served> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address, port: 443, servername: DOMAIN, rejectUnauthorized: false }, () => {
      const peer = socket.getPeerX509Certificate();
      socket.destroy();
      if (!peer) return reject(new Error("nginx presented no certificate"));
      resolve({ cert: peer, issuer: peer.issuer, serial: peer.serialNumber, names: peer.subjectAltName ?? "" });
    });
    socket.once("error", reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error("no TLS handshake in 10 s")));
  });
}

/**
 * The served certificate once `ready` holds, waiting up to 15 s: `systemctl reload nginx` returns
 * once the signal is sent, and a handshake in the next moment may still get the old certificate.
 */
async function servedWhen(ready: (s: Served) => boolean, what: string): Promise<Served> {
  const start = Date.now();
  let current = await served();
  while (!ready(current) && Date.now() - start < 15_000) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    current = await served();
  }
  console.log(`tls: nginx served ${what} ${Date.now() - start} ms after the step's command ended`);
  return current;
}

async function runStage(plan: StagePlan): Promise<string> {
  await session.upload(plan.remotePath, plan.script);
  const stdin = plan.secrets.length > 0 ? renderSecretsFile({ CLOUDFLARE_DNS_TOKEN: tenantToken, REGISTRATION_TOKEN: "registration-tls-test" }, plan.secrets) : undefined;
  const result = await session.exec(plan.command, stdin);
  if (result.code !== 0) throw new Error(`stage ${plan.name} exited ${result.code}\n${result.stdout}\n${result.stderr}\n--- pebble ---\n${pebble.output().slice(-3000)}`);
  return result.stdout + result.stderr;
}

const txtCalls = (method: string) => cloudflare.log.filter((c) => c.method === method && c.path.startsWith(`/zones/${TENANT_ZONE}/dns_records`)).length;

describe("the wildcard certificate, issued by Pebble through certbot's DNS-01 path", () => {
  const { step } = sequentialSteps();
  let params: HostParams;
  let issued: Served;

  beforeAll(async () => {
    const binary = buildPebble();
    engine = hostInfra("engine").trim();
    hostInfra("image");
    const keys = ed25519Pair("letsbe-provisioning-test");
    const dir = mkdtempSync(join(tmpdir(), "letsbe-host-"));
    writeFileSync(join(dir, "provisioning.pub"), `${keys.public}\n`);
    const port = await freePort();
    hostInfra("run", NAME, String(port), join(dir, "provisioning.pub"));
    address = docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", NAME).trim();
    const gateway = docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.Gateway}}{{end}}", NAME).trim();
    // The fakes listen where the host reaches this machine; Pebble asks the DNS side on loopback.
    cloudflare = await FakeCloudflare.start({
      host: gateway,
      zones: [{ name: DOMAIN, id: TENANT_ZONE }, { name: "other-tenant.example.net", id: OTHER_ZONE }, { name: "eu.letsbe.biz", id: PLATFORM_ZONE }],
    });
    tenantToken = cloudflare.issueZoneToken([TENANT_ZONE]);
    dns = await FakeCloudflareDns.start(cloudflare);
    pebble = await startPebble(binary, gateway, `${dns.address.host}:${dns.address.port}`);
    session = await SshSession.connect({ host: "127.0.0.1", port, username: "root", privateKey: keys.private });
    await session.run("DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ca-certificates >/dev/null");
    await session.upload("/usr/local/share/ca-certificates/letsbe-host-tier-acme.crt", pebble.tlsCa);
    await session.run("update-ca-certificates >/dev/null");
    await session.upload("/root/.cloudflare.cfg", `[Cloudflare]\nbase_url = ${cloudflare.apiUrl}\n`);
    params = {
      hostname: "tls-test", domain: DOMAIN, managementCidrs: [`${gateway}/32`], acmeEmail: "ops@example.net",
      acmeServer: pebble.directory, issueCertificate: false,
    };
  });

  afterAll(async () => {
    session?.close();
    hostInfra("stop", NAME);
    pebble?.stop();
    await dns?.stop();
    await cloudflare?.stop();
    if (engine === "started") hostInfra("engine-stop");
  });

  step("a host bootstrapped before its zone is delegated serves the placeholder", async () => {
    for (const plan of planBaseStages(params)) await runStage(plan);
    const placeholder = await served();
    expect(placeholder.issuer).toBe(`CN=${DOMAIN}`);
    expect(txtCalls("POST")).toBe(0);
  });

  step("the tls stage issues the apex + wildcard certificate from Pebble by DNS-01, and nginx serves it", async () => {
    const out = await runStage(planStage("tls", { ...params, issueCertificate: true }));
    expect(out).toContain(`certificate issued for ${DOMAIN} and *.${DOMAIN}`);
    issued = await servedWhen((s) => s.issuer.startsWith("CN=Pebble"), "the issued certificate");
    if (!issued.issuer.startsWith("CN=Pebble")) {
      const state = await session.exec("set -x; readlink /etc/letsbe/tls/current; openssl x509 -noout -issuer -in /etc/letsbe/tls/current/fullchain.pem; "
        + "journalctl -u nginx.service --no-pager -o short-precise | tail -20; tail -20 /var/log/nginx/error.log; systemctl status nginx.service --no-pager | head -20");
      throw new Error(`nginx still serves ${issued.issuer}\n--- stage ---\n${out}\n--- host ---\n${state.stdout}\n${state.stderr}`);
    }
    expect(issued.issuer).toMatch(/^CN=Pebble Intermediate CA [0-9a-f]+$/);
    expect(issued.names.split(", ").sort()).toEqual([`DNS:*.${DOMAIN}`, `DNS:${DOMAIN}`]);
    // Signed by the intermediate this Pebble holds, not only named after it.
    const intermediate = new X509Certificate(await pebble.intermediate());
    expect(issued.cert.checkIssued(intermediate)).toBe(true);
    expect(issued.cert.verify(intermediate.publicKey)).toBe(true);
    // One challenge record per name, written through the fake's API and removed after.
    expect(txtCalls("POST")).toBe(2);
    expect(txtCalls("DELETE")).toBe(2);
    expect(cloudflare.recordsOf(TENANT_ZONE)).toEqual([]);
    expect(dns.queries.filter((q) => q === `TXT _acme-challenge.${DOMAIN}`).length).toBeGreaterThanOrEqual(2);
    expect(cloudflare.violations).toEqual([]);
  });

  step("the credential on the host is the tenant's token, refused for another tenant's zone and the hub's", async () => {
    const ini = await session.run("stat -c '%a %U' /etc/letsencrypt/letsbe-cloudflare.ini && cat /etc/letsencrypt/letsbe-cloudflare.ini");
    expect(ini).toBe(`600 root\ndns_cloudflare_api_token = ${tenantToken}\n`);
    expect(tenantToken).not.toBe(cloudflare.token);
    // From the host, with the token certbot holds, as root on it could.
    const attempt = (zone: string) => session.run(`python3 - <<'PY'
import json, re, urllib.request, urllib.error
token = re.search(r"= (\\S+)", open("/etc/letsencrypt/letsbe-cloudflare.ini").read()).group(1)
body = json.dumps({"type": "TXT", "name": "_acme-challenge.forged", "content": "forged", "ttl": 120}).encode()
req = urllib.request.Request("${cloudflare.apiUrl}/zones/${zone}/dns_records", data=body, method="POST",
    headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
try:
    print(urllib.request.urlopen(req).status)
except urllib.error.HTTPError as e:
    print(e.code, json.load(e)["errors"][0]["code"])
PY`);
    expect((await attempt(OTHER_ZONE)).trim()).toBe("403 10000");
    expect((await attempt(PLATFORM_ZONE)).trim()).toBe("403 10000");
    expect(cloudflare.recordsOf(OTHER_ZONE)).toEqual([]);
    expect(cloudflare.recordsOf(PLATFORM_ZONE)).toEqual([]);
  });

  step("the renewal certbot.timer starts runs the deploy hook, and nginx serves the renewed certificate", async () => {
    // Make the 90-day certificate due now (the only test-side change), then run the timer's unit.
    await session.run(`sed -i '1i renew_before_expiry = 100 days' /etc/letsencrypt/renewal/${DOMAIN}.conf`);
    const posts = txtCalls("POST");
    const reloads = async () => Number((await session.run("journalctl -u nginx.service --no-pager -o cat | grep -c '^Reloaded' || true")).trim());
    const before = await reloads();
    await session.run("systemctl start certbot.service");
    const renewed = await servedWhen((s) => s.serial !== issued.serial, "the renewed certificate");
    expect(renewed.serial).not.toBe(issued.serial);
    expect(renewed.issuer).toMatch(/^CN=Pebble Intermediate CA /);
    expect(renewed.names).toBe(issued.names);
    expect(txtCalls("POST")).toBe(posts + 2);
    expect(await session.run(`readlink /etc/letsbe/tls/current`)).toBe(`/etc/letsencrypt/live/${DOMAIN}\n`);
    expect(await reloads()).toBe(before + 1);
  });

  step("a tenant under the base domain issues through its child zone, delegated from the platform zone", async () => {
    const child = "tls-child.eu.letsbe.biz";
    const api = async (method: string, path: string, body: unknown) => (await (await fetch(`${cloudflare.apiUrl}${path}`, {
      method, headers: { authorization: `Bearer ${cloudflare.token}`, "content-type": "application/json" }, body: JSON.stringify(body),
    })).json()) as { result: { id: string; name_servers: string[] } };
    // What the tenant stack does with the platform credential: the zone, then its delegation.
    const zone = (await api("POST", "/zones", { account: {}, name: child, type: "full" })).result;
    for (const ns of zone.name_servers) await api("POST", `/zones/${PLATFORM_ZONE}/dns_records`, { type: "NS", name: child, content: ns, ttl: 3600 });
    tenantToken = cloudflare.issueZoneToken([zone.id]);
    const out = await runStage(planStage("tls", { ...params, domain: child, issueCertificate: true }));
    expect(out).toContain(`certificate issued for ${child} and *.${child}`);
    const issuedChild = await servedWhen((s) => s.names.includes(child), "the child-zone tenant's certificate");
    expect(issuedChild.issuer).toMatch(/^CN=Pebble Intermediate CA /);
    expect(issuedChild.names.split(", ").sort()).toEqual([`DNS:*.${child}`, `DNS:${child}`]);
    // The challenge went into the child zone, through the child's token; the platform zone holds only the delegation.
    expect(cloudflare.log.filter((c) => c.method === "POST" && c.path === `/zones/${zone.id}/dns_records`)).toHaveLength(2);
    expect(cloudflare.recordsOf(PLATFORM_ZONE).map((r) => r.type)).toEqual(["NS", "NS"]);
    expect(dns.queries).toContain(`TXT _acme-challenge.${child}`);
    expect(await session.run("cat /etc/letsencrypt/letsbe-cloudflare.ini")).toBe(`dns_cloudflare_api_token = ${tenantToken}\n`);
    expect(cloudflare.violations).toEqual([]);
  });
});
