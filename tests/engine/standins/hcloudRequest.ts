/**
 * One request to a Hetzner API, as hcloud-go sends it: the `hcloud:token` bearer, JSON both ways, the
 * API's `{ error: { code, message } }` on a refusal, the answer checked against `schema`. The Cloud
 * API and the Hetzner API (Storage Boxes) differ only in their endpoint.
 */
import { z } from "zod";
import { configValue } from "./config";

export class HcloudError extends Error {
  constructor(message: string, readonly status: number, readonly code: string | undefined) {
    super(message);
  }
}

const apiError = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

export async function hetznerRequest<T>(endpointBase: string, method: string, path: string, schema: z.ZodType<T>, body?: unknown): Promise<T> {
  const endpoint = endpointBase.replace(/\/+$/, "");
  const token = configValue("token", "HCLOUD_TOKEN");
  if (!token) throw new Error("hcloud:token is not set (nor HCLOUD_TOKEN)");
  const response = await fetch(`${endpoint}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, accept: "application/json", ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  }).catch((error: unknown) => {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
    throw new HcloudError(`hcloud ${method} ${path}: no answer from ${endpoint}: ${cause}`, 0, undefined);
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    throw new HcloudError(`hcloud ${method} ${path}: ${response.status}, answer is not JSON`, response.status, undefined);
  }
  if (!response.ok) {
    const parsed = apiError.safeParse(json);
    const code = parsed.success ? parsed.data.error.code : undefined;
    throw new HcloudError(`hcloud ${method} ${path}: ${response.status} ${code ?? ""}${parsed.success ? `: ${parsed.data.error.message}` : ""}`.trim(), response.status, code);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new HcloudError(`hcloud ${method} ${path}: unexpected answer: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`, response.status, undefined);
  return parsed.data;
}
