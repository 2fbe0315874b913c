/**
 * What the `NetcupServer` dynamic provider does, as plain functions of its inputs: claim a pool
 * server, install it, read it back, change its hostname, wipe it and return it to the pool.
 * Serialized into the provider with its closure, so: no module-level objects, only functions.
 */
import { ScpClient } from "./client";
import { netcupPoolEmptyError, netcupStepError, scpResponseError } from "./errors";
import { POOL_NICKNAME, claimNickname, isProduct } from "./pool";
import type { ScpImageFlavour, ScpServer } from "./schemas";

/** Knobs for tests and benchmarks; production uses the defaults. */
export interface NetcupTuning {
  /** Interval between task polls, ms. Default - 5000. */
  readonly taskPollMs?: number;
  /** Overall time one task may take, ms. Default - 1800000. */
  readonly taskTimeoutMs?: number;
  /** Wait between the claim and its read-back, ms; must exceed the API's request latency. Default - 2000. */
  readonly claimSettleMs?: number;
  /** First backoff step, ms. Default - 500. */
  readonly backoffBaseMs?: number;
  /** Cap of one backoff wait, ms. Default - 30000. */
  readonly backoffMaxMs?: number;
  /** Attempts per call. Default - 6. */
  readonly maxAttempts?: number;
  /** Timeout of one HTTP request, ms. Default - 30000. */
  readonly requestTimeoutMs?: number;
}

/** Inputs of a `NetcupServer`, as the provider receives them (secrets already unwrapped). */
export interface NetcupServerInputs {
  /** LetsBe region id (`eu`, `us`); recorded, and a change replaces. */
  readonly region: string;
  /** Netcup site the region maps to (`site.city`, e.g. `Nuremberg`). */
  readonly site: string;
  /** SCP template name of the tier's product, e.g. `RS 4000 G12`. */
  readonly product: string;
  /** Tenant slug the claim is made for (nickname `letsbe-tenant:<owner>`). */
  readonly owner: string;
  /** Adopt this server (SCP name `v...`) instead of any free pool server. */
  readonly serverName?: string;
  /** Hostname set by the install, and IPv4 rDNS; must be a FQDN. */
  readonly hostname: string;
  /** Provisioning SSH public key, installed for root. */
  readonly sshPublicKey: string;
  /** Image family, matched against flavour image names. Default in the component - `Debian 13`. */
  readonly image: string;
  readonly apiUrl: string;
  readonly tokenUrl: string;
  /** Offline refresh token (secret). */
  readonly refreshToken: string;
  /** Version of this provider; a change alone is a no-op update. */
  readonly providerVersion: string;
  readonly tuning?: NetcupTuning;
}

export interface NetcupServerOutputs extends NetcupServerInputs {
  readonly serverId: string;
  readonly serverName: string;
  readonly ipv4: string;
  readonly ipv6: string;
  readonly imageFlavour: string;
  readonly imageFlavourId: number;
  readonly installedAt: string;
}

export function clientFor(inputs: Pick<NetcupServerInputs, "apiUrl" | "tokenUrl" | "refreshToken" | "tuning">): ScpClient {
  const tuning = inputs.tuning ?? {};
  return new ScpClient({
    apiUrl: inputs.apiUrl,
    tokenUrl: inputs.tokenUrl,
    refreshToken: inputs.refreshToken,
    taskPollMs: tuning.taskPollMs,
    taskTimeoutMs: tuning.taskTimeoutMs,
    backoffBaseMs: tuning.backoffBaseMs,
    backoffMaxMs: tuning.backoffMaxMs,
    maxAttempts: tuning.maxAttempts,
    requestTimeoutMs: tuning.requestTimeoutMs,
  });
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Claims a server for the owner and confirms it by reading it back after the settle time;
 * undefined when another claimer won. Sound while the time from seeing the server free to the
 * claim landing stays below the settle time, so a check older than half of it is repeated first.
 */
async function claim(client: ScpClient, server: ScpServer, checkedAt: number, owner: string, settleMs: number): Promise<ScpServer | undefined> {
  const mine = claimNickname(owner);
  if (settleMs > 0 && Date.now() - checkedAt > settleMs / 2) {
    const fresh = await client.getServer(server.id, false);
    if (!fresh || (fresh.nickname !== POOL_NICKNAME && fresh.nickname !== mine)) return undefined;
  }
  await client.patchServer(server.id, { nickname: mine });
  if (settleMs > 0) await pause(settleMs);
  const readBack = await client.getServer(server.id, true);
  return readBack?.nickname === mine ? readBack : undefined;
}

/** Finds and claims the server: the named one, or any free one of the product at the site. */
async function claimServer(client: ScpClient, inputs: NetcupServerInputs): Promise<ScpServer> {
  const settleMs = inputs.tuning?.claimSettleMs ?? 2_000;
  const mine = claimNickname(inputs.owner);
  if (inputs.serverName) {
    const listed = (await client.listServers({ name: inputs.serverName })).find((s) => s.name === inputs.serverName);
    const server = listed && (await client.getServer(listed.id, false));
    const checkedAt = Date.now();
    if (!server) throw scpResponseError("GET", "/api/v1/servers", `server ${inputs.serverName} is not in this SCP account`);
    if (server.nickname !== POOL_NICKNAME && server.nickname !== mine) {
      throw netcupStepError("create", "claim named server", server.name, undefined, `its nickname is "${server.nickname ?? ""}", not "${POOL_NICKNAME}" or "${mine}"; only pool servers are adopted`);
    }
    if (server.site?.city !== inputs.site) {
      throw netcupStepError("create", "claim named server", server.name, undefined, `it is at site ${server.site?.city ?? "unknown"}, the tenant's region needs ${inputs.site}`);
    }
    const claimed = await claim(client, server, checkedAt, inputs.owner, settleMs);
    if (!claimed) throw netcupStepError("create", "claim named server", server.name, undefined, "another claimer took it at the same time");
    return claimed;
  }
  const free = (await client.listServers({ q: POOL_NICKNAME }))
    .filter((s) => s.nickname === POOL_NICKNAME && !s.disabled && isProduct(s.template?.name, inputs.product));
  // A random order spreads concurrent creates over the pool instead of all racing for one server.
  for (let i = free.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [free[i], free[j]] = [free[j], free[i]];
  }
  for (const candidate of free) {
    const server = await client.getServer(candidate.id, false);
    const checkedAt = Date.now();
    if (!server || server.nickname !== POOL_NICKNAME || server.site?.city !== inputs.site) continue;
    const claimed = await claim(client, server, checkedAt, inputs.owner, settleMs);
    if (claimed) return claimed;
  }
  throw netcupPoolEmptyError(inputs.product, inputs.site, POOL_NICKNAME);
}

/** The `type base64` part of an OpenSSH public key, which identifies it. */
function keyIdentity(key: string): string {
  return key.trim().split(/\s+/).slice(0, 2).join(" ");
}

/** Reuses an identical registered key, or registers it; a lost answer is reconciled by listing again. */
async function ensureSshKey(client: ScpClient, publicKey: string): Promise<number> {
  const identity = keyIdentity(publicKey);
  const find = async () => (await client.sshKeys()).find((k) => keyIdentity(k.key) === identity);
  const existing = await find();
  if (existing) return existing.id;
  const { createHash } = require("node:crypto") as typeof import("node:crypto");
  const name = `letsbe-${createHash("sha256").update(identity).digest("hex").slice(0, 16)}`;
  try {
    return (await client.createSshKey(name, publicKey.trim())).id;
  } catch (error) {
    const registered = await find();
    if (registered) return registered.id;
    throw error;
  }
}

function versionKey(name: string): number[] {
  return (name.match(/\d+/g) ?? []).map(Number);
}

/** The flavour of the image family for this server's boot mode, newest version first; never a fixed id. */
export function pickImageFlavour(flavours: readonly ScpImageFlavour[], image: string, uefi: boolean | undefined): ScpImageFlavour {
  const family = flavours.filter((f) => {
    const name = f.image?.name ?? "";
    return name === image || name.startsWith(`${image}.`) || name.startsWith(`${image} `);
  });
  if (family.length === 0) {
    const offered = [...new Set(flavours.map((f) => f.image?.name ?? f.name))].sort().join(", ");
    throw new Error(`no image flavour of "${image}" is offered for this server (offered: ${offered})`);
  }
  const mode = uefi === undefined ? undefined : uefi ? /\bUEFI\b/ : /\bBIOS\b/;
  const inMode = mode ? family.filter((f) => mode.test(f.image?.name ?? "")) : [];
  const pool = inMode.length > 0 ? inMode : family;
  const minimal = pool.filter((f) => f.name.toLowerCase() === "minimal");
  const choices = minimal.length > 0 ? minimal : pool;
  return [...choices].sort((a, b) => {
    const va = versionKey(a.image?.name ?? ""), vb = versionKey(b.image?.name ?? "");
    for (let i = 0; i < Math.max(va.length, vb.length); i++) if ((vb[i] ?? 0) !== (va[i] ?? 0)) return (vb[i] ?? 0) - (va[i] ?? 0);
    return b.id - a.id;
  })[0];
}

export function addressesOf(server: ScpServer): { ipv4: string; ipv6: string } {
  const ipv4 = server.ipv4Addresses[0]?.ip ?? "";
  const prefix = server.ipv6Addresses[0]?.networkPrefix ?? "";
  // The server's own address in its /64 is `::1` of the prefix.
  return { ipv4, ipv6: prefix ? `${prefix.replace(/::?$/, "")}::1` : "" };
}

/** create: claim, key, image, install, rDNS; on a failure after the claim the server goes back to the pool. */
export async function createServer(inputs: NetcupServerInputs): Promise<{ id: string; outs: NetcupServerOutputs }> {
  const client = clientFor(inputs);
  const server = await claimServer(client, inputs);
  const { ipv4, ipv6 } = addressesOf(server);
  let step = "register SSH key";
  let rdnsSet = false;
  try {
    const keyId = await ensureSshKey(client, inputs.sshPublicKey);
    step = "choose image flavour";
    const flavour = pickImageFlavour(await client.imageFlavours(server.id), inputs.image, server.serverLiveInfo?.uefi);
    step = "install image";
    await client.installImage(server.id, { imageFlavourId: flavour.id, hostname: inputs.hostname, sshKeyIds: [keyId] });
    step = "set IPv4 rDNS";
    rdnsSet = true;
    if (ipv4) await client.setRdnsIpv4(ipv4, inputs.hostname);
    const outs: NetcupServerOutputs = {
      ...inputs,
      serverId: String(server.id),
      serverName: server.name,
      site: server.site?.city ?? inputs.site,
      ipv4,
      ipv6,
      imageFlavour: flavour.image?.name ?? flavour.name,
      imageFlavourId: flavour.id,
      installedAt: new Date().toISOString(),
    };
    return { id: String(server.id), outs };
  } catch (error) {
    const released = await release(client, server.id, rdnsSet ? ipv4 : "");
    throw netcupStepError("create", step, server.name, released, messageOf(error));
  }
}

/** Returns a claimed server to the pool (best effort, used on the failure path). */
async function release(client: ScpClient, serverId: number, rdnsIp: string): Promise<boolean> {
  try {
    if (rdnsIp) await client.deleteRdnsIpv4(rdnsIp);
  } catch {
    // A stale rDNS entry is overwritten by the next claimer; the nickname is what matters.
  }
  try {
    await client.patchServer(serverId, { nickname: POOL_NICKNAME });
    return true;
  } catch {
    return false;
  }
}

/** read: the server as the API sees it; gone when it no longer exists or no longer carries the claim. */
export async function readServer(id: string, props: NetcupServerOutputs): Promise<{ id: string; props: NetcupServerOutputs | Record<string, never> }> {
  const server = await clientFor(props).getServer(Number(id), true);
  if (!server || server.nickname !== claimNickname(props.owner)) return { id: "", props: {} };
  return {
    id,
    props: { ...props, ...addressesOf(server), serverName: server.name, site: server.site?.city ?? props.site, hostname: server.hostname ?? props.hostname },
  };
}

/** update: only the hostname (and its rDNS) changes in place; everything else is in the outputs already. */
export async function updateServer(id: string, olds: NetcupServerOutputs, news: NetcupServerInputs): Promise<{ outs: NetcupServerOutputs }> {
  const outs: NetcupServerOutputs = { ...olds, ...news, serverName: olds.serverName, site: olds.site };
  if (news.hostname !== olds.hostname) {
    const client = clientFor(news);
    let step = "set hostname";
    try {
      await client.patchServer(Number(id), { hostname: news.hostname });
      step = "set IPv4 rDNS";
      if (olds.ipv4) await client.setRdnsIpv4(olds.ipv4, news.hostname);
    } catch (error) {
      throw netcupStepError("update", step, olds.serverName, undefined, messageOf(error));
    }
  }
  return { outs };
}

/** delete: wipe the disk (reinstall without the tenant's key), reset rDNS, give the server back to the pool. */
export async function deleteServer(id: string, props: NetcupServerOutputs): Promise<void> {
  const client = clientFor(props);
  const server = await client.getServer(Number(id), true);
  // Gone, already back in the pool, or someone else's now: nothing of ours is left to delete.
  if (!server || server.nickname !== claimNickname(props.owner)) return;
  let step = "choose image flavour";
  try {
    const flavour = pickImageFlavour(await client.imageFlavours(server.id), props.image, server.serverLiveInfo?.uefi);
    step = "wipe disk";
    await client.installImage(server.id, { imageFlavourId: flavour.id, hostname: server.name, sshKeyIds: [] });
    step = "reset IPv4 rDNS";
    const { ipv4 } = addressesOf(server);
    if (ipv4) await client.deleteRdnsIpv4(ipv4);
    step = "return to pool";
    await client.patchServer(server.id, { nickname: POOL_NICKNAME });
  } catch (error) {
    throw netcupStepError("delete", step, server.name, undefined, messageOf(error));
  }
}

/**
 * diff: hostname (and the access settings, and the provider version) update in place; key, image,
 * product, region, site, owner and a named server replace, deleting first: a pool server cannot be
 * in two places.
 */
export function diffServer(olds: NetcupServerOutputs, news: NetcupServerInputs): { changes: boolean; replaces: string[]; deleteBeforeReplace: boolean } {
  const replaceKeys = ["sshPublicKey", "image", "product", "region", "site", "owner"] as const;
  const replaces: string[] = replaceKeys.filter((key) => olds[key] !== news[key]);
  // A named server replaces only when the name asked for is not the server already held.
  if (news.serverName && news.serverName !== olds.serverName) replaces.push("serverName");
  const updates = (["hostname", "providerVersion", "apiUrl", "tokenUrl", "refreshToken"] as const).filter((key) => olds[key] !== news[key]);
  const tuningChanged = JSON.stringify(olds.tuning ?? {}) !== JSON.stringify(news.tuning ?? {});
  return { changes: replaces.length > 0 || updates.length > 0 || tuningChanged, replaces, deleteBeforeReplace: replaces.length > 0 };
}
