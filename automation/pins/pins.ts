/**
 * `pins update` and `pins verify` over a RegistryClient (skopeo.ts).
 *
 * update: resolves each named image's tag to the digest of its index (or manifest), with the
 * platforms it covers, and rewrites the lock. A tag that cannot be resolved keeps its previous
 * entry (or becomes an unverified one saying why) and is reported; the command then fails.
 *
 * verify: every locked digest must still exist and its tag must still name it. Entries without
 * a digest fail. Each failure is named; verify passes only when none failed.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { FetchFailureKind, RegistryClient } from "./skopeo";
import { LOCK_VERSION, LockEntry, LockFile, ResolvedEntry, lockKey } from "../../tenants/pins/lock";

export interface ImageName {
  readonly repository: string;
  readonly tag: string;
}

/** `repository:tag`, optionally `@sha256:<digest>` (a per-stack pin); the lock holds the digest. */
const HUB_REF = /^([a-z0-9.-]+(?::\d+)?(?:\/[a-z0-9._-]+)+):([A-Za-z0-9._-]{1,128})(?:@sha256:[0-9a-f]{64})?$/;
const hubImagesSchema = z.record(z.string(), z.object({ current: z.string().regex(HUB_REF), previous: z.string().regex(HUB_REF).optional() }));

/** Hub images named in `Pulumi.<stack>.yaml` (`letsbe-hub:images`, current and previous). */
export function hubConfigImages(root: string, stacks: readonly string[] = ["prod-eu", "prod-us", "staging"]): ImageName[] {
  return stacks.flatMap((stack) => {
    const file = join(root, `Pulumi.${stack}.yaml`);
    const doc = (parseYaml(readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
    const parsed = hubImagesSchema.safeParse(doc.config?.["letsbe-hub:images"] ?? {});
    if (!parsed.success) throw new Error(`${file}: letsbe-hub:images: ${parsed.error.issues[0]?.message ?? "invalid"}`);
    return Object.values(parsed.data).flatMap((pair) => [pair.current, pair.previous].flatMap((ref) => {
      const match = ref ? HUB_REF.exec(ref) : null;
      return match ? [{ repository: match[1]!, tag: match[2]! }] : [];
    }));
  });
}

/** `repo:tag` -> ImageName; undefined when it is not one. */
export function parseImageName(text: string): ImageName | undefined {
  const match = /^([a-z0-9.-]+(?::\d+)?(?:\/[a-z0-9._-]+)+):([A-Za-z0-9_][A-Za-z0-9._-]{0,127})$/.exec(text);
  return match ? { repository: match[1]!, tag: match[2]! } : undefined;
}

export const registryOf = (repository: string): string => repository.split("/")[0]!;

export interface PinFailure {
  readonly image: string;
  readonly kind: FetchFailureKind | "tag-moved" | "no-digest" | "content-mismatch";
  readonly message: string;
}

async function limited<T, R>(items: readonly T[], concurrency: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  return results;
}

const KIND_TEXT: Record<PinFailure["kind"], string> = {
  "not-found": "not found",
  "auth-required": "authentication required",
  unreachable: "registry unreachable",
  failed: "failed",
  "tag-moved": "tag moved",
  "no-digest": "no digest locked",
  "content-mismatch": "content mismatch",
};
export const formatFailure = (f: PinFailure): string => `${f.image}: ${KIND_TEXT[f.kind]}: ${f.message}`;

export interface UpdateResult {
  readonly lock: LockFile;
  readonly resolved: readonly ResolvedEntry[];
  readonly failures: readonly PinFailure[];
  /** Entries no longer named, left out of the new lock. */
  readonly dropped: readonly string[];
}

/**
 * Resolves `names` and returns the new lock. With `keepOthers`, entries of `previous` not in
 * `names` stay as they are (updating some images); otherwise the lock holds exactly `names`.
 */
export async function updateLock(previous: LockFile | undefined, names: readonly ImageName[], client: RegistryClient, opts: { now: Date; keepOthers: boolean; concurrency?: number }): Promise<UpdateResult> {
  const unique = [...new Map(names.map((n) => [lockKey(n), n])).values()];
  const before = new Map((previous?.images ?? []).map((e) => [lockKey(e), e]));
  const resolvedAt = opts.now.toISOString().replace(/\.\d{3}Z$/, "Z");
  const failures: PinFailure[] = [];
  const entries = await limited(unique, opts.concurrency ?? 4, async (name): Promise<LockEntry> => {
    const key = lockKey(name);
    const got = await client.manifest(key);
    if (got.ok) {
      if (got.value.platforms.length === 0) {
        failures.push({ image: key, kind: "failed", message: `${got.value.mediaType} ${got.value.digest} names no platform` });
      } else {
        return { ...name, status: "resolved", digest: got.value.digest, mediaType: got.value.mediaType, platforms: [...got.value.platforms], resolvedAt, registry: registryOf(name.repository) };
      }
    } else {
      failures.push({ image: key, kind: got.kind, message: got.message });
    }
    const old = before.get(key);
    if (old) return old;
    const why = failures.at(-1)!;
    return { ...name, status: "unverified", source: `pins update at ${resolvedAt} could not resolve it: ${KIND_TEXT[why.kind]}: ${why.message}` };
  });
  const named = new Set(unique.map(lockKey));
  const kept = opts.keepOthers ? (previous?.images ?? []).filter((e) => !named.has(lockKey(e))) : [];
  const dropped = opts.keepOthers ? [] : [...before.keys()].filter((k) => !named.has(k)).sort();
  const lock: LockFile = { lockVersion: LOCK_VERSION, ...(previous?.comment ? { comment: previous.comment } : {}), images: [...kept, ...entries] };
  return { lock, resolved: entries.filter((e): e is ResolvedEntry => e.status === "resolved" && e.resolvedAt === resolvedAt), failures, dropped };
}

/** Checks every entry of the lock against its registry. */
export async function verifyLock(lock: LockFile, client: RegistryClient, opts: { concurrency?: number } = {}): Promise<PinFailure[]> {
  const results = await limited(lock.images, opts.concurrency ?? 4, async (entry): Promise<PinFailure[]> => {
    const image = lockKey(entry);
    if (!entry.digest) {
      return [{ image, kind: "no-digest", message: `marked unverified (${entry.status === "unverified" ? entry.source : ""}); run \`letsbe pins update\`` }];
    }
    const byDigest = await client.manifest(`${entry.repository}@${entry.digest}`);
    if (!byDigest.ok) {
      const kind = byDigest.kind;
      const what = kind === "not-found" ? `digest ${entry.digest} is gone from ${entry.repository}` : byDigest.message;
      return [{ image, kind, message: kind === "not-found" ? `${what} (${byDigest.message})` : what }];
    }
    if (byDigest.value.digest !== entry.digest) {
      return [{ image, kind: "content-mismatch", message: `asked for ${entry.digest}, the registry served content with digest ${byDigest.value.digest}` }];
    }
    const byTag = await client.manifest(image);
    if (!byTag.ok) return [{ image, kind: byTag.kind, message: `tag ${entry.tag}: ${byTag.message}` }];
    if (byTag.value.digest !== entry.digest) {
      return [{ image, kind: "tag-moved", message: `${image} now names ${byTag.value.digest}; the lock has ${entry.digest}` }];
    }
    return [];
  });
  return results.flat();
}
