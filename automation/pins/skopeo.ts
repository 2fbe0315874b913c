/**
 * The registry client: Debian's `skopeo`, which speaks the OCI distribution API and each
 * registry's token flow (Docker Hub, ghcr.io, quay.io, lscr.io, and our Gitea registry at
 * code.letsbe.solutions) itself. Credentials come from a containers auth file (`skopeo login`
 * writes one; `--authfile`, else `$REGISTRY_AUTH_FILE`, else skopeo's defaults, which include
 * `~/.docker/config.json`). Nothing here speaks HTTP itself.
 */
import { execFile } from "node:child_process";
import { z } from "zod";
import { INDEX_MEDIA_TYPES, MEDIA_TYPES, sha256Hex } from "../../tenants/pins/lock";

export type FetchFailureKind = "not-found" | "auth-required" | "unreachable" | "failed";

export type Fetched<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly kind: FetchFailureKind; readonly message: string };

export interface ManifestInfo {
  readonly digest: string;
  readonly mediaType: string;
  readonly platforms: readonly string[];
}

/** What `pins update` and `pins verify` need from a registry. */
export interface RegistryClient {
  /** The manifest `reference` (`repo:tag` or `repo@digest`) names: digest of its bytes, media type, platforms. */
  manifest(reference: string): Promise<Fetched<ManifestInfo>>;
  /** Names the client, for the verification record. */
  version(): Promise<string>;
}

export interface SkopeoOptions {
  /** containers-auth.json; default - skopeo's own lookup. */
  readonly authFile?: string;
  /** Registry hosts spoken to over plain HTTP / without TLS verification (local test registries only). */
  readonly insecureRegistries?: readonly string[];
  /** Per call, ms. Default - 60 s. */
  readonly timeoutMs?: number;
  /** Default - `skopeo`. */
  readonly binary?: string;
}

const platformSchema = z.object({ os: z.string(), architecture: z.string(), variant: z.string().optional() });
const rawManifestSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  manifests: z.array(z.object({ digest: z.string(), platform: platformSchema.optional() })).optional(),
  config: z.object({ digest: z.string() }).optional(),
});
const imageConfigSchema = z.object({ os: z.string(), architecture: z.string(), variant: z.string().optional() });

const platformName = (p: { os: string; architecture: string; variant?: string | undefined }) => [p.os, p.architecture, p.variant].filter(Boolean).join("/");

/** Classifies skopeo's error text. */
export function classify(stderr: string): FetchFailureKind {
  // Order matters: a registry may answer an unauthorized pull as "not found" further down the text.
  if (/unauthorized|authentication required|requested access to the resource is denied|invalid username\/password/i.test(stderr)) return "auth-required";
  if (/manifest unknown|name unknown|\bnot found\b/i.test(stderr)) return "not-found";
  if (/connection refused|no such host|i\/o timeout|timeout|network is unreachable|pinging container registry/i.test(stderr)) return "unreachable";
  return "failed";
}

/** skopeo's last `msg="..."`, or its last line. */
function skopeoMessage(stderr: string): string {
  const msgs = [...stderr.matchAll(/msg="((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!.replace(/\\"/g, "\""));
  const message = msgs.at(-1) ?? stderr.trim().split("\n").at(-1) ?? "";
  return message.replace(/^Error parsing image name "[^"]*": /, "");
}

export function skopeoClient(options: SkopeoOptions = {}): RegistryClient {
  const binary = options.binary ?? "skopeo";
  const run = (args: readonly string[]) => new Promise<{ code: number; stdout: Buffer; stderr: string }>((resolve) => {
    execFile(binary, args, { encoding: "buffer", timeout: options.timeoutMs ?? 60_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      const text = stderr.toString("utf8") || (error && typeof error.code === "string" ? `${error.code}: ${error.message}` : "");
      resolve({ code, stdout, stderr: text });
    });
  });
  const flags = (reference: string): string[] => {
    const host = reference.split("/")[0]!;
    return [
      ...(options.authFile ? ["--authfile", options.authFile] : []),
      ...((options.insecureRegistries ?? []).includes(host) ? ["--tls-verify=false"] : []),
    ];
  };
  const inspect = async (reference: string, extra: readonly string[]): Promise<Fetched<Buffer>> => {
    const result = await run(["inspect", "--raw", ...extra, ...flags(reference), `docker://${reference}`]);
    if (result.code === 0) return { ok: true, value: result.stdout };
    return { ok: false, kind: classify(result.stderr), message: skopeoMessage(result.stderr) || `skopeo exited ${result.code}` };
  };

  return {
    async manifest(reference) {
      const raw = await inspect(reference, []);
      if (!raw.ok) return raw;
      const digest = `sha256:${sha256Hex(raw.value)}`;
      let parsed: z.output<typeof rawManifestSchema>;
      try {
        parsed = rawManifestSchema.parse(JSON.parse(raw.value.toString("utf8")));
      } catch (error) {
        return { ok: false, kind: "failed", message: `${reference}: not a schema 2 manifest or index: ${error instanceof Error ? error.message : String(error)}` };
      }
      const mediaType = parsed.mediaType ?? (parsed.manifests ? MEDIA_TYPES.ociIndex : MEDIA_TYPES.ociManifest);
      if (INDEX_MEDIA_TYPES.includes(mediaType) || parsed.manifests) {
        // Attestation manifests in buildx indexes carry platform unknown/unknown: not a platform.
        const platforms = [...new Set((parsed.manifests ?? []).flatMap((m) => (m.platform && m.platform.os !== "unknown" ? [platformName(m.platform)] : [])))].sort();
        return { ok: true, value: { digest, mediaType, platforms } };
      }
      const config = await inspect(`${reference.replace(/(@sha256:[0-9a-f]{64}|:[^/:@]+)$/, "")}@${digest}`, ["--config"]);
      if (!config.ok) return config;
      const image = imageConfigSchema.safeParse(JSON.parse(config.value.toString("utf8")));
      if (!image.success) return { ok: false, kind: "failed", message: `${reference}: image config has no os/architecture` };
      return { ok: true, value: { digest, mediaType, platforms: [platformName(image.data)] } };
    },
    async version() {
      const result = await run(["--version"]);
      return result.code === 0 ? result.stdout.toString("utf8").trim() : `${binary} (version unknown)`;
    },
  };
}
