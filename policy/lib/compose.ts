/**
 * The rendered compose file as policies find it: inside the inputs of the command resources
 * that carry it to the host (a CopyToRemote/CopyFile source, a Command's stdin, or a heredoc
 * in a Command's script). Anything that parses as YAML with a `services` map counts.
 */
import { load } from "js-yaml";
import { COMMAND_TYPES, ResourceLike, stringsOf } from "./resources";

export interface ComposeService {
  readonly image?: unknown;
  readonly ports?: unknown;
  readonly network_mode?: unknown;
  readonly mem_limit?: unknown;
  readonly deploy?: { readonly resources?: { readonly limits?: { readonly memory?: unknown } } };
}

export interface ComposeDocument {
  /** Property path the document was found at. */
  readonly path: string;
  readonly services: Readonly<Record<string, ComposeService>>;
}

const HEREDOC = /<<-?\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\1[^\n]*\n([\s\S]*?)\n\s*\2\s*(?:\n|$)/g;

/**
 * Parsed documents by text: several policies read the same file, and a stack often carries it
 * twice (the source and a trigger). Bounded, so a long plan does not hold every file.
 */
const parsed = new Map<string, ComposeDocument["services"] | undefined>();
const PARSED_MAX = 64;

function asCompose(text: string): ComposeDocument["services"] | undefined {
  if (!/^services\s*:/m.test(text)) return undefined;
  if (parsed.has(text)) return parsed.get(text);
  if (parsed.size >= PARSED_MAX) parsed.clear();
  const services = parseServices(text);
  parsed.set(text, services);
  return services;
}

function parseServices(text: string): ComposeDocument["services"] | undefined {
  let doc: unknown;
  try {
    doc = load(text);
  } catch {
    return undefined;
  }
  const services = (doc as { services?: unknown } | null)?.services;
  return services !== null && typeof services === "object" && !Array.isArray(services)
    ? (services as Record<string, ComposeService>)
    : undefined;
}

/** Compose documents carried by one resource (none for types that do not carry files). */
export async function composeDocuments(resource: Pick<ResourceLike, "type" | "props">): Promise<ComposeDocument[]> {
  if (!COMMAND_TYPES.includes(resource.type)) return [];
  const docs: ComposeDocument[] = [];
  for (const { path, text } of await stringsOf(resource.props)) {
    if (!text.includes("services")) continue;
    const whole = asCompose(text);
    if (whole) {
      docs.push({ path, services: whole });
      continue;
    }
    if (!text.includes("<<")) continue;
    for (const match of text.matchAll(HEREDOC)) {
      const services = asCompose(match[3] ?? "");
      if (services) docs.push({ path: `${path} (heredoc ${match[2]})`, services });
    }
  }
  return docs;
}

export interface PublishedPort {
  readonly spec: string;
  /** Host address the port is bound to; `0.0.0.0` when none is given. */
  readonly hostIp: string;
}

/** Published ports of a service in short (`127.0.0.1:8080:80`) or long syntax. */
export function publishedPorts(service: ComposeService): PublishedPort[] {
  const ports = Array.isArray(service.ports) ? service.ports : [];
  const out: PublishedPort[] = [];
  for (const port of ports) {
    if (typeof port === "string" || typeof port === "number") {
      const spec = String(port);
      out.push({ spec, hostIp: shortSyntaxHostIp(spec) });
    } else if (port !== null && typeof port === "object") {
      const p = port as { host_ip?: unknown; published?: unknown; target?: unknown };
      if (p.published === undefined) continue; // not published to the host
      out.push({ spec: `${String(p.host_ip ?? "")}:${String(p.published)}:${String(p.target)}`, hostIp: String(p.host_ip ?? "0.0.0.0") });
    }
  }
  return out;
}

function shortSyntaxHostIp(spec: string): string {
  const bracketed = /^\[([^\]]+)\]:/.exec(spec);
  if (bracketed) return bracketed[1] ?? "";
  const parts = spec.split("/")[0]?.split(":") ?? [];
  // ip:host:container has three parts; host:container or container publish on every address
  return parts.length >= 3 ? parts.slice(0, parts.length - 2).join(":") : "0.0.0.0";
}

export const isLoopback = (ip: string): boolean => ip === "127.0.0.1" || ip === "::1" || ip.startsWith("127.");

/** Compose memory strings (`512m`, `1g`, `1024M`, bytes) in MiB; undefined when absent or unreadable. */
export function memoryMb(value: unknown): number | undefined {
  if (typeof value === "number") return value / (1024 * 1024);
  if (typeof value !== "string") return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*([bkmg]?)b?$/i.exec(value.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = (m[2] ?? "").toLowerCase();
  const factor = unit === "g" ? 1024 : unit === "m" ? 1 : unit === "k" ? 1 / 1024 : 1 / (1024 * 1024);
  return n * factor;
}

export function serviceMemoryMb(service: ComposeService): number | undefined {
  return memoryMb(service.deploy?.resources?.limits?.memory) ?? memoryMb(service.mem_limit);
}
