/**
 * The fake's zones and DNS records, and the checks Cloudflare makes beyond the schema (content
 * of A/AAAA, proxiable types, identical records, CNAME beside other address records). Error codes
 * are the ones Cloudflare answers with for these cases.
 */
import { randomBytes } from "node:crypto";
import { isIPv4, isIPv6 } from "node:net";

export interface SeedZone {
  readonly name: string;
  /** Default - 32 random hex digits. */
  readonly id?: string;
}

export interface FakeZone {
  readonly id: string;
  readonly name: string;
  readonly createdOn: string;
  /** The two Cloudflare name servers assigned to the zone; a child zone never gets its parent's. */
  readonly nameServers: readonly string[];
  /** Seeded zones are active; a zone made through the API is pending until its delegation is seen. */
  status: "pending" | "active";
  activatedOn: string | null;
}

/** The one account the fake holds (zones answer with it; POST /zones may name it). */
export const ACCOUNT = { id: "0123456789abcdef0123456789abcdef", name: "LetsBe test account" } as const;

/** Name-server pairs in Cloudflare's `<name>.ns.cloudflare.com` form, handed out in turn. */
const NAME_SERVER_PAIRS: ReadonlyArray<readonly [string, string]> = [
  ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"],
  ["cruz.ns.cloudflare.com", "dana.ns.cloudflare.com"],
  ["elle.ns.cloudflare.com", "finn.ns.cloudflare.com"],
  ["gina.ns.cloudflare.com", "hugo.ns.cloudflare.com"],
];

export interface FakeRecord {
  id: string;
  zoneId: string;
  name: string;
  type: string;
  content: string;
  ttl: number;
  proxied: boolean;
  priority?: number;
  comment: string | null;
  tags: string[];
  settings: Record<string, boolean>;
  createdOn: string;
  modifiedOn: string;
  commentModifiedOn?: string;
  tagsModifiedOn?: string;
}

/** The writable fields, as the API names them. */
export interface RecordFields {
  name?: string;
  type?: string;
  content?: string;
  ttl?: number;
  proxied?: boolean;
  priority?: number;
  comment?: string;
  tags?: string[];
  settings?: Record<string, boolean>;
}

export interface CfError {
  readonly status: number;
  readonly code: number;
  readonly message: string;
}

export const newId = (): string => randomBytes(16).toString("hex");

const PROXIABLE = new Set(["A", "AAAA", "CNAME"]);
const ADDRESS = new Set(["A", "AAAA", "CNAME"]);

export function buildZone(seed: SeedZone): FakeZone {
  const createdOn = new Date().toISOString();
  return { id: seed.id ?? newId(), name: seed.name.toLowerCase().replace(/\.$/, ""), createdOn, nameServers: NAME_SERVER_PAIRS[0], status: "active", activatedOn: createdOn };
}

/** A zone made through POST /zones: pending, with a name-server pair none of `avoid` has (its parent's). */
export function createdZone(name: string, serial: number, avoid: readonly string[]): FakeZone {
  const pairs = NAME_SERVER_PAIRS.filter((pair) => !pair.some((ns) => avoid.includes(ns)));
  return { id: newId(), name, createdOn: new Date().toISOString(), nameServers: pairs[serial % pairs.length]!, status: "pending", activatedOn: null };
}

/** Cloudflare stores full names: `@` is the apex, a relative name gets the zone appended. */
export function fullName(name: string, zone: FakeZone): string {
  const plain = name.toLowerCase().replace(/\.$/, "");
  if (plain === "@" || plain === zone.name) return zone.name;
  return plain.endsWith(`.${zone.name}`) ? plain : `${plain}.${zone.name}`;
}

/** Checks a record about to be stored against the zone's others; undefined when it may be. */
export function conflict(candidate: FakeRecord, others: readonly FakeRecord[]): CfError | undefined {
  if (candidate.type === "A" && !isIPv4(candidate.content)) return { status: 400, code: 9005, message: "Content for A record must be a valid IPv4 address." };
  if (candidate.type === "AAAA" && !isIPv6(candidate.content)) return { status: 400, code: 9006, message: "Content for AAAA record must be a valid IPv6 address." };
  if (candidate.type === "MX" && candidate.priority === undefined) return { status: 400, code: 9102, message: "MX records must have a priority." };
  if (candidate.proxied && !PROXIABLE.has(candidate.type)) return { status: 400, code: 9004, message: "This record type cannot be proxied." };
  const sameName = others.filter((r) => r.id !== candidate.id && r.name === candidate.name);
  if (sameName.some((r) => r.type === candidate.type && r.content === candidate.content)) {
    return { status: 400, code: 81058, message: "An identical record already exists." };
  }
  const cname = (r: FakeRecord) => r.type === "CNAME";
  if (ADDRESS.has(candidate.type) && sameName.some((r) => ADDRESS.has(r.type) && (cname(r) || cname(candidate)))) {
    return { status: 400, code: 81053, message: "An A, AAAA, or CNAME record with that host already exists." };
  }
  // A delegated name holds no address records (developers.cloudflare.com/dns/manage-dns-records/troubleshooting/existing-ns-record).
  if (ADDRESS.has(candidate.type) && sameName.some((r) => r.type === "NS")) {
    return { status: 400, code: 81056, message: "NS records with that host already exist." };
  }
  if (candidate.type === "NS" && sameName.some((r) => ADDRESS.has(r.type))) {
    return { status: 400, code: 81053, message: "An A, AAAA, or CNAME record with that host already exists." };
  }
  return undefined;
}

/** A new or overwritten record from the request fields; `previous` keeps id and creation time. */
export function recordFrom(zone: FakeZone, fields: RecordFields, previous?: FakeRecord): FakeRecord {
  const now = new Date().toISOString();
  const comment = fields.comment ?? null;
  const tags = fields.tags ?? [];
  return {
    id: previous?.id ?? newId(),
    zoneId: zone.id,
    name: fullName(fields.name ?? previous?.name ?? "", zone),
    type: fields.type ?? previous?.type ?? "",
    content: fields.content ?? "",
    ttl: fields.ttl ?? 1,
    proxied: fields.proxied ?? false,
    ...(fields.priority === undefined ? {} : { priority: fields.priority }),
    comment,
    tags,
    settings: { ...fields.settings },
    createdOn: previous?.createdOn ?? now,
    modifiedOn: now,
    ...(comment === null ? {} : { commentModifiedOn: comment === previous?.comment ? previous.commentModifiedOn ?? now : now }),
    ...(tags.length === 0 ? {} : { tagsModifiedOn: JSON.stringify(tags) === JSON.stringify(previous?.tags) ? previous?.tagsModifiedOn ?? now : now }),
  };
}

/** PATCH: the previous record with the fields given replaced. */
export function patched(zone: FakeZone, previous: FakeRecord, fields: RecordFields): FakeRecord {
  const merged: RecordFields = {
    name: previous.name, type: previous.type, content: previous.content, ttl: previous.ttl, proxied: previous.proxied,
    priority: previous.priority, comment: previous.comment ?? undefined, tags: previous.tags, settings: previous.settings,
    ...fields,
  };
  return recordFrom(zone, merged, previous);
}

/** The record as the API answers it. */
export function recordBody(record: FakeRecord): Record<string, unknown> {
  return {
    id: record.id,
    name: record.name,
    type: record.type,
    content: record.content,
    ttl: record.ttl,
    proxied: record.proxied,
    proxiable: PROXIABLE.has(record.type),
    ...(record.priority === undefined ? {} : { priority: record.priority }),
    comment: record.comment,
    tags: [...record.tags],
    settings: { ...record.settings },
    meta: {},
    created_on: record.createdOn,
    modified_on: record.modifiedOn,
    ...(record.commentModifiedOn ? { comment_modified_on: record.commentModifiedOn } : {}),
    ...(record.tagsModifiedOn ? { tags_modified_on: record.tagsModifiedOn } : {}),
  };
}

export function zoneBody(zone: FakeZone): Record<string, unknown> {
  return {
    id: zone.id,
    name: zone.name,
    status: zone.status,
    paused: false,
    type: "full",
    name_servers: [...zone.nameServers],
    account: { ...ACCOUNT },
    created_on: zone.createdOn,
    modified_on: zone.activatedOn ?? zone.createdOn,
    activated_on: zone.activatedOn,
    development_mode: 0,
  };
}
