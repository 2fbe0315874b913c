/** Where the order flow keeps each tenant's resolved spec and pins between operations. */
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { releaseOverrideSchema } from "../../tenants/release";
import { InvalidInputError, SLUG_PATTERN, parseTenantSpec, TenantSpec, zodProblems } from "../../tenants/schema";
import { ReleaseOverride } from "../../tenants/release";

export interface TenantRecord {
  readonly slug: string;
  /** The order that created the tenant; a second order for the same slug is refused. */
  readonly orderId: string;
  /** Validated spec with the provider resolved and pinned. */
  readonly spec: TenantSpec;
  /** Release pins the stack is configured with (rollouts move these). */
  readonly release?: ReleaseOverride;
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

const recordSchema = z.strictObject({
  slug: z.string().regex(SLUG_PATTERN),
  orderId: z.string().min(1),
  spec: z.unknown(),
  release: releaseOverrideSchema.optional(),
  status: z.enum(["active", "destroyed"]),
  provisionedAt: z.string().optional(),
  updatedAt: z.string(),
});

/** One JSON file per tenant, replaced atomically; records are validated when read. */
export class FileTenantStore implements TenantStore {
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  async get(slug: string): Promise<TenantRecord | undefined> {
    if (!SLUG_PATTERN.test(slug)) return undefined;
    let text: string;
    try {
      text = readFileSync(this.file(slug), "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    return this.parse(text, this.file(slug));
  }

  async put(record: TenantRecord): Promise<void> {
    const file = this.file(record.slug);
    writeFileSync(`${file}.tmp`, `${JSON.stringify(record, null, 2)}\n`);
    renameSync(`${file}.tmp`, file);
  }

  async list(): Promise<TenantRecord[]> {
    return readdirSync(this.dir).filter((f) => f.endsWith(".json")).sort()
      .map((f) => this.parse(readFileSync(join(this.dir, f), "utf8"), join(this.dir, f)));
  }

  private file(slug: string): string {
    return join(this.dir, `${slug}.json`);
  }

  /** A damaged record names its file and field instead of surfacing as a raw SyntaxError or ZodError. */
  private parse(text: string, file: string): TenantRecord {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new InvalidInputError([{ source: file, path: "", message: `not valid JSON: ${(error as Error).message}` }]);
    }
    const raw = recordSchema.safeParse(json);
    if (!raw.success) throw new InvalidInputError(zodProblems(file, raw.error));
    return { ...raw.data, spec: parseTenantSpec(raw.data.spec, `${file}: spec`) };
  }
}
