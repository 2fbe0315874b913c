/**
 * The provider configuration the engine hands Configure (`hcloud:endpoint`,
 * `cloudflare:baseUrl`, ...). @pulumi/pulumi's provider server answers Configure itself and drops it,
 * so main.ts captures the request here before the server sees it.
 */
export type ProviderConfig = Readonly<Record<string, unknown>>;

let captured: ProviderConfig = {};

export function setProviderConfig(config: ProviderConfig): void {
  captured = config;
}

/** A config value: the Configure args first, then the environment variable the real provider also reads. */
export function configValue(key: string, envVar?: string): string | undefined {
  const value = unwrapSecret(captured[key]);
  if (typeof value === "string" && value !== "") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return envVar ? process.env[envVar] || undefined : undefined;
}

/** The key of the engine's special values (secrets, assets, archives) and the secret's signature. */
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** A value in the engine's secret envelope: secret in state, as the real providers' schemas mark it. */
export function secret(value: unknown): Record<string, unknown> {
  return { [SIG_KEY]: SECRET_SIG, value };
}

/** Values arrive in the engine's secret envelope when secret; handlers want the value. */
export function unwrapSecret(value: unknown): unknown {
  if (value && typeof value === "object" && (value as Record<string, unknown>)[SIG_KEY] === SECRET_SIG) return (value as { value?: unknown }).value;
  return value;
}

/** Deep unwrap, for inputs that carry secrets inside (a connection's private key). */
export function unwrapAll(value: unknown): unknown {
  const plain = unwrapSecret(value);
  if (Array.isArray(plain)) return plain.map(unwrapAll);
  if (plain && typeof plain === "object") return Object.fromEntries(Object.entries(plain).map(([k, v]) => [k, unwrapAll(v)]));
  return plain;
}
