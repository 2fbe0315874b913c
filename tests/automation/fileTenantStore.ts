/**
 * One JSON file per tenant in a folder: the fleet record of the simulated workspace (tests and the
 * README's rehearsal), whose stacks exist nowhere else. Production keeps the record in the backend
 * (automation/orders/store.ts, StackTenantStore).
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import type { TenantRecord, TenantStore } from "../../automation/orders/store";
import { releaseOverrideSchema } from "../../tenants/release";
import { InvalidInputError, SLUG_PATTERN, parseTenantSpec, zodProblems } from "../../tenants/schema";

const recordSchema = z.strictObject({
  slug: z.string().regex(SLUG_PATTERN),
  orderId: z.string().min(1),
  spec: z.unknown(),
  release: releaseOverrideSchema.optional(),
  tunnelAddress: z.ipv4().optional(),
  status: z.enum(["active", "destroyed"]),
  provisionedAt: z.string().optional(),
  updatedAt: z.string(),
});

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
