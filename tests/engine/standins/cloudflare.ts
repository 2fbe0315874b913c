/**
 * `cloudflare` stand-in: DnsRecord (ApiToken, ./cloudflareToken.ts, and Zone, ./cloudflareZone.ts) carried out with the requests pulumi-cloudflare v6 (Terraform
 * provider v5) makes to API v4, answered by Cloudflare or by tests/fakes/cloudflare. Outputs carry
 * the v6 names; zoneId and type force replacement, as in the real provider.
 */
import { z } from "zod";
import { configValue, secret, unwrapAll, unwrapSecret } from "./config";
import { Props, TypeHandler } from "./generic";
import { apiTokenHandler } from "./cloudflareToken";
import { zoneHandler } from "./cloudflareZone";

export const DEFAULT_BASE_URL = "https://api.cloudflare.com/client/v4";
const TOKEN = /^[0-9A-Za-z_-]{40,80}$/;
const ID = /^[0-9a-f]{32}$/;

const recordInputs = z.object({
  zoneId: z.string().regex(ID, "zoneId must be 32 hex digits"),
  name: z.string().min(1).max(255),
  type: z.string().min(1),
  content: z.string().optional(),
  ttl: z.number().optional(),
  proxied: z.boolean().optional(),
  priority: z.number().int().min(0).max(65535).optional(),
  comment: z.string().optional(),
  tags: z.array(z.string()).optional(),
  settings: z.object({ ipv4Only: z.boolean().optional(), ipv6Only: z.boolean().optional(), flattenCname: z.boolean().optional() }).strict().optional(),
}).strict();
type RecordInputs = z.infer<typeof recordInputs>;

const message = z.object({ code: z.number(), message: z.string() });
const answer = z.object({ success: z.boolean(), errors: z.array(message), messages: z.array(message).optional(), result: z.unknown() });
const record = z.object({
  id: z.string().regex(ID),
  name: z.string(),
  type: z.string(),
  content: z.string().optional(),
  ttl: z.number(),
  proxied: z.boolean(),
  proxiable: z.boolean(),
  priority: z.number().optional(),
  comment: z.string().nullable().optional(),
  tags: z.array(z.string()).optional(),
  settings: z.object({ ipv4_only: z.boolean().optional(), ipv6_only: z.boolean().optional(), flatten_cname: z.boolean().optional() }).optional(),
  meta: z.unknown().optional(),
  created_on: z.string(),
  modified_on: z.string(),
  comment_modified_on: z.string().optional(),
  tags_modified_on: z.string().optional(),
});
type ApiRecord = z.infer<typeof record>;

/** A failed API call; `code` is Cloudflare's first error code. */
export class CloudflareError extends Error {
  constructor(message: string, readonly status: number, readonly code: number | undefined) {
    super(message);
  }
}

function endpoint(): { baseUrl: string; token: string } {
  const baseUrl = configValue("baseUrl", "CLOUDFLARE_BASE_URL") ?? DEFAULT_BASE_URL;
  const parsed = URL.canParse(baseUrl) ? new URL(baseUrl) : undefined;
  if (!parsed || !["http:", "https:"].includes(parsed.protocol)) throw new Error(`cloudflare:baseUrl is not an http(s) URL: ${baseUrl}`);
  const token = configValue("apiToken", "CLOUDFLARE_API_TOKEN");
  if (token === undefined) throw new Error("cloudflare:apiToken is not set (nor CLOUDFLARE_API_TOKEN)");
  if (!TOKEN.test(token)) throw new Error("cloudflare:apiToken is not a Cloudflare API token (40 to 80 of A-Z a-z 0-9 _ -)");
  return { baseUrl: baseUrl.replace(/\/+$/, ""), token };
}

export async function call(method: string, path: string, body?: unknown): Promise<unknown> {
  const { baseUrl, token } = endpoint();
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, accept: "application/json", ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  let parsed: z.infer<typeof answer> | undefined;
  try {
    const json: unknown = JSON.parse(text);
    const checked = answer.safeParse(json);
    parsed = checked.success ? checked.data : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed) throw new CloudflareError(`Cloudflare ${method} ${path}: HTTP ${res.status}, not an API v4 answer`, res.status, undefined);
  if (!res.ok || !parsed.success) {
    const errors = parsed.errors.map((e) => `${e.code} ${e.message}`).join("; ") || "no error given";
    throw new CloudflareError(`Cloudflare ${method} ${path}: HTTP ${res.status}: ${errors}`, res.status, parsed.errors[0]?.code);
  }
  return parsed.result;
}

function parseRecord(result: unknown, what: string): ApiRecord {
  const checked = record.safeParse(result);
  if (!checked.success) throw new Error(`Cloudflare ${what}: the answer is not a DNS record: ${checked.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`);
  return checked.data;
}

/** Inputs, unwrapped and checked; also the names of those that arrived secret. */
function readInputs(inputs: Props): { args: RecordInputs; secretKeys: Set<string> } {
  const secretKeys = new Set(Object.keys(inputs).filter((k) => unwrapSecret(inputs[k]) !== inputs[k]));
  const checked = recordInputs.safeParse(unwrapAll(inputs));
  if (!checked.success) throw new Error(`cloudflare DnsRecord: ${checked.error.issues.map((i) => `${i.path.join(".") || "inputs"}: ${i.message}`).join("; ")}`);
  return { args: checked.data, secretKeys };
}

/** The request body: what Terraform provider v5 sends (full record; ttl defaults to 1, automatic). */
export function requestBody(args: RecordInputs): Record<string, unknown> {
  const settings = args.settings && {
    ...(args.settings.ipv4Only === undefined ? {} : { ipv4_only: args.settings.ipv4Only }),
    ...(args.settings.ipv6Only === undefined ? {} : { ipv6_only: args.settings.ipv6Only }),
    ...(args.settings.flattenCname === undefined ? {} : { flatten_cname: args.settings.flattenCname }),
  };
  return {
    name: args.name,
    type: args.type,
    ttl: args.ttl ?? 1,
    proxied: args.proxied ?? false,
    ...(args.content === undefined ? {} : { content: args.content }),
    ...(args.priority === undefined ? {} : { priority: args.priority }),
    ...(args.comment === undefined ? {} : { comment: args.comment }),
    ...(args.tags === undefined ? {} : { tags: args.tags }),
    ...(settings ? { settings } : {}),
  };
}

/** Outputs under pulumi-cloudflare v6's names. */
export function outputsOf(zoneId: string, r: ApiRecord, secretKeys: ReadonlySet<string> = new Set()): Props {
  const outs: Props = {
    id: r.id,
    zoneId,
    name: r.name,
    type: r.type,
    content: r.content ?? "",
    ttl: r.ttl,
    proxied: r.proxied,
    proxiable: r.proxiable,
    tags: r.tags ?? [],
    settings: { ipv4Only: r.settings?.ipv4_only ?? false, ipv6Only: r.settings?.ipv6_only ?? false, flattenCname: r.settings?.flatten_cname ?? false },
    meta: JSON.stringify(r.meta ?? {}),
    createdOn: r.created_on,
    modifiedOn: r.modified_on,
    ...(r.priority === undefined ? {} : { priority: r.priority }),
    ...(r.comment === undefined || r.comment === null ? {} : { comment: r.comment }),
    ...(r.comment_modified_on === undefined ? {} : { commentModifiedOn: r.comment_modified_on }),
    ...(r.tags_modified_on === undefined ? {} : { tagsModifiedOn: r.tags_modified_on }),
  };
  for (const key of secretKeys) if (typeof outs[key] === "string") outs[key] = secret(outs[key]);
  return outs;
}

const recordPath = (zoneId: string, id?: string) => `/zones/${zoneId}/dns_records${id === undefined ? "" : `/${encodeURIComponent(id)}`}`;
const zoneOf = (props: Props): string => {
  const zoneId = unwrapSecret(props.zoneId);
  if (typeof zoneId !== "string" || !ID.test(zoneId)) throw new Error("cloudflare DnsRecord: the state holds no valid zoneId");
  return zoneId;
};
export const notFound = (error: unknown) => error instanceof CloudflareError && (error.status === 404 || error.code === 81044);

export const cloudflareHandlers: Readonly<Record<string, TypeHandler>> = {
  "cloudflare:index/apiToken:ApiToken": apiTokenHandler,
  "cloudflare:index/zone:Zone": zoneHandler,
  "cloudflare:index/dnsRecord:DnsRecord": {
    replaceOn: ["zoneId", "type"],
    async create(_urn, inputs) {
      const { args, secretKeys } = readInputs(inputs);
      const created = parseRecord(await call("POST", recordPath(args.zoneId), requestBody(args)), "create");
      return { id: created.id, outs: outputsOf(args.zoneId, created, secretKeys) };
    },
    async update(id, _urn, _olds, news) {
      const { args, secretKeys } = readInputs(news);
      const updated = parseRecord(await call("PUT", recordPath(args.zoneId, id), requestBody(args)), "update");
      return outputsOf(args.zoneId, updated, secretKeys);
    },
    async delete(id, _urn, props) {
      try {
        await call("DELETE", recordPath(zoneOf(props), id));
      } catch (error) {
        if (!notFound(error)) throw error;
      }
    },
    async read(id, _urn, props) {
      const zoneId = zoneOf(props);
      try {
        const current = parseRecord(await call("GET", recordPath(zoneId, id)), "read");
        const secretKeys = new Set(Object.keys(props).filter((k) => unwrapSecret(props[k]) !== props[k]));
        return { ...props, ...outputsOf(zoneId, current, secretKeys) };
      } catch (error) {
        if (notFound(error)) return undefined;
        throw error;
      }
    },
  },
};
