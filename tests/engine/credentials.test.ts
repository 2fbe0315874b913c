/**
 * Per-tenant credentials on the real engine: two tenants (one Netcup, one Hetzner) provisioned
 * through the order flow each get their own Hub registration token, made by their own stack
 * (random provider) and kept as a Pulumi secret. `pulumi stack export --show-secrets` of the two
 * stacks holds no credential in common; each host's hub.env holds its own stack's token; the plain
 * `registrationTokenSha256` output the Hub keeps matches that token and no other.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { parseOrder } from "../../automation/orders/schema";
import type { OperationOutcome } from "../../automation/orders/flow";
import { ReleaseOverride } from "../../tenants/release";
import { sequentialSteps } from "../host/lib/steps";
import { REPO, pulumi } from "./lib/engine";
import { Estate, ZONE_NAME, startEstate, stopEstate } from "./lib/estate";
import { onHost } from "./lib/hostChecks";

const TENANTS = [{ slug: "cred-netcup", provider: "netcup" }, { slug: "cred-hetzner", provider: "hetzner" }] as const;
const TOKEN_TYPE = "random:index/randomPassword:RandomPassword";
let estate: Estate;
let release: ReleaseOverride;
const outcomes = new Map<string, OperationOutcome>();
const { step } = sequentialSteps();

beforeAll(async () => {
  estate = await startEstate(`letsbe-engine-cred-${process.pid}`);
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

function registrationToken(slug: string): string {
  const exported = JSON.parse(exportOf(slug, true)) as Exported;
  const tokens = exported.deployment.resources.filter((r) => r.type === TOKEN_TYPE && r.urn.endsWith("::registration-token"));
  expect(tokens, `${slug}: one registration-token resource`).toHaveLength(1);
  const token = plain(tokens[0]!.outputs?.result);
  expect(typeof token).toBe("string");
  return token as string;
}

const sha256 = (value: string) => createHash("sha256").update(value).digest("hex");
const addressOf = (slug: string) => String(outcomes.get(slug)!.outputs.ipv4);

describe("per-tenant credentials on the real engine", () => {
  step("provision: both tenants through the order flow, at once", async () => {
    const started = Date.now();
    const results = await Promise.all(TENANTS.map(({ slug, provider }) => estate.flow.provision(parseOrder({
      orderId: `order-${slug}`,
      tenant: {
        slug, domain: `${slug}.${ZONE_NAME}`, cloudflareZoneId: estate.zoneId, region: "eu", tier: "lite", provider,
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

  step("each stack made its own token: the exports with their secrets hold no credential in common", async () => {
    const [a, b] = TENANTS.map(({ slug }) => registrationToken(slug));
    expect(a).toMatch(/^[A-Za-z0-9]{48}$/);
    expect(b).toMatch(/^[A-Za-z0-9]{48}$/);
    expect(a).not.toBe(b);
    const [secretsA, secretsB] = TENANTS.map(({ slug }) => secretStrings(JSON.parse(exportOf(slug, true))));
    expect(secretsA.has(a)).toBe(true);
    expect(secretsB.has(b)).toBe(true);
    expect(secretsB.has(a)).toBe(false);
    expect(secretsA.has(b)).toBe(false);
    // Without --show-secrets the token is ciphertext only.
    for (const [{ slug }, token] of TENANTS.map((t, i) => [t, [a, b][i]!] as const)) expect(exportOf(slug, false).includes(token), slug).toBe(false);
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
});
