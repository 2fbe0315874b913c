/**
 * Per-tenant credentials on the real engine: two tenants provisioned through the order flow (a
 * Netcup one with a Cloudflare zone of its own, a Hetzner one under the base domain, which its
 * stack gives a child zone delegated from the platform zone) each get their own Hub registration
 * token (random provider) and their own DNS-01 token (a Cloudflare API token on their zone alone,
 * minted by the fake), both Pulumi secrets. `pulumi stack export --show-secrets` of the two stacks
 * holds neither credential of the other; each host holds its own and not the platform's; the plain
 * `registrationTokenSha256` output the Hub keeps matches that token and no other; the fake refuses
 * each DNS token on the other tenant's zone and on the platform zone with the hub's records.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { parseOrder } from "../../automation/orders/schema";
import type { OperationOutcome } from "../../automation/orders/flow";
import { ReleaseOverride } from "../../tenants/release";
import { sequentialSteps } from "../host/lib/steps";
import { REPO, pulumi } from "./lib/engine";
import { OrderFlow } from "../../automation/orders/flow";
import { ESTATE_NETWORK, Estate, startEstate, stopEstate } from "./lib/estate";
import { ESTATE_ORG, upContractHub } from "./lib/hub";
import { onHost } from "./lib/hostChecks";

// The first brings its own zone; the second sits under the repository's eu base domain (the hub
// contract below names its zone, as Pulumi.prod-eu.yaml does) and gets a child zone.
const TENANTS = [{ slug: "cred-netcup", provider: "netcup", ownZone: true }, { slug: "cred-hetzner", provider: "hetzner", ownZone: false }] as const;
/** The zone holding the eu platform domain `eu.letsbe.biz` and the hub's name. */
const PLATFORM_ZONE = "letsbe.biz";
const HUB_NAME = "hub.eu.letsbe.biz";
const TOKEN_TYPE = "random:index/randomPassword:RandomPassword";
const DNS_TOKEN_TYPE = "cloudflare:index/apiToken:ApiToken";
const zoneName = (slug: string) => (TENANTS.find((t) => t.slug === slug)!.ownZone ? `${slug}.example.org` : `${slug}.eu.${PLATFORM_ZONE}`);
let estate: Estate;
let flow: OrderFlow;
let platformZoneId = "";
let hubRecordId = "";
let release: ReleaseOverride;
const outcomes = new Map<string, OperationOutcome>();
const { step } = sequentialSteps();

beforeAll(async () => {
  estate = await startEstate(`letsbe-engine-cred-${process.pid}`, { hub: "none", zones: [PLATFORM_ZONE, ...TENANTS.filter((t) => t.ownZone).map(({ slug }) => zoneName(slug))] });
  platformZoneId = estate.cloudflare.zoneByName(PLATFORM_ZONE).id;
  await upContractHub(estate.engine, { provisioningPublicKey: estate.publicKey, managementCidrs: [`${ESTATE_NETWORK.gateway}/32`], cloudflareZoneId: platformZoneId });
  // The flow as the Hub runs it: admission against the contract's (the repository's) base domain.
  flow = new OrderFlow({ workspace: estate.workspace, store: estate.store, org: ESTATE_ORG, secrets: estate.secrets, attempts: 1, timeoutMs: 3_600_000 });
  // The hub's own record in the platform zone, as the hub stack makes it.
  const hubRecord = await fetch(`${estate.cloudflare.apiUrl}/zones/${platformZoneId}/dns_records`, {
    method: "POST", headers: { Authorization: `Bearer ${estate.cloudflare.token}`, "content-type": "application/json" },
    body: JSON.stringify({ type: "A", name: HUB_NAME, content: "192.0.2.80", ttl: 300 }),
  });
  hubRecordId = String(((await hubRecord.json()) as { result: { id: string } }).result.id);
  release = { openclaw: estate.pins["letsbe/openclaw:s1"], safetyWrapper: estate.pins["letsbe/safety-wrapper:s1"], secretsProxy: estate.pins["letsbe/secrets-proxy:s1"] };
});

afterAll(async () => {
  await stopEstate(estate);
  console.log(`engine credentials timings (s): ${JSON.stringify(estate?.timings)}`);
});

interface Exported {
  deployment: { resources: Array<{ urn: string; type: string; outputs?: Record<string, unknown> }> };
}

const exportOf = (slug: string, showSecrets: boolean) =>
  pulumi(estate.engine, ["stack", "export", "--stack", slug, ...(showSecrets ? ["--show-secrets"] : [])], join(REPO, "stacks", "tenant"));

/** A secret as `--show-secrets` writes it: the secret signature and its `plaintext` (JSON of the value). */
function plain(value: unknown): unknown {
  if (value && typeof value === "object" && "plaintext" in value) return JSON.parse(String((value as { plaintext: unknown }).plaintext)) as unknown;
  return value;
}

/** Every string the export holds in a secret, whatever the resource: what a leak of the state would give away. */
function secretStrings(node: unknown, inSecret = false, found = new Set<string>()): Set<string> {
  if (typeof node === "string") {
    if (inSecret && node.length >= 12) found.add(node);
  } else if (Array.isArray(node)) {
    for (const item of node) secretStrings(item, inSecret, found);
  } else if (node && typeof node === "object") {
    if ("plaintext" in node) return secretStrings(plain(node), true, found);
    for (const value of Object.values(node)) secretStrings(value, inSecret, found);
  }
  return found;
}

/** The secret output `property` of the stack's one resource of `type`, from the export with its secrets. */
function secretOf(slug: string, type: string, property: string): string {
  const exported = JSON.parse(exportOf(slug, true)) as Exported;
  const found = exported.deployment.resources.filter((r) => r.type === type);
  expect(found, `${slug}: one ${type}`).toHaveLength(1);
  const value = plain(found[0]!.outputs?.[property]);
  expect(typeof value).toBe("string");
  return value as string;
}

const registrationToken = (slug: string) => secretOf(slug, TOKEN_TYPE, "result");
const dnsToken = (slug: string) => secretOf(slug, DNS_TOKEN_TYPE, "value");
const zoneIdOf = (slug: string) => estate.cloudflare.zoneByName(zoneName(slug)).id;

const sha256 = (value: string) => createHash("sha256").update(value).digest("hex");
const addressOf = (slug: string) => String(outcomes.get(slug)!.outputs.ipv4);

describe("per-tenant credentials on the real engine", () => {
  step("provision: both tenants through the order flow, at once", async () => {
    const started = Date.now();
    const results = await Promise.all(TENANTS.map(({ slug, provider, ownZone }) => flow.provision(parseOrder({
      orderId: `order-${slug}`,
      tenant: {
        slug, domain: zoneName(slug), ...(ownZone ? { cloudflareZoneId: zoneIdOf(slug) } : {}), region: "eu", tier: "lite", provider,
        tools: ["uptime_kuma"], contactEmail: "ops@example.net", createdAt: "2026-12-01",
      },
      release,
    }))));
    estate.timings["op:provision-both"] = (Date.now() - started) / 1000;
    for (const [i, outcome] of results.entries()) {
      expect(outcome.reason, outcome.reason).toBeUndefined();
      outcomes.set(TENANTS[i]!.slug, outcome);
    }
  });

  step("each stack made its own credentials: the exports with their secrets hold no registration or DNS token in common", async () => {
    const [a, b] = TENANTS.map(({ slug }) => registrationToken(slug));
    expect(a).toMatch(/^[A-Za-z0-9]{48}$/);
    expect(b).toMatch(/^[A-Za-z0-9]{48}$/);
    expect(a).not.toBe(b);
    const [dnsA, dnsB] = TENANTS.map(({ slug }) => dnsToken(slug));
    expect(dnsA).not.toBe(dnsB);
    const [secretsA, secretsB] = TENANTS.map(({ slug }) => secretStrings(JSON.parse(exportOf(slug, true))));
    for (const own of [a, dnsA]) expect(secretsA.has(own) && !secretsB.has(own)).toBe(true);
    for (const own of [b, dnsB]) expect(secretsB.has(own) && !secretsA.has(own)).toBe(true);
    // Without --show-secrets each is ciphertext only.
    for (const [{ slug }, tokens] of TENANTS.map((t, i) => [t, i === 0 ? [a, dnsA] : [b, dnsB]] as const)) {
      for (const token of tokens) expect(exportOf(slug, false).includes(token), slug).toBe(false);
    }
  });

  step("each host holds its own stack's token; the digest the Hub keeps matches it and no other tenant's", async () => {
    const tokens = TENANTS.map(({ slug }) => registrationToken(slug));
    for (const [i, { slug }] of TENANTS.entries()) {
      const onDisk = await onHost(addressOf(slug), estate.privateKey, (ssh) => ssh.run("stat -c '%a %U' /opt/letsbe/secrets/hub.env && cat /opt/letsbe/secrets/hub.env"));
      expect(onDisk).toBe(`600 root\nLETSBE_REGISTRATION_TOKEN=${tokens[i]}\n`);
      const digest = outcomes.get(slug)!.outputs.registrationTokenSha256;
      expect(digest).toBe(sha256(tokens[i]!));
      expect(digest).not.toBe(sha256(tokens[1 - i]!));
    }
  });

  step("each host holds its own DNS-01 token; the fake refuses it on the other tenant's zone", async () => {
    const tokens = TENANTS.map(({ slug }) => dnsToken(slug));
    expect(tokens[0]).not.toBe(tokens[1]);
    for (const [i, { slug }] of TENANTS.entries()) {
      const ini = await onHost(addressOf(slug), estate.privateKey, (ssh) => ssh.run("cat /etc/letsencrypt/letsbe-cloudflare.ini"));
      expect(ini).toBe(`dns_cloudflare_api_token = ${tokens[i]}\n`);
    }
    const records = async (token: string, zoneId: string) => (await fetch(`${estate.cloudflare.apiUrl}/zones/${zoneId}/dns_records`, { headers: { Authorization: `Bearer ${token}` } })).status;
    const challenge = async (token: string, zoneId: string, name: string) => (await fetch(`${estate.cloudflare.apiUrl}/zones/${zoneId}/dns_records`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ type: "TXT", name: `_acme-challenge.${name}`, content: "forged", ttl: 120 }),
    })).status;
    for (const [i, { slug }] of TENANTS.entries()) {
      const other = TENANTS[1 - i]!.slug;
      expect(await records(tokens[i]!, zoneIdOf(slug)), slug).toBe(200);
      expect(await records(tokens[i]!, zoneIdOf(other)), slug).toBe(403);
      expect(await challenge(tokens[i]!, zoneIdOf(other), zoneName(other)), slug).toBe(403);
      // The platform zone holds the hub's records and every delegation.
      expect(await records(tokens[i]!, platformZoneId), slug).toBe(403);
      expect(await challenge(tokens[i]!, platformZoneId, zoneName(other)), slug).toBe(403);
      const rewrite = await fetch(`${estate.cloudflare.apiUrl}/zones/${platformZoneId}/dns_records/${hubRecordId}`, {
        method: "PATCH", headers: { Authorization: `Bearer ${tokens[i]!}`, "content-type": "application/json" }, body: JSON.stringify({ content: "198.51.100.66" }),
      });
      expect(rewrite.status, slug).toBe(403);
    }
    expect(estate.cloudflare.recordsOf(platformZoneId).filter((r) => r.type === "TXT")).toEqual([]);
    expect(estate.cloudflare.records.get(hubRecordId)?.content).toBe("192.0.2.80");
    // Neither host holds the platform credential where it keeps configuration or state (the same search finds its own token).
    const holding = (slug: string, token: string) => onHost(addressOf(slug), estate.privateKey, async (ssh) =>
      (await ssh.exec("grep -rlFf - /etc /opt /root /var/lib/letsbe 2>/dev/null", `${token}\n`)).stdout.trim().split("\n").filter(Boolean));
    for (const [i, { slug }] of TENANTS.entries()) {
      expect(await holding(slug, tokens[i]!), slug).toContain("/etc/letsencrypt/letsbe-cloudflare.ini");
      expect(await holding(slug, estate.cloudflare.token), slug).toEqual([]);
    }
  });

  step("the base-domain tenant's records live in its own child zone, delegated from the platform zone by NS records naming the zone's name servers", async () => {
    const { slug } = TENANTS[1];
    const child = estate.cloudflare.zoneByName(zoneName(slug));
    expect(child.status).toBe("active");
    expect(estate.cloudflare.parentOf(child.name)?.id).toBe(platformZoneId);
    const ns = estate.cloudflare.recordsOf(platformZoneId).filter((r) => r.name === child.name);
    expect(ns.map((r) => r.type)).toEqual(["NS", "NS"]);
    expect(ns.map((r) => r.content).sort()).toEqual([...child.nameServers].sort());
    const ipv4 = addressOf(slug);
    const a = estate.cloudflare.recordsOf(child.id).filter((r) => r.type === "A").map((r) => `${r.name} ${r.content}`).sort();
    expect(a).toEqual([`*.${child.name} ${ipv4}`, `${child.name} ${ipv4}`]);
    expect(estate.cloudflare.recordsOf(platformZoneId).filter((r) => r.name.endsWith(child.name) && r.type !== "NS")).toEqual([]);
    const zones = (JSON.parse(exportOf(slug, false)) as { deployment: { resources: Array<{ type: string; protect?: boolean }> } }).deployment.resources.filter((r) => r.type === "cloudflare:index/zone:Zone");
    expect(zones.map((z) => z.protect)).toEqual([true]);
  });
});
