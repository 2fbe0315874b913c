import { z } from "zod";
import { CatalogImage, DEFAULT_RELEASE, ReleasePins, SIDECAR_IMAGES, TOOLS, TOOL_IDS, Tool, ToolId } from "./catalog";

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

/**
 * Per-stack image pins for tools and database sidecars (`letsbe-tenant:images`), over the
 * catalog's: a security fix or a mirror registry for one tenant without a catalog change.
 */
export const imageOverrideSchema = z.strictObject({
  tools: z.partialRecord(z.enum(TOOL_IDS), imagePinSchema).optional(),
  sidecars: z.partialRecord(z.enum(["postgres", "mysql", "redis"]), imagePinSchema).optional(),
});

export type ImageOverride = z.output<typeof imageOverrideSchema>;

export interface ResolvedImages {
  readonly toolCatalog: Readonly<Record<ToolId, Tool>>;
  readonly sidecarImages: Readonly<Record<keyof typeof SIDECAR_IMAGES, CatalogImage>>;
}

export function resolveImages(override: ImageOverride | undefined): ResolvedImages {
  const tools = Object.fromEntries(Object.entries(override?.tools ?? {}).map(([id, image]) => [id, { ...TOOLS[id as ToolId], image }]));
  return { toolCatalog: { ...TOOLS, ...tools }, sidecarImages: { ...SIDECAR_IMAGES, ...(override?.sidecars ?? {}) } };
}
