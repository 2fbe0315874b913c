/**
 * Claiming a pool server without a conditional update in the SCP. A claim is one nickname
 * PATCH to the owner's claim (`letsbe-tenant:<owner>`, or `letsbe-hub:<owner>` for a hub), then,
 * after a settle time, a read-back: of claimers that raced, only the last writer reads its own claim back. That holds while no claim lands more
 * than the settle time after its claimer saw the server free, so the protocol enforces it:
 *   - the time is measured from sending the check to the claim's answer (or to the read that
 *     shows it landed); a claim over the settle time is lost, and since it may have overwritten
 *     a claim confirmed meanwhile it is moved to the hold marker, never kept, never pooled;
 *   - the PATCH is never repeated blindly: after a 429, a 5xx or a lost answer the server is
 *     read again; the claim goes on only while it is still free (or carries this claim, within
 *     the settle time), and a new attempt starts from a new check.
 * Residual assumption: the API applies a PATCH before it answers it (or not at all).
 * Serialized into the provider with its closure: functions only.
 */
import type { ScpClient } from "./client";
import { isNamedError, netcupPoolEmptyError, netcupStepError, scpResponseError, type ScpApiError, type ScpNetworkError } from "./errors";
import type { NetcupServerInputs } from "./lifecycle";
import { POOL_NICKNAME, claimNickname, holdNickname, isProduct } from "./pool";
import type { ScpServer } from "./schemas";

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** What one nickname PATCH did, as far as its answer tells. */
type Attempt = { readonly kind: "applied" } | { readonly kind: "refused"; readonly waitMs: number } | { readonly kind: "unknown"; readonly waitMs: number };

/** Who claims: the owner's name and its namespace. */
type Owner = Pick<NetcupServerInputs, "owner" | "namespace">;

/** Rounds of check and PATCH one claim or one nickname move may take. */
const ROUNDS = 5;

async function attemptNickname(client: ScpClient, id: number, nickname: string, backoffMs: number): Promise<Attempt> {
  try {
    await client.setNicknameOnce(id, nickname);
    return { kind: "applied" };
  } catch (error) {
    if (isNamedError(error, "ScpApiError")) {
      const { status, retryAfterMs } = error as ScpApiError;
      // 429 is a refusal; a 5xx may have been applied.
      if (status === 429) return { kind: "refused", waitMs: retryAfterMs ?? backoffMs };
      if (status >= 500) return { kind: "unknown", waitMs: backoffMs };
    }
    if (isNamedError(error, "ScpNetworkError")) {
      return (error as ScpNetworkError).mayHaveBeenAccepted ? { kind: "unknown", waitMs: backoffMs } : { kind: "refused", waitMs: backoffMs };
    }
    throw error;
  }
}

/**
 * Moves a nickname from `from` to `to` without writing over a third value: each attempt follows
 * a read showing `from`, and a failed one is never repeated blindly. True when the server carries
 * `to` (or is gone); false when another nickname is on it or the tries ran out.
 */
export async function moveNickname(client: ScpClient, id: number, from: string, to: string, backoffMs: number): Promise<boolean> {
  for (let round = 0; round < ROUNDS; round++) {
    const now = await client.getServer(id, false);
    if (!now || now.nickname === to) return true;
    if (now.nickname !== from) return false;
    const result = await attemptNickname(client, id, to, backoffMs);
    if (result.kind === "applied") return true;
    await pause(result.waitMs);
  }
  return false;
}

/**
 * Claims a server seen free; the confirmed server, or undefined when another claimer won or the
 * claim could not be trusted (then it is on hold, see above).
 */
async function claimFree(client: ScpClient, id: number, owner: Owner, site: string, settleMs: number, backoffMs: number): Promise<ScpServer | undefined> {
  const mine = claimNickname(owner.owner, owner.namespace);
  for (let round = 0; round < ROUNDS; round++) {
    const checkedAt = Date.now();
    const seen = await client.getServer(id, false);
    if (!seen || seen.site?.city !== site) return undefined;
    // Our own claim at a check means an earlier attempt landed after we saw the server free again.
    if (seen.nickname === mine) return hold(client, id, owner, backoffMs);
    if (seen.nickname !== POOL_NICKNAME) return undefined;
    const result = await attemptNickname(client, id, mine, backoffMs);
    if (result.kind === "refused") {
      await pause(result.waitMs);
      continue;
    }
    if (result.kind === "unknown") {
      await pause(result.waitMs);
      const after = await client.getServer(id, false);
      if (!after) return undefined;
      if (after.nickname === POOL_NICKNAME) continue;
      if (after.nickname !== mine) return undefined;
    }
    // Landed by now; later than the settle time after the check, it proves nothing.
    if (settleMs > 0 && Date.now() - checkedAt > settleMs) return hold(client, id, owner, backoffMs);
    if (settleMs > 0) await pause(settleMs);
    const readBack = await client.getServer(id, true);
    return readBack?.nickname === mine ? readBack : undefined;
  }
  return undefined;
}

/** Undoes a claim that landed too late: onto the hold marker, unless someone wrote over it since. */
async function hold(client: ScpClient, id: number, owner: Owner, backoffMs: number): Promise<undefined> {
  await moveNickname(client, id, claimNickname(owner.owner, owner.namespace), holdNickname(owner.owner, owner.namespace), backoffMs);
  return undefined;
}

export interface Claimed {
  readonly server: ScpServer;
  /** Already claimed for the owner before this create (a killed or failed run left it): its disk may hold a partial install. */
  readonly adopted: boolean;
}

/**
 * Finds and claims the server: the named one; else one already claimed for this owner (a run
 * killed during the install left it); else any free one of the product at the site.
 */
export async function claimServer(client: ScpClient, inputs: NetcupServerInputs): Promise<Claimed> {
  const settleMs = inputs.tuning?.claimSettleMs ?? 2_000;
  const backoffMs = inputs.tuning?.backoffBaseMs ?? 500;
  const mine = claimNickname(inputs.owner, inputs.namespace);
  if (inputs.serverName) {
    const listed = (await client.listServers({ name: inputs.serverName })).find((s) => s.name === inputs.serverName);
    const server = listed && (await client.getServer(listed.id, true));
    if (!server) throw scpResponseError("GET", "/api/v1/servers", `server ${inputs.serverName} is not in this SCP account`);
    if (server.nickname !== POOL_NICKNAME && server.nickname !== mine) {
      throw netcupStepError("create", "claim named server", server.name, undefined, `its nickname is "${server.nickname ?? ""}", not "${POOL_NICKNAME}" or "${mine}"; only pool servers are adopted`);
    }
    if (server.site?.city !== inputs.site) {
      throw netcupStepError("create", "claim named server", server.name, undefined, `it is at site ${server.site?.city ?? "unknown"}, the tenant's region needs ${inputs.site}`);
    }
    if (server.nickname === mine) return { server, adopted: true };
    const claimed = await claimFree(client, server.id, inputs, inputs.site, settleMs, backoffMs);
    if (!claimed) throw netcupStepError("create", "claim named server", server.name, undefined, "another claimer took it at the same time");
    return { server: claimed, adopted: false };
  }
  const fits = (s: { disabled?: boolean; template?: { name: string } | null }) => !s.disabled && isProduct(s.template?.name, inputs.product);
  const own = (await client.listServers({ q: mine })).filter((s) => s.nickname === mine && fits(s)).sort((a, b) => a.id - b.id);
  for (const candidate of own) {
    const server = await client.getServer(candidate.id, true);
    if (server?.nickname === mine && server.site?.city === inputs.site) return { server, adopted: true };
  }
  const free = (await client.listServers({ q: POOL_NICKNAME })).filter((s) => s.nickname === POOL_NICKNAME && fits(s));
  // A random order spreads concurrent creates over the pool instead of all racing for one server.
  for (let i = free.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [free[i], free[j]] = [free[j], free[i]];
  }
  for (const candidate of free) {
    const claimed = await claimFree(client, candidate.id, inputs, inputs.site, settleMs, backoffMs);
    if (claimed) return { server: claimed, adopted: false };
  }
  throw netcupPoolEmptyError(inputs.product, inputs.site, POOL_NICKNAME);
}
