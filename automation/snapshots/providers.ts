/**
 * The providers from the environment: Netcup when `LETSBE_SECRET_NETCUP_REFRESH_TOKEN` is set,
 * Hetzner when `LETSBE_SECRET_HCLOUD_TOKEN` is (a region's fleet lives in that region's project);
 * endpoints default to the vendors' own. At least one is required.
 */
import { z } from "zod";
import { ScpClient } from "../../components/netcup/client";
import { InvalidInputError, zodProblems } from "../../tenants/inputs";
import { readSecretEnv } from "./secretEnv";
import { HetznerClient } from "./hetznerClient";
import { hetznerSnapshots } from "./hetzner";
import { netcupSnapshots } from "./netcup";
import type { SnapshotProvider } from "./types";

const urls = z.object({
  NETCUP_API_URL: z.url().default("https://www.servercontrolpanel.de/scp-core"),
  NETCUP_TOKEN_URL: z.url().default("https://www.servercontrolpanel.de/realms/scp/protocol/openid-connect/token"),
  HCLOUD_ENDPOINT: z.url().default("https://api.hetzner.cloud/v1"),
  LETSBE_SNAPSHOT_POLL_MS: z.string().regex(/^\d+$/, "must be a whole number of ms").transform(Number).optional(),
});

export function providersFromEnv(env: NodeJS.ProcessEnv): SnapshotProvider[] {
  const parsed = urls.safeParse(env);
  if (!parsed.success) throw new InvalidInputError(zodProblems("environment", parsed.error));
  const { NETCUP_API_URL, NETCUP_TOKEN_URL, HCLOUD_ENDPOINT, LETSBE_SNAPSHOT_POLL_MS: pollMs } = parsed.data;
  const providers: SnapshotProvider[] = [];
  const netcupToken = readSecretEnv(env, "NETCUP_REFRESH_TOKEN");
  if (netcupToken) providers.push(netcupSnapshots(new ScpClient({ apiUrl: NETCUP_API_URL, tokenUrl: NETCUP_TOKEN_URL, refreshToken: netcupToken, taskTimeoutMs: 3 * 3600_000, ...(pollMs !== undefined ? { taskPollMs: pollMs } : {}) })));
  const hcloudToken = readSecretEnv(env, "HCLOUD_TOKEN");
  if (hcloudToken) providers.push(hetznerSnapshots(new HetznerClient({ endpoint: HCLOUD_ENDPOINT, token: hcloudToken, ...(pollMs !== undefined ? { pollMs } : {}) })));
  if (providers.length === 0) {
    throw new InvalidInputError([{ source: "environment", path: "LETSBE_SECRET_NETCUP_REFRESH_TOKEN", message: "neither it nor LETSBE_SECRET_HCLOUD_TOKEN (or their _FILE forms) is set: no provider to snapshot" }]);
  }
  return providers;
}
