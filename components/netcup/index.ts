/** Netcup root servers: the public surface for the Tenant, the order flow and the tools. */
export { ScpClient, type ScpClientOptions } from "./client";
export { POOL_EMPTY_MARKER, isNamedError, isNetcupPoolEmpty } from "./errors";
export type { NetcupServerInputs, NetcupServerOutputs, NetcupTuning } from "./lifecycle";
export { CLAIM_PREFIX, HOLD_PREFIX, HUB_CLAIM_PREFIX, POOL_NICKNAME, claimNickname, holdNickname, poolReport, type ClaimNamespace, type PoolEntry } from "./pool";
export { DEFAULT_NETCUP_IMAGE, NETCUP_PROVIDER_VERSION, NetcupServer, type NetcupServerArgs } from "./provider";
export { createNetcupVps, type NetcupVpsArgs } from "./vps";
