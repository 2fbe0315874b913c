/** Stack configuration as the CLI would hand it to a program, read from files or specs. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { HUB_PROJECT, TENANT_PROJECT, hubStackReferenceName } from "../../contracts/hub";
import { HUB_SECRET_CONFIG, PROVIDER_SECRET_CONFIG, SecretConfigKey, TENANT_SECRET_CONFIG, placeholders } from "../../contracts/secrets";
import { TenantStackIdentity, tenantStackConfig } from "../../contracts/tenantStack";
import { TenantSpec } from "../../tenants/schema";
import { MockRunOptions } from "./mockRuntime";

export interface StackConfigFile {
  readonly config: Record<string, unknown>;
  /** Keys whose values are `secure:` ciphertexts; the plan fills them with placeholders. */
  readonly secretKeys: string[];
}

/** Reads `Pulumi.<stack>.yaml`. */
export function readStackConfigFile(file: string): StackConfigFile {
  const doc = (parseYaml(readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  const config: Record<string, unknown> = {};
  const secretKeys: string[] = [];
  for (const [key, value] of Object.entries(doc.config ?? {})) {
    if (value !== null && typeof value === "object" && "secure" in (value as object)) {
      config[key] = `[placeholder for ${key}]`;
      secretKeys.push(key);
    } else {
      config[key] = value;
    }
  }
  return { config, secretKeys };
}

/** Placeholders for the secrets an operator sets on every tenant stack. */
export const TENANT_SECRET_PLACEHOLDERS: Readonly<Record<string, string>> = placeholders(TENANT_SECRET_CONFIG);
export const HUB_SECRET_PLACEHOLDERS: Readonly<Record<string, string>> = placeholders(HUB_SECRET_CONFIG);

export type PlanIdentity = TenantStackIdentity;

const HCLOUD_TOKEN = PROVIDER_SECRET_CONFIG.find((k) => k.key === "hcloud:token") as SecretConfigKey;

/**
 * The hub's secret placeholders: the hub secrets, and `hcloud:token` when `letsbe-hub:snapshots` lists
 * hetzner (the snapshot job reads it as a stack secret; the hcloud provider alone never needs it offline).
 */
function hubSecretPlaceholders(config: Record<string, unknown>): Record<string, string> {
  const snapshots = config[`${HUB_PROJECT}:snapshots`] as { providers?: unknown } | undefined;
  const hetzner = Array.isArray(snapshots?.providers) && snapshots.providers.includes("hetzner");
  return hetzner ? { ...HUB_SECRET_PLACEHOLDERS, [HCLOUD_TOKEN.key]: HCLOUD_TOKEN.placeholder } : { ...HUB_SECRET_PLACEHOLDERS };
}

export function hubRunOptions(root: string, stack: string, identity: PlanIdentity): MockRunOptions {
  const file = readStackConfigFile(join(root, `Pulumi.${stack}.yaml`));
  const secrets = hubSecretPlaceholders(file.config);
  return {
    project: HUB_PROJECT,
    stack,
    organization: identity.org,
    config: { ...secrets, ...file.config },
    secretConfigKeys: [...new Set([...Object.keys(secrets), ...file.secretKeys])],
  };
}

export function tenantRunOptions(
  spec: TenantSpec,
  identity: PlanIdentity,
  hubOutputs: Record<string, unknown>,
  hubSecretOutputs: readonly string[],
  /** The plan's own tunnel address for the spec (automation/plan/tunnels.ts). Default - none. */
  tunnelAddress?: string,
): MockRunOptions {
  return {
    project: TENANT_PROJECT,
    stack: spec.slug,
    organization: identity.org,
    config: { ...tenantStackConfig(spec, identity, undefined, tunnelAddress), ...TENANT_SECRET_PLACEHOLDERS },
    secretConfigKeys: Object.keys(TENANT_SECRET_PLACEHOLDERS),
    stackReferences: {
      [hubStackReferenceName(identity.org, spec.region)]: { outputs: hubOutputs, secretOutputNames: hubSecretOutputs },
    },
  };
}
