/**
 * Netcup's public SCP endpoints: the defaults of the hub and tenant programs' `netcupApiUrl` and
 * `netcupTokenUrl` config and of the order flow's NETCUP_API_URL / NETCUP_TOKEN_URL.
 */
export const DEFAULT_NETCUP_API_URL = "https://www.servercontrolpanel.de/scp-core";
export const DEFAULT_NETCUP_TOKEN_URL = "https://www.servercontrolpanel.de/realms/scp/protocol/openid-connect/token";
