/**
 * The real hub stack on the estate: the hub program as an operator's checkout holds it (Pulumi.yaml,
 * `Pulumi.<stack>.yaml`), its Netcup server adopted by name from the fake SCP, the bootstrap over SSH,
 * the containers through the docker provider over SSH, DNS at the fake Cloudflare; every command the
 * built CLI itself, secrets set through its stdin (never in its arguments).
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dump, load } from "js-yaml";
import type { ImagePin, RegionId } from "../../../tenants/catalog";
import { DECOMMISSION_TAG } from "../../../policy/lib/tags";
import { EngineEnv, REPO } from "./engine";
import { estateTenantBaseDomain } from "./estate";

/** A folder as an operator's checkout of one project has it: Pulumi.yaml and the compiled program. */
export function projectWorkDir(project: "letsbe-hub" | "letsbe-tenant", root: string = tmpdir()): string {
  const dir = mkdtempSync(join(root, `${project}-`));
  symlinkSync(join(REPO, "dist", "stacks", project === "letsbe-hub" ? "hub" : "tenant"), join(dir, "program"), "dir");
  writeFileSync(join(dir, "Pulumi.yaml"), `name: ${project}\nruntime:\n  name: nodejs\n  options:\n    typescript: false\nmain: program/index.js\n`);
  return dir;
}

/** The hub's checkout and, when given, the stack's config file. */
export function hubWorkDir(stack: string, config?: Readonly<Record<string, unknown>>): string {
  const dir = projectWorkDir("letsbe-hub");
  if (config) writeFileSync(join(dir, `Pulumi.${stack}.yaml`), dump({ config }, { lineWidth: -1 }));
  return dir;
}

/** Runs the built CLI without blocking the event loop (the fakes answer it from this process). */
export function pulumiAsync(engine: EngineEnv, args: readonly string[], cwd: string, input?: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile("pulumi", [...args], { cwd, encoding: "utf8", env: { ...process.env, ...engine.env }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(Object.assign(new Error(`pulumi ${args.join(" ")} failed (${error.code}):\n${stderr}\n${stdout}`), { stdout, stderr }));
      else resolve({ stdout, stderr });
    });
    child.stdin?.end(input ?? "");
  });
}

export interface EstateHubInputs {
  readonly stack: string;
  /** Default - eu. */
  readonly region?: RegionId;
  readonly zoneId: string;
  readonly zoneName: string;
  readonly managementCidrs: readonly string[];
  readonly publicKey: string;
  readonly registryHost: string;
  readonly netcupServerName: string;
  readonly netcupApiUrl: string;
  readonly netcupTokenUrl: string;
  readonly cloudflareApiUrl: string;
  /** Current (and previous) pin per hub service. */
  readonly images: Readonly<Record<string, { current: ImagePin; previous?: ImagePin }>>;
}

/** The hub's name on the estate: `hub.<region>.<zone>`, beside the region's tenant base domain. */
export const estateHubDomain = (region: RegionId, zoneName: string) => `hub.${region}.${zoneName}`;

/** The hub apps' stand-in repositories (lib/estate.ts STANDINS); postgres keeps its one release. */
export const HUB_APP_STANDINS = { hubWebApi: "letsbe/hub-web-api", hubWorker: "letsbe/hub-worker", notifications: "letsbe/notifications" } as const;

/** The hub's image pins on the estate: release s1, or s2 with s1 kept as previous. */
export function estateHubImages(pins: Readonly<Record<string, ImagePin>>, release: "s1" | "s2"): EstateHubInputs["images"] {
  return {
    postgres: { current: pins["letsbe/hub-postgres:s1"] },
    ...Object.fromEntries(Object.entries(HUB_APP_STANDINS).map(([id, repo]) => [id, release === "s1"
      ? { current: pins[`${repo}:s1`] }
      : { current: pins[`${repo}:s2`], previous: pins[`${repo}:s1`] }])),
  };
}

const ref = (pin: ImagePin) => `${pin.repository}:${pin.tag}@${pin.digest}`;

/** The stack config an operator would commit for this hub, pointed at the estate. */
export function estateHubConfig(inputs: EstateHubInputs): Record<string, unknown> {
  const region = inputs.region ?? "eu";
  return {
    "letsbe-hub:settings": {
      region,
      hubDomain: estateHubDomain(region, inputs.zoneName),
      tenantBaseDomain: estateTenantBaseDomain(region),
      cloudflareZoneId: inputs.zoneId,
      managementCidrs: [...inputs.managementCidrs],
      provisioningPublicKey: inputs.publicKey,
      registryHost: inputs.registryHost,
    },
    "letsbe-hub:server": {
      provider: "netcup", name: `letsbe-hub-${region}`, netcupServerName: inputs.netcupServerName, product: "RS 2000 G12",
      netcupApiUrl: inputs.netcupApiUrl, netcupTokenUrl: inputs.netcupTokenUrl,
    },
    "letsbe-hub:images": Object.fromEntries(Object.entries(inputs.images).map(([id, pair]) => [id, {
      current: ref(pair.current), ...(pair.previous ? { previous: ref(pair.previous) } : {}),
    }])),
    "letsbe-hub:backup": { rcloneRemote: "offsite:estate-hub-backups" },
    "letsbe-hub:environment": { LOG_LEVEL: "debug" },
    // No ACME server is part of this estate: the hub keeps its placeholder certificate.
    "letsbe-hub:issueCertificate": "false",
    "cloudflare:baseUrl": inputs.cloudflareApiUrl,
  };
}

/** Creates the stack in the backend and sets each secret through the CLI's stdin. */
export async function initHubStack(engine: EngineEnv, dir: string, stack: string, secrets: Readonly<Record<string, string>>): Promise<void> {
  await pulumiAsync(engine, ["stack", "init", stack, "--non-interactive"], dir);
  for (const [key, value] of Object.entries(secrets)) {
    await pulumiAsync(engine, ["config", "set", "--secret", key, "--stack", stack, "--non-interactive"], dir, value);
  }
}

/** `pulumi up --yes` of the hub with the policy pack, as CI runs it; returns the CLI's output. */
export async function upHub(engine: EngineEnv, dir: string, stack: string): Promise<string> {
  const { stdout } = await pulumiAsync(engine, ["up", "--yes", "--skip-preview", "--non-interactive", "--policy-pack", join(REPO, "policy"), "-s", stack], dir);
  return stdout;
}

/**
 * Decommissioning as an operator does it: the stack tagged with the confirmation, one `up` with
 * protection off (stateful-protected honours the tag), then `pulumi destroy`.
 */
export async function decommissionHub(engine: EngineEnv, dir: string, stack: string, confirmation: string): Promise<void> {
  await pulumiAsync(engine, ["stack", "tag", "set", DECOMMISSION_TAG, confirmation, "-s", stack], dir);
  await pulumiAsync(engine, ["config", "set", "letsbe-hub:protect", "false", "-s", stack], dir);
  await upHub(engine, dir, stack);
  await pulumiAsync(engine, ["destroy", "--yes", "--skip-preview", "--non-interactive", "-s", stack], dir);
}

/** A release of the hub as an operator makes it: the images key of the stack's file edited, the rest kept. */
export function setHubImages(dir: string, stack: string, images: unknown): void {
  const file = join(dir, `Pulumi.${stack}.yaml`);
  const doc = load(readFileSync(file, "utf8")) as { config: Record<string, unknown> };
  doc.config["letsbe-hub:images"] = images;
  writeFileSync(file, dump(doc, { lineWidth: -1 }));
}
