import { z } from "zod";
import { DEFAULT_RELEASE, ReleasePins } from "./catalog";

export const imagePinSchema = z.strictObject({
  repository: z.string().min(1).regex(/^[a-z0-9.:/_-]+$/, "must be a lowercase image repository"),
  tag: z.string().min(1).refine((tag) => tag !== "latest", "must not be \"latest\""),
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/, "must be sha256: followed by 64 lowercase hex digits"),
});

/** Release pins as stack config (`letsbe-tenant:release`); every field optional over the catalog's. */
export const releaseOverrideSchema = z.strictObject({
  openclaw: imagePinSchema.optional(),
  safetyWrapper: imagePinSchema.optional(),
  secretsProxy: imagePinSchema.optional(),
  policyBundle: z.string().min(1).optional(),
});

export type ReleaseOverride = z.output<typeof releaseOverrideSchema>;

export function resolveRelease(override: ReleaseOverride | undefined): ReleasePins {
  return { ...DEFAULT_RELEASE, ...(override ?? {}) };
}
