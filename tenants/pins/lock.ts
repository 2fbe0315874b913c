/**
 * The image lock (`tenants/images.lock.json`): for every image the catalog and the hub config
 * name by repository and tag, the digest that tag resolved to, and how we know it.
 *
 * The catalog chooses versions (repository and tag); the lock alone holds digests. An entry is
 * either `resolved` (written by `letsbe pins update`: digest of the multi-platform index, or of
 * the manifest where there is none, with the platforms it covers, when and against which
 * registry) or `unverified` (never resolved by `pins update`; `source` says where its digest came
 * from, or why there is none). Nothing here may invent a digest.
 *
 * This module imports only zod and node: the catalog loads it at start.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { z } from "zod";

export const LOCK_FILE_NAME = "images.lock.json";
export const LOCK_VERSION = 1;

export const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;
const digestSchema = z.string().regex(DIGEST_PATTERN, "must be sha256: followed by 64 lowercase hex digits");
/** `host[:port]/path`: always with the registry host, as compose and docker pull it. */
const repositorySchema = z.string().regex(/^[a-z0-9.-]+(?::\d+)?(?:\/[a-z0-9._-]+)+$/, "must be registry-host/path in lowercase (e.g. docker.io/library/nextcloud)");
const tagSchema = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/, "must be a docker tag").refine((t) => t !== "latest", "must not be \"latest\"");

export const MEDIA_TYPES = {
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
} as const;
export const INDEX_MEDIA_TYPES: readonly string[] = [MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerList];

const resolvedEntrySchema = z.strictObject({
  repository: repositorySchema,
  tag: tagSchema,
  status: z.literal("resolved"),
  /** Digest of the index (multi-platform) or of the manifest (single platform) the tag named. */
  digest: digestSchema,
  mediaType: z.enum(Object.values(MEDIA_TYPES) as [string, ...string[]]),
  /** `os/architecture[/variant]` the digest covers. */
  platforms: z.array(z.string().regex(/^[a-z0-9]+\/[a-z0-9_]+(?:\/[a-z0-9]+)?$/, "must be os/architecture[/variant]")).min(1),
  resolvedAt: z.iso.datetime({ offset: false }),
  /** Registry host the tag was resolved against. */
  registry: z.string().min(1),
});

const unverifiedEntrySchema = z.strictObject({
  repository: repositorySchema,
  tag: tagSchema,
  status: z.literal("unverified"),
  /** A digest recorded elsewhere and never checked against its registry here. */
  digest: digestSchema.optional(),
  /** Where the digest came from, or why there is none. */
  source: z.string().min(1, "must say where the digest came from, or why there is none"),
});

export const lockEntrySchema = z.discriminatedUnion("status", [resolvedEntrySchema, unverifiedEntrySchema]);
export type LockEntry = z.output<typeof lockEntrySchema>;
export type ResolvedEntry = z.output<typeof resolvedEntrySchema>;

export const lockFileSchema = z.strictObject({
  lockVersion: z.literal(LOCK_VERSION),
  comment: z.string().optional(),
  images: z.array(lockEntrySchema),
}).superRefine((lock, ctx) => {
  const seen = new Set<string>();
  lock.images.forEach((entry, i) => {
    const key = lockKey(entry);
    if (seen.has(key)) ctx.addIssue({ code: "custom", path: ["images", i], message: `duplicate entry for ${key}` });
    seen.add(key);
  });
});
export type LockFile = z.output<typeof lockFileSchema>;

export const lockKey = (image: { repository: string; tag: string }): string => `${image.repository}:${image.tag}`;

/** A lock file that does not parse or validate; the message names file, field and rule. */
export class LockFileError extends Error {
  constructor(readonly file: string, readonly problems: readonly string[]) {
    super(problems.map((p) => `${file}: ${p}`).join("\n"));
    this.name = "LockFileError";
  }
}

export function parseLock(text: string, file: string): LockFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new LockFileError(file, [`not JSON: ${error instanceof Error ? error.message : String(error)}`]);
  }
  const parsed = lockFileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new LockFileError(file, parsed.error.issues.map((issue) => {
      const path = issue.path.map(String).join(".");
      const message = issue.code === "unrecognized_keys" ? `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(", ")}` : issue.message;
      return path ? `${path}: ${message}` : message;
    }));
  }
  return parsed.data;
}

/** Stable text: entries sorted by repository and tag, two-space JSON, final newline. */
export function serializeLock(lock: LockFile): string {
  const images = [...lock.images].sort((a, b) => (lockKey(a) < lockKey(b) ? -1 : lockKey(a) > lockKey(b) ? 1 : 0));
  return `${JSON.stringify({ ...lock, images }, null, 2)}\n`;
}

export const sha256Hex = (bytes: string | Buffer): string => createHash("sha256").update(bytes).digest("hex");

/**
 * Where the lock file lives: beside the catalog, from the sources, dist/ or the policy pack's bin/.
 * The checkout's lock (the folder with Pulumi.yaml), which `pins verify` checks and whose record lies
 * beside it, wins over the copy the pack carries; outside any checkout (a published pack) the copy serves.
 */
export function defaultLockPath(from: string = __dirname): string {
  let dir = from;
  let nearest: string | undefined;
  for (;;) {
    const candidate = join(dir, "tenants", LOCK_FILE_NAME);
    if (existsSync(candidate)) {
      if (existsSync(join(dir, "Pulumi.yaml"))) return candidate;
      nearest ??= candidate;
    }
    const up = dirname(dir);
    if (up === dir) {
      if (nearest) return nearest;
      throw new Error(`no tenants/${LOCK_FILE_NAME} above ${from}`);
    }
    dir = up;
  }
}

export interface LoadedLock {
  readonly file: string;
  readonly lock: LockFile;
  /** sha256 of the file's bytes: what a verification record vouches for. */
  readonly sha256: string;
  readonly byKey: ReadonlyMap<string, LockEntry>;
}

export function loadLock(file: string = defaultLockPath()): LoadedLock {
  const text = readFileSync(file, "utf8");
  const lock = parseLock(text, file);
  return { file, lock, sha256: sha256Hex(text), byKey: new Map(lock.images.map((e) => [lockKey(e), e])) };
}
