/**
 * What the `NetcupServer` dynamic provider does, as plain functions of its inputs: claim a pool
 * server (./claim), install it, read it back, change its hostname, rotate its provisioning key
 * over SSH (./keys), wipe it and return it to the pool.
 * Serialized into the provider with its closure, so: no module-level objects, only functions.
 */
import { ScpClient } from "./client";
import { claimServer, moveNickname } from "./claim";
import { isNamedError, netcupStepError, type ClaimOutcome, type ScpApiError } from "./errors";
import { keyIdentity, rotateAuthorizedKey, type SshJump } from "./keys";
import { POOL_NICKNAME, claimNickname, type ClaimNamespace } from "./pool";
import type { ScpImageFlavour, ScpServer } from "./schemas";

/** Knobs for tests and benchmarks; production uses the defaults. */
export interface NetcupTuning {
  /** Interval between task polls, ms. Default - 5000. */
  readonly taskPollMs?: number;
  /** Overall time one task may take, ms. Default - 1800000. */
  readonly taskTimeoutMs?: number;
  /**
   * Wait between the claim and its read-back, ms; a claim taking longer than this from check to
   * answer is lost (./claim), so it must exceed the API's latency. 0 turns the check off (one
   * claimer only: the benchmark). Default - 2000.
   */
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
  /** Name the claim is made for: a tenant slug (nickname `letsbe-tenant:<owner>`) or a hub's server name. */
  readonly owner: string;
  /** `hub` claims as `letsbe-hub:<owner>`; absent (state from before the input) or `tenant`, as `letsbe-tenant:<owner>`. A change re-marks the server in place. */
  readonly namespace?: ClaimNamespace;
  /** Adopt this server (SCP name `v...`) instead of any free pool server. */
  readonly serverName?: string;
  /** Hostname set by the install, and IPv4 rDNS; must be a FQDN. */
  readonly hostname: string;
  /** Provisioning SSH public key, installed for root; a change is written to authorized_keys over SSH. */
  readonly sshPublicKey: string;
  /** Private key of the pair (secret); needed to log in when the key is rotated. */
  readonly sshPrivateKey?: string;
  /** SSH port of the server, for a key rotation. Default - 22. */
  readonly sshPort?: number;
  /** A WireGuard spoke's route for a key rotation: through this jump host (its hub, pinned) to `sshTunnelAddress`. Default - the public IPv4. */
  readonly sshJump?: SshJump;
  /** The server's address on the WireGuard network, where its sshd listens once switched; given with `sshJump`. */
  readonly sshTunnelAddress?: string;
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

/**
 * Starts an install and waits for it. A 400 "task running" is a refusal, so it is repeated until
 * the task timeout: after a killed run, its install may still be running on an adopted server.
 * The code is the fake's (the SCP's recorded answers hold no busy refusal; made-up value).
 */
async function install(client: ScpClient, id: number, setup: { imageFlavourId: number; hostname: string; sshKeyIds: number[] }, tuning: NetcupTuning): Promise<void> {
  const deadline = Date.now() + (tuning.taskTimeoutMs ?? 1_800_000);
  for (;;) {
    try {
      await client.installImage(id, setup);
      return;
    } catch (error) {
      const busy = isNamedError(error, "ScpApiError") && (error as ScpApiError).status === 400 && (error as ScpApiError).code === "server.task.running";
      if (!busy || Date.now() >= deadline) throw error;
      await pause(tuning.taskPollMs ?? 5_000);
    }
  }
}

/** True when a failed install call surely did not start an install (a 4xx refusal other than 429). */
function refusedInstall(error: unknown): boolean {
  if (!isNamedError(error, "ScpApiError")) return false;
  const { status } = error as ScpApiError;
  return status >= 400 && status < 500 && status !== 429;
}

/**
 * create: claim (or adopt the server a killed run left claimed for this owner), key, image,
 * install, rDNS. A failure before any install could have started returns the server to the
 * pool; after that it stays claimed for the owner, and the next create adopts it.
 */
export async function createServer(inputs: NetcupServerInputs): Promise<{ id: string; outs: NetcupServerOutputs }> {
  const client = clientFor(inputs);
  const { server, adopted } = await claimServer(client, inputs);
  const { ipv4, ipv6 } = addressesOf(server);
  let step = "register SSH key";
  // An adopted server may carry a partial install of the killed run.
  let mayHaveInstalled = adopted;
  try {
    const keyId = await ensureSshKey(client, inputs.sshPublicKey);
    step = "choose image flavour";
    const flavour = pickImageFlavour(await client.imageFlavours(server.id), inputs.image, server.serverLiveInfo?.uefi);
    step = "install image";
    try {
      await install(client, server.id, { imageFlavourId: flavour.id, hostname: inputs.hostname, sshKeyIds: [keyId] }, inputs.tuning ?? {});
    } catch (error) {
      mayHaveInstalled ||= !refusedInstall(error);
      throw error;
    }
    mayHaveInstalled = true;
    step = "set IPv4 rDNS";
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
    const outcome: ClaimOutcome = mayHaveInstalled ? "kept" : (await release(client, server.id, inputs)) ? "released" : "release-failed";
    throw netcupStepError("create", step, server.name, outcome, messageOf(error));
  }
}

/** Returns a claimed server whose disk was never touched to the pool (the failure path). */
async function release(client: ScpClient, serverId: number, inputs: NetcupServerInputs): Promise<boolean> {
  try {
    return await moveNickname(client, serverId, claimNickname(inputs.owner, inputs.namespace), POOL_NICKNAME, inputs.tuning?.backoffBaseMs ?? 500);
  } catch {
    return false;
  }
}

/** read: the server as the API sees it; gone when it no longer exists or no longer carries the claim. */
export async function readServer(id: string, props: NetcupServerOutputs): Promise<{ id: string; props: NetcupServerOutputs | Record<string, never> }> {
  const server = await clientFor(props).getServer(Number(id), true);
  if (!server || server.nickname !== claimNickname(props.owner, props.namespace)) return { id: "", props: {} };
  return {
    id,
    props: { ...props, ...addressesOf(server), serverName: server.name, site: server.site?.city ?? props.site, hostname: server.hostname ?? props.hostname },
  };
}

/**
 * update: the hostname (and its rDNS) and the provisioning key change in place; a new key is
 * written to root's authorized_keys over SSH (never a reinstall, which would wipe the tenant).
 */
export async function updateServer(id: string, olds: NetcupServerOutputs, news: NetcupServerInputs): Promise<{ outs: NetcupServerOutputs }> {
  const outs: NetcupServerOutputs = { ...olds, ...news, serverName: olds.serverName, site: olds.site };
  const [from, to] = [claimNickname(olds.owner, olds.namespace), claimNickname(news.owner, news.namespace)];
  if (from !== to) {
    // The claim moves to its new namespace first: read and delete look for the new one from now on.
    const step = "move claim";
    let moved = false;
    try {
      moved = await moveNickname(clientFor(news), Number(id), from, to, news.tuning?.backoffBaseMs ?? 500);
    } catch (error) {
      throw netcupStepError("update", step, olds.serverName, undefined, messageOf(error));
    }
    if (!moved) throw netcupStepError("update", step, olds.serverName, undefined, `the server no longer carries "${from}" (another nickname is on it now, or the API kept failing); it was left as it is`);
  }
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
  if (keyIdentity(news.sshPublicKey) !== keyIdentity(olds.sshPublicKey)) {
    const step = "rotate SSH key";
    if (!news.sshPrivateKey) {
      throw netcupStepError("update", step, olds.serverName, undefined, "sshPublicKey changed but no sshPrivateKey was given to log in with and prove the new key; give the new pair's private key (the server is never reinstalled for a key change)");
    }
    // A spoke's sshd listens on its tunnel address only, reached through the hub (the current route: news).
    const route = news.sshJump && news.sshTunnelAddress ? { host: news.sshTunnelAddress, jump: news.sshJump } : { host: olds.ipv4 };
    if (!route.host) throw netcupStepError("update", step, olds.serverName, undefined, "the server has no IPv4 address to reach it over SSH");
    const loginKeys = [olds.sshPrivateKey, news.sshPrivateKey].filter((k): k is string => typeof k === "string" && k.length > 0);
    try {
      await rotateAuthorizedKey({ ...route, port: news.sshPort, serverName: olds.serverName }, olds.sshPublicKey, news.sshPublicKey, loginKeys, news.sshPrivateKey);
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
  if (!server || server.nickname !== claimNickname(props.owner, props.namespace)) return;
  let step = "choose image flavour";
  try {
    const flavour = pickImageFlavour(await client.imageFlavours(server.id), props.image, server.serverLiveInfo?.uefi);
    step = "wipe disk";
    await install(client, server.id, { imageFlavourId: flavour.id, hostname: server.name, sshKeyIds: [] }, props.tuning ?? {});
    step = "reset IPv4 rDNS";
    const { ipv4 } = addressesOf(server);
    if (ipv4) await client.deleteRdnsIpv4(ipv4);
    step = "return to pool";
    if (!(await moveNickname(client, server.id, claimNickname(props.owner, props.namespace), POOL_NICKNAME, props.tuning?.backoffBaseMs ?? 500))) {
      throw new Error("the nickname could not be set back to the pool marker (another nickname is on it now, or the API kept failing)");
    }
  } catch (error) {
    throw netcupStepError("delete", step, server.name, undefined, messageOf(error));
  }
}

/**
 * diff: hostname, provisioning key (written over SSH), claim namespace (re-marked), access settings
 * and the provider version update in place (the SSH route is no change: the next key rotation reads it); image, product, region, site, owner and a named server
 * replace, deleting first: a pool server cannot be in two places. A replacement wipes the tenant's
 * disk, so a key rotation must never be one.
 */
export function diffServer(olds: NetcupServerOutputs, news: NetcupServerInputs): { changes: boolean; replaces: string[]; deleteBeforeReplace: boolean } {
  const replaceKeys = ["image", "product", "region", "site", "owner"] as const;
  const replaces: string[] = replaceKeys.filter((key) => olds[key] !== news[key]);
  // A named server replaces only when the name asked for is not the server already held.
  if (news.serverName && news.serverName !== olds.serverName) replaces.push("serverName");
  const updates = (["hostname", "sshPublicKey", "sshPrivateKey", "sshPort", "providerVersion", "apiUrl", "tokenUrl", "refreshToken"] as const).filter((key) => olds[key] !== news[key]);
  const tuningChanged = JSON.stringify(olds.tuning ?? {}) !== JSON.stringify(news.tuning ?? {});
  // The SSH route (sshJump, sshTunnelAddress) is no change of its own: a key rotation reads it from the
  // new inputs. An update for it alone made the switch's preview treat the server's outputs as unknown,
  // showing its DNS records updated and every stage after the host-key record replaced.
  const namespaceChanged = (olds.namespace ?? "tenant") !== (news.namespace ?? "tenant");
  return { changes: replaces.length > 0 || updates.length > 0 || tuningChanged || namespaceChanged, replaces, deleteBeforeReplace: replaces.length > 0 };
}
