/** Image references: pinned by digest, never `latest`. */

const DIGEST = /@sha256:[0-9a-f]{64}$/;
const BARE_ID = /^sha256:[0-9a-f]{64}$/;

/** Why an image reference is not pinned, or undefined when it is. */
export function imagePinProblem(ref: string): string | undefined {
  if (BARE_ID.test(ref)) return undefined; // an image ID is content-addressed
  const withoutDigest = ref.replace(DIGEST, "");
  const lastSlash = withoutDigest.lastIndexOf("/");
  const colon = withoutDigest.indexOf(":", lastSlash + 1);
  const tag = colon >= 0 ? withoutDigest.slice(colon + 1) : undefined;
  if (tag === "latest") return `image "${ref}" uses the "latest" tag`;
  if (!DIGEST.test(ref)) return `image "${ref}" is not pinned by digest (@sha256:<64 hex>)`;
  return undefined;
}

/** `registry/repo:tag@sha256:...` -> `registry/repo` (for matching against the catalog). */
export function imageRepository(ref: string): string {
  const withoutDigest = ref.split("@")[0] ?? ref;
  const lastSlash = withoutDigest.lastIndexOf("/");
  const colon = withoutDigest.indexOf(":", lastSlash + 1);
  return colon >= 0 ? withoutDigest.slice(0, colon) : withoutDigest;
}
