/**
 * The verification record: what `letsbe pins verify` writes when every locked digest still exists
 * and every tag still names it, and how the production gate (`pins-verified-for-production`)
 * learns that verify passed. CI runs `letsbe pins verify` before any production `pulumi preview`
 * or `pulumi up`, in the same checkout; the record names the sha256 of the lock file's bytes,
 * so a lock changed after verify no longer counts, and its time, so an old pass runs out.
 *
 * Where: `$LETSBE_PINS_RECORD`, else `.cache/pins/verified.json` under the repository root
 * (git-ignored: a pass is a fact about one checkout at one time, never committed).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { z } from "zod";
import { LoadedLock } from "./lock";

export const RECORD_ENV = "LETSBE_PINS_RECORD";
/** Default - a pass counts for a day. */
export const DEFAULT_MAX_AGE_HOURS = 24;

export const verificationRecordSchema = z.strictObject({
  recordVersion: z.literal(1),
  /** The lock file verified, as given to `pins verify`. */
  lockFile: z.string().min(1),
  lockSha256: z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex digits"),
  verifiedAt: z.iso.datetime({ offset: false }),
  /** How many entries were checked (all of them; verify passes only when none failed). */
  images: z.int().min(0),
  /** The client that spoke to the registries, e.g. `skopeo version 1.9.3`. */
  client: z.string().min(1),
});
export type VerificationRecord = z.output<typeof verificationRecordSchema>;

/** `.cache/pins/verified.json` beside the `tenants/` folder the lock is in. */
export function defaultRecordPath(lockFile: string, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env[RECORD_ENV];
  if (fromEnv) return fromEnv;
  return join(dirname(dirname(lockFile)), ".cache", "pins", "verified.json");
}

export function writeRecord(file: string, record: VerificationRecord): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(verificationRecordSchema.parse(record), null, 2)}\n`);
}

/** A failed verify removes an earlier pass, so it cannot be mistaken for this one. */
export function removeRecord(file: string): void {
  rmSync(file, { force: true });
}

/** Why the record does not vouch for this lock now, or undefined when it does. */
export function recordProblem(file: string, lock: LoadedLock, now: Date, maxAgeHours: number = DEFAULT_MAX_AGE_HOURS): string | undefined {
  if (!existsSync(file)) return `no verification record at ${file} (\`letsbe pins verify\` writes it when every pin checks out)`;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    return `${file}: not JSON: ${error instanceof Error ? error.message : String(error)}`;
  }
  const parsed = verificationRecordSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return `${file}: ${issue.path.map(String).join(".") || "(root)"}: ${issue.message}`;
  }
  const record = parsed.data;
  if (record.lockSha256 !== lock.sha256) {
    return `${file} verified a lock with sha256 ${record.lockSha256}, but ${lock.file} now has sha256 ${lock.sha256}`;
  }
  const ageHours = (now.getTime() - Date.parse(record.verifiedAt)) / 3_600_000;
  if (ageHours > maxAgeHours) return `${file}: verify passed at ${record.verifiedAt}, more than ${maxAgeHours} h ago`;
  if (ageHours < -0.1) return `${file}: verifiedAt ${record.verifiedAt} is in the future`;
  return undefined;
}
