/**
 * nginx on the hub host: the routes of seed 001 §2.2 (rate-limited public and tenant APIs, SSE
 * for provisioning logs, WebSocket for the chat relay, security headers) in front of the web/API
 * container on 127.0.0.1, with the certificate the base `tls` stage keeps for the hub name.
 */
import { HUB_UPSTREAM } from "./services";

export interface HubNginxArgs {
  /** The hub's public name, e.g. `hub.eu.letsbe.biz`. */
  readonly domain: string;
  /** `host:port` of the web/API container. Default - 127.0.0.1:3847. */
  readonly upstream?: string;
}

/**
 * Certificate the base `tls` stage maintains for the host's domain (DNS-01, renewed by
 * certbot.timer); a self-signed placeholder until the first issue.
 */
export const HOST_TLS_DIR = "/etc/letsbe/tls/current";

const PROXY_HEADERS = [
  "proxy_set_header Host $host;",
  "proxy_set_header X-Real-IP $remote_addr;",
  "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
  "proxy_set_header X-Forwarded-Proto $scheme;",
];

function location(path: string, lines: readonly string[]): string[] {
  return [`  location ${path} {`, ...lines.map((l) => `    ${l}`), "  }", ""];
}

/**
 * The hub's TLS server with every route. Port 80 (redirect to HTTPS), TLS protocols and
 * server_tokens come from the base `nginx` stage every host shares.
 */
export function renderHubNginxConf(args: HubNginxArgs): string {
  const upstream = `http://${args.upstream ?? HUB_UPSTREAM}`;
  const proxied = (extra: readonly string[]) => [`proxy_pass ${upstream};`, ...PROXY_HEADERS, ...extra];
  return [
    `# letsbe-hub ${args.domain}: managed by Pulumi (stack letsbe-hub); edits are overwritten`,
    "# Rate-limit zones live in the http context, so they sit outside the server blocks.",
    "limit_req_zone $binary_remote_addr zone=letsbe_hub_public_api:10m rate=10r/s;",
    "limit_req_zone $binary_remote_addr zone=letsbe_hub_tenant_api:10m rate=30r/s;",
    "",
    "server {",
    "  listen 443 ssl;",
    "  listen [::]:443 ssl;",
    "  http2 on;",
    `  server_name ${args.domain};`,
    `  ssl_certificate ${HOST_TLS_DIR}/fullchain.pem;`,
    `  ssl_certificate_key ${HOST_TLS_DIR}/privkey.pem;`,
    "  client_max_body_size 25m;",
    "  limit_req_status 429;",
    "",
    "  # Security headers",
    '  add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;',
    '  add_header X-Content-Type-Options "nosniff" always;',
    '  add_header X-Frame-Options "DENY" always;',
    '  add_header Referrer-Policy "strict-origin-when-cross-origin" always;',
    "",
    "  # Public API: 10 r/s per address, bursts of 20",
    ...location("/api/v1/public/", ["limit_req zone=letsbe_hub_public_api burst=20 nodelay;", ...proxied([])]),
    "  # Tenant API (Safety Wrapper calls): 30 r/s per address, bursts of 50",
    ...location("/api/v1/tenant/", ["limit_req zone=letsbe_hub_tenant_api burst=50 nodelay;", ...proxied([])]),
    "  # SSE: provisioning logs stream unbuffered for up to an hour",
    ...location("/api/v1/admin/orders/", proxied([
      "proxy_http_version 1.1;",
      "proxy_set_header Connection '';",
      "chunked_transfer_encoding off;",
      "proxy_buffering off;",
      "proxy_cache off;",
      "proxy_read_timeout 3600s;",
    ])),
    "  # WebSocket: real-time chat relay",
    ...location("/api/v1/customer/ws", proxied([
      "proxy_http_version 1.1;",
      "proxy_set_header Upgrade $http_upgrade;",
      'proxy_set_header Connection "upgrade";',
      "proxy_read_timeout 86400s;",
    ])),
    ...location("/", proxied([])),
    "}",
    "",
  ].join("\n");
}
