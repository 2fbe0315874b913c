/**
 * The order flow as the CLI and the service build it from configuration (environment
 * variables, validated with zod): workspace, tenant store, secrets, Netcup pool, limits.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { z } from "zod";
import { TENANT_PROJECT } from "../contracts/hub";
import { PROVIDER_SECRET_CONFIG, TENANT_SECRET_CONFIG } from "../contracts/secrets";
import { DEFAULT_NETCUP_API_URL, DEFAULT_NETCUP_TOKEN_URL } from "../contracts/netcup";
import { InvalidInputError, zodProblems } from "../tenants/schema";
import { OrderFlow, TenantSecrets } from "./orders/flow";
import { ServerPool, netcupServerPool } from "./orders/provider";
import { TenantStore } from "./orders/store";
import { Backend, ENV_BACKEND } from "./workspace/select";
import { TenantWorkspace } from "./workspace/types";

const envSchema = z.object({
  LETSBE_ORG: z.string().min(1).default("letsbe"),
  /** The service's job journal and rollout journals live here (tenant records are in the backend). Default - `.letsbe/` in the working directory. */
  LETSBE_DATA_DIR: z.string().default(".letsbe"),
  /** Operations at once (K). */
  LETSBE_CONCURRENCY: z.coerce.number().int().min(1).max(200).default(4),
  /** Time limit of one operation attempt, seconds. */
  LETSBE_OPERATION_TIMEOUT_S: z.coerce.number().int().min(10).default(1800),
  NETCUP_API_URL: z.url().default(DEFAULT_NETCUP_API_URL),
  NETCUP_TOKEN_URL: z.url().default(DEFAULT_NETCUP_TOKEN_URL),
});

export type ContextEnv = z.output<typeof envSchema>;

export interface AutomationContext {
  readonly env: ContextEnv;
  readonly dataDir: string;
  readonly workspace: TenantWorkspace;
  readonly store: TenantStore;
  readonly flow: OrderFlow;
}

export function readContextEnv(env: NodeJS.ProcessEnv): ContextEnv {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) throw new InvalidInputError(zodProblems("environment", parsed.error));
  return parsed.data;
}

/** `letsbe-tenant:provisioningPrivateKey` -> `LETSBE_SECRET_PROVISIONING_PRIVATE_KEY`; `hcloud:token` -> `LETSBE_SECRET_HCLOUD_TOKEN`. */
export function secretEnvName(key: string): string {
  const name = key.startsWith(`${TENANT_PROJECT}:`) ? key.slice(TENANT_PROJECT.length + 1) : key.replace(":", "_");
  return `LETSBE_SECRET_${name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()}`;
}

/** Secrets that may be absent: Netcup's only matters for Netcup tenants; provider tokens may come from the environment. */
const OPTIONAL_SECRETS = new Set([`${TENANT_PROJECT}:netcupRefreshToken`, ...PROVIDER_SECRET_CONFIG.map((s) => s.key)]);

/**
 * Each secret from `LETSBE_SECRET_<NAME>` or a file named by `LETSBE_SECRET_<NAME>_FILE`. A
 * per-stack secret (one issued for a single tenant) is refused here: every stack would get it.
 */
export function readSecrets(env: NodeJS.ProcessEnv): TenantSecrets {
  const secrets: Record<string, string> = {};
  const missing: string[] = [];
  const perStack = TENANT_SECRET_CONFIG.filter((s) => s.perStack).map((s) => secretEnvName(s.key)).filter((name) => env[name] !== undefined || env[`${name}_FILE`] !== undefined);
  if (perStack.length > 0) {
    throw new InvalidInputError(perStack.map((name) => ({ source: "environment", path: name, message: "a per-tenant secret: set it on that tenant's stack (pulumi config set --secret -s <slug>), not in the order flow's environment, which every tenant stack would get" })));
  }
  for (const { key } of [...TENANT_SECRET_CONFIG.filter((s) => !s.perStack), ...PROVIDER_SECRET_CONFIG]) {
    const name = secretEnvName(key);
    const value = env[name] ?? (env[`${name}_FILE`] ? readFileSync(env[`${name}_FILE`] as string, "utf8") : undefined);
    if (value !== undefined && value !== "") secrets[key] = value;
    else if (!OPTIONAL_SECRETS.has(key)) missing.push(name);
  }
  if (missing.length > 0) {
    throw new InvalidInputError(missing.map((name) => ({ source: "environment", path: name, message: `required (or ${name}_FILE): a secret every tenant stack needs` })));
  }
  return secrets;
}

/** `programRoot`: the compiled tree holding `stacks/tenant` (dist/); `backend`: from the environment unless given. */
export async function createContext(processEnv: NodeJS.ProcessEnv, programRoot: string, backend: Backend = ENV_BACKEND): Promise<AutomationContext> {
  const env = readContextEnv(processEnv);
  const dataDir = resolve(env.LETSBE_DATA_DIR);
  const workspace = await backend.workspace(processEnv, programRoot);
  const store = backend.store(processEnv, dataDir);
  const secrets = readSecrets(processEnv);
  const netcupToken = secrets[`${TENANT_PROJECT}:netcupRefreshToken`];
  const pool: ServerPool | undefined = netcupToken
    ? netcupServerPool({ apiUrl: env.NETCUP_API_URL, tokenUrl: env.NETCUP_TOKEN_URL, refreshToken: netcupToken })
    : undefined;
  const flow = new OrderFlow({
    workspace, store, org: env.LETSBE_ORG, secrets, pool,
    concurrency: env.LETSBE_CONCURRENCY, timeoutMs: env.LETSBE_OPERATION_TIMEOUT_S * 1000,
  });
  return { env, dataDir, workspace, store, flow };
}
