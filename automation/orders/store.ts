/**
 * Where the order flow keeps each tenant's resolved spec and pins between operations: the tenant's
 * own stack in the Pulumi backend (stack config and tags), so every process sees one fleet.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigMap, LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { z } from "zod";
import { TENANT_PROJECT } from "../../contracts/hub";
import { TENANT_CONFIG } from "../../contracts/tenantStack";
import { ReleaseOverride, releaseOverrideSchema } from "../../tenants/release";
import { InvalidInputError, SLUG_PATTERN, TenantSpec, parseTenantSpec, zodProblems } from "../../tenants/schema";
import { CHILD_ENV_INHERITED, onlyGivenEnv } from "../workspace/local";
import { KeyedLock } from "./limits";

export interface TenantRecord {
  readonly slug: string;
  /** The order that created the tenant; a second order for the same slug is refused. */
  readonly orderId: string;
  /** Validated spec with the provider resolved and pinned. */
  readonly spec: TenantSpec;
  /** Release pins the stack is configured with (rollouts move these). */
  readonly release?: ReleaseOverride;
  /** Address on the region's WireGuard network, allocated once by the order flow (orders/tunnel.ts). */
  readonly tunnelAddress?: string;
  readonly status: "active" | "destroyed";
  /** ISO timestamp of the first successful `up`; absent while the tenant has never come up. */
  readonly provisionedAt?: string;
  /** ISO timestamp of the last change. */
  readonly updatedAt: string;
}

export interface TenantStore {
  get(slug: string): Promise<TenantRecord | undefined>;
  put(record: TenantRecord): Promise<void>;
  list(): Promise<TenantRecord[]>;
}

export class MemoryTenantStore implements TenantStore {
  private readonly records = new Map<string, TenantRecord>();
  constructor(initial: readonly TenantRecord[] = []) {
    for (const record of initial) this.records.set(record.slug, record);
  }
  async get(slug: string): Promise<TenantRecord | undefined> {
    return this.records.get(slug);
  }
  async put(record: TenantRecord): Promise<void> {
    this.records.set(record.slug, record);
  }
  async list(): Promise<TenantRecord[]> {
    return [...this.records.values()].sort((a, b) => a.slug.localeCompare(b.slug));
  }
}

/** Stack tags of a tenant: what a listing needs, and what must hold at once (the provider pin, the status). */
export const RECORD_TAGS = {
  status: "letsbe:status", orderId: "letsbe:orderId", group: "letsbe:group", region: "letsbe:region", createdAt: "letsbe:createdAt",
  provider: "letsbe:provider", provisionedAt: "letsbe:provisionedAt", updatedAt: "letsbe:updatedAt",
} as const;

// The tenant stack's config layout, as the program reads it (contracts/tenantStack.ts).
const SPEC_KEY = `${TENANT_PROJECT}:${TENANT_CONFIG.spec}`;
const RELEASE_KEY = `${TENANT_PROJECT}:${TENANT_CONFIG.release}`;
const HUB_ORG_KEY = `${TENANT_PROJECT}:${TENANT_CONFIG.hubOrg}`;
const TUNNEL_KEY = `${TENANT_PROJECT}:${TENANT_CONFIG.tunnelAddress}`;

const tagsSchema = z.object({
  [RECORD_TAGS.status]: z.enum(["active", "destroyed"]),
  [RECORD_TAGS.orderId]: z.string().min(1),
  [RECORD_TAGS.provider]: z.enum(["netcup", "hetzner"]),
  [RECORD_TAGS.provisionedAt]: z.string().min(1).optional(),
  [RECORD_TAGS.updatedAt]: z.string().min(1),
});

export interface StackTenantStoreOptions {
  /** Environment of the CLI: the backend (PULUMI_BACKEND_URL, PULUMI_ACCESS_TOKEN) and PULUMI_CONFIG_PASSPHRASE. */
  readonly envVars: Readonly<Record<string, string>>;
  /** Stack name prefix, as the workspace names stacks (`letsbe/` on Pulumi Cloud, none on a DIY backend). */
  readonly stackPrefix?: string;
  /** Pulumi organization the tenant program reads its hub from (`letsbe-tenant:hubOrg`). */
  readonly org: string;
  /** Parent of the store's work directory. Default - the OS temp folder. */
  readonly workRoot?: string;
  /** Stacks read at once by `list`. Default - 8. */
  readonly readConcurrency?: number;
}

/**
 * The fleet's record in the Pulumi backend: a tenant is its stack `letsbe-tenant/<slug>`. The spec (with
 * the pinned provider) and the release pins are the stack config of its latest deployment, read back
 * with `pulumi config refresh`; status, order, provider pin and listing fields are stack tags, written
 * at once. The service, the CLI and CI read the same record on any backend.
 */
export class StackTenantStore implements TenantStore {
  private workspace?: Promise<LocalWorkspace>;
  private readonly lock = new KeyedLock();

  constructor(private readonly options: StackTenantStoreOptions) {}

  get(slug: string): Promise<TenantRecord | undefined> {
    if (!SLUG_PATTERN.test(slug)) return Promise.resolve(undefined);
    return this.lock.run(slug, async () => {
      const ws = await this.ws();
      if (!(await this.names(ws)).has(slug)) return undefined;
      return this.read(ws, slug);
    });
  }

  put(record: TenantRecord): Promise<void> {
    return this.lock.run(record.slug, async () => {
      const ws = await this.ws();
      const name = this.stackName(record.slug);
      const exists = (await this.names(ws)).has(record.slug);
      // A destroyed tenant's stack is removed with its resources: nothing is left to mark.
      if (!exists && record.status === "destroyed") return;
      if (!exists) await ws.createStack(name);
      const stack = await Stack.select(name, ws);
      if ((await stack.history(1)).length === 0) {
        // Config lives in the backend as a deployment's: before the first `up`, an empty refresh records it.
        await ws.setAllConfig(name, this.config(record));
        await stack.refresh();
      }
      const current = await ws.listTags(name);
      const wanted: Record<string, string | undefined> = {
        [RECORD_TAGS.orderId]: record.orderId, [RECORD_TAGS.group]: record.spec.group, [RECORD_TAGS.region]: record.spec.region,
        [RECORD_TAGS.createdAt]: record.spec.createdAt, [RECORD_TAGS.provider]: record.spec.provider,
        [RECORD_TAGS.provisionedAt]: record.provisionedAt, [RECORD_TAGS.updatedAt]: record.updatedAt,
        // Last: a stack with a status tag is a complete record.
        [RECORD_TAGS.status]: record.status,
      };
      for (const [key, value] of Object.entries(wanted)) {
        if (value === undefined && current[key] !== undefined) await ws.removeTag(name, key);
        else if (value !== undefined && current[key] !== value) await ws.setTag(name, key, value);
      }
    });
  }

  async list(): Promise<TenantRecord[]> {
    const ws = await this.ws();
    const slugs = [...(await this.names(ws))].sort();
    const records: TenantRecord[] = [];
    const width = this.options.readConcurrency ?? 8;
    for (let i = 0; i < slugs.length; i += width) {
      const batch = await Promise.all(slugs.slice(i, i + width).map((slug) => this.lock.run(slug, () => this.read(ws, slug))));
      for (const record of batch) if (record) records.push(record);
    }
    return records;
  }

  /** The stack config the record consists of (no secrets: those come from the flow on every operation). */
  config(record: TenantRecord): ConfigMap {
    return {
      [SPEC_KEY]: { value: JSON.stringify(record.spec) },
      [HUB_ORG_KEY]: { value: this.options.org },
      ...(record.release ? { [RELEASE_KEY]: { value: JSON.stringify(record.release) } } : {}),
      ...(record.tunnelAddress ? { [TUNNEL_KEY]: { value: record.tunnelAddress } } : {}),
    };
  }

  private async read(ws: LocalWorkspace, slug: string): Promise<TenantRecord | undefined> {
    const name = this.stackName(slug);
    const source = `stack ${name}`;
    const rawTags = await ws.listTags(name);
    // A stack without the status tag is not (yet) a tenant record: one being created, or not the flow's.
    if (rawTags[RECORD_TAGS.status] === undefined) return undefined;
    const tags = tagsSchema.safeParse(rawTags);
    if (!tags.success) throw new InvalidInputError(zodProblems(`${source}: tags`, tags.error));
    let config: ConfigMap;
    try {
      config = await ws.refreshConfig(name);
    } catch (error) {
      throw new InvalidInputError([{ source, path: "config", message: `no deployment to read the config from: ${firstLine(error)}` }]);
    }
    const spec = parseJson(config[SPEC_KEY]?.value, source, SPEC_KEY);
    const release = config[RELEASE_KEY] ? releaseOverrideSchema.safeParse(parseJson(config[RELEASE_KEY].value, source, RELEASE_KEY)) : undefined;
    if (release && !release.success) throw new InvalidInputError(zodProblems(`${source}: ${RELEASE_KEY}`, release.error));
    const tunnel = config[TUNNEL_KEY] ? z.ipv4("must be an IPv4 address").safeParse(config[TUNNEL_KEY].value) : undefined;
    if (tunnel && !tunnel.success) throw new InvalidInputError(zodProblems(`${source}: ${TUNNEL_KEY}`, tunnel.error));
    const t = tags.data;
    // The provider tag is the pin: it is written before an `up` records the config.
    const parsed = parseTenantSpec({ ...(spec as object), provider: t[RECORD_TAGS.provider] }, `${source}: ${SPEC_KEY}`);
    return {
      slug, orderId: t[RECORD_TAGS.orderId], spec: parsed, ...(release?.data ? { release: release.data } : {}),
      ...(tunnel?.data ? { tunnelAddress: tunnel.data } : {}),
      status: t[RECORD_TAGS.status], ...(t[RECORD_TAGS.provisionedAt] ? { provisionedAt: t[RECORD_TAGS.provisionedAt] } : {}),
      updatedAt: t[RECORD_TAGS.updatedAt],
    };
  }

  /** Slugs of the tenant project's stacks in the backend. */
  private async names(ws: LocalWorkspace): Promise<Set<string>> {
    const stacks = await ws.listStacks();
    return new Set(stacks.map((s) => s.name.slice(s.name.lastIndexOf("/") + 1)).filter((n) => SLUG_PATTERN.test(n)));
  }

  private stackName(slug: string): string {
    return `${this.options.stackPrefix ?? ""}${slug}`;
  }

  private ws(): Promise<LocalWorkspace> {
    // The CLI child gets what the workspace's does: the few inherited variables and the backend's, no LETSBE_SECRET_*.
    const inherited = Object.fromEntries(CHILD_ENV_INHERITED.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k] as string]));
    const envVars = { ...inherited, ...this.options.envVars };
    this.workspace ??= PulumiCommand.get({ skipVersionCheck: !!envVars.PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK }).then(onlyGivenEnv).then((pulumiCommand) => LocalWorkspace.create({
      workDir: mkdtempSync(join(this.options.workRoot ?? tmpdir(), "letsbe-fleet-")),
      projectSettings: { name: TENANT_PROJECT, runtime: "nodejs" },
      envVars, pulumiCommand,
    }));
    this.workspace.catch(() => { this.workspace = undefined; });
    return this.workspace;
  }
}

function parseJson(text: string | undefined, source: string, key: string): unknown {
  if (text === undefined) throw new InvalidInputError([{ source, path: key, message: "required" }]);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError([{ source, path: key, message: `not valid JSON: ${(error as Error).message}` }]);
  }
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n").map((l) => l.trim()).find((l) => l.startsWith("error:")) ?? text.split("\n")[0];
}
