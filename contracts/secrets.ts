/**
 * Secret stack config each project reads: one list serves the docs, the committed config
 * files' comments and the offline plan (which fills each with a placeholder secret).
 * Set each with `pulumi config set --secret <key> <value>`.
 */
export interface SecretConfigKey {
  readonly key: string;
  readonly description: string;
  /** What the offline plan hands the program in its place. */
  readonly placeholder: string;
  /**
   * Issued for one tenant and set on that tenant's stack alone (`pulumi config set --secret -s <slug>`):
   * the order flow never hands it out from its environment, where one value would reach every tenant.
   */
  readonly perStack?: true;
}

const PRIVATE_KEY_PLACEHOLDER = "placeholder-openssh-private-key";

export const HUB_SECRET_CONFIG: readonly SecretConfigKey[] = [
  { key: "letsbe-hub:provisioningPrivateKey", description: "OpenSSH private key of the provisioning key pair (hub and tenant hosts)", placeholder: PRIVATE_KEY_PLACEHOLDER },
  { key: "letsbe-hub:rcloneConfig", description: "rclone.conf with the off-site backup remote's credentials", placeholder: "[offsite]\ntype = s3\nprovider = Other\naccess_key_id = placeholder\nsecret_access_key = placeholder\n" },
  { key: "letsbe-hub:cloudflareDnsToken", description: "Cloudflare token with DNS edit on the platform zone, for the hub certificate's DNS-01 challenge", placeholder: "placeholder-cloudflare-dns-token" },
  { key: "letsbe-hub:secretEnvironment", description: "JSON object of secret environment for the hub containers (Stripe keys, SMTP password, ...)", placeholder: JSON.stringify({ STRIPE_SECRET_KEY: "placeholder", STRIPE_WEBHOOK_SECRET: "placeholder" }) },
  { key: "letsbe-hub:netcupRefreshToken", description: "Netcup SCP refresh token (when the hub server is a Netcup server, or letsbe-hub:snapshots lists netcup)", placeholder: "placeholder-netcup-refresh-token" },
];

export const TENANT_SECRET_CONFIG: readonly SecretConfigKey[] = [
  { key: "letsbe-tenant:netcupRefreshToken", description: "Netcup SCP refresh token (netcup tenants)", placeholder: "placeholder-netcup-refresh-token" },
  { key: "letsbe-tenant:provisioningPrivateKey", description: "OpenSSH private key the bootstrap connects with", placeholder: PRIVATE_KEY_PLACEHOLDER },
  {
    key: "letsbe-tenant:backupRcloneConfig",
    description: "rclone.conf for this tenant's off-site backup remote (`backupRemote`), with a credential issued for this tenant's bucket or prefix alone; optional, set per stack, and only where `offsiteStorageBoxId` (the tenant's own Storage Box subaccount) is not",
    placeholder: "[offsite]\ntype = s3\nprovider = Other\naccess_key_id = placeholder\nsecret_access_key = placeholder\n",
    perStack: true,
  },
];

/** Provider credentials, set per stack too. */
export const PROVIDER_SECRET_CONFIG: readonly SecretConfigKey[] = [
  { key: "hcloud:token", description: "Hetzner Cloud API token of the region's project", placeholder: "placeholder-hcloud-token" },
  { key: "cloudflare:apiToken", description: "Cloudflare API token with DNS edit on the zones", placeholder: "placeholder-cloudflare-token" },
];

export function placeholders(keys: readonly SecretConfigKey[]): Record<string, string> {
  return Object.fromEntries(keys.map((k) => [k.key, k.placeholder]));
}
