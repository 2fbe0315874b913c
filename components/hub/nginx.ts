/**
 * nginx on the hub host: the routes of seed 001 §2.2 (rate-limited public and tenant APIs, SSE
 * for provisioning logs, WebSocket for the chat relay, security headers) in front of the web/API
 * container on 127.0.0.1, with a Let's Encrypt certificate for the hub name.
 */
import { HUB_UPSTREAM } from "./services";

export interface HubNginxArgs {
  /** The hub's public name, e.g. `hub.eu.letsbe.biz`. */
  readonly domain: string;
  /** `host:port` of the web/API container. Default - 127.0.0.1:3847. */
  readonly upstream?: string;
}

/** Served over plain HTTP: ACME challenges, and a redirect for everything else. */
export const ACME_WEBROOT = "/var/www/letsbe-acme";

const PROXY_HEADERS = [
  "proxy_set_header Host $host;",
  "proxy_set_header X-Real-IP $remote_addr;",
  "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
  "proxy_set_header X-Forwarded-Proto $scheme;",
];

function location(path: string, lines: readonly string[]): string[] {
  return [`  location ${path} {`, ...lines.map((l) => `    ${l}`), "  }", ""];
}

function httpServer(domain: string): string[] {
  return [
    "server {",
    "  listen 80;",
    "  listen [::]:80;",
    `  server_name ${domain};`,
    "  server_tokens off;",
    "",
    ...location("/.well-known/acme-challenge/", [`root ${ACME_WEBROOT};`]),
    ...location("/", ["return 301 https://$host$request_uri;"]),
    "}",
  ];
}

/** The HTTP-only site: enough to answer the first ACME challenge before a certificate exists. */
export function renderHubAcmeConf(args: HubNginxArgs): string {
  return [`# letsbe-hub ${args.domain}: managed by Pulumi (stack letsbe-hub); HTTP only until the certificate exists`, ...httpServer(args.domain), ""].join("\n");
}

/** The full site: HTTP redirect plus the TLS server with every hub route. */
export function renderHubNginxConf(args: HubNginxArgs): string {
  const upstream = `http://${args.upstream ?? HUB_UPSTREAM}`;
  const cert = `/etc/letsencrypt/live/${args.domain}`;
  const proxied = (extra: readonly string[]) => [`proxy_pass ${upstream};`, ...PROXY_HEADERS, ...extra];
  return [
    `# letsbe-hub ${args.domain}: managed by Pulumi (stack letsbe-hub); edits are overwritten`,
    "# Rate-limit zones live in the http context, so they sit outside the server blocks.",
    "limit_req_zone $binary_remote_addr zone=letsbe_hub_public_api:10m rate=10r/s;",
    "limit_req_zone $binary_remote_addr zone=letsbe_hub_tenant_api:10m rate=30r/s;",
    "",
    ...httpServer(args.domain),
    "",
    "server {",
    "  listen 443 ssl;",
    "  listen [::]:443 ssl;",
    "  http2 on;",
    `  server_name ${args.domain};`,
    "  server_tokens off;",
    `  ssl_certificate ${cert}/fullchain.pem;`,
    `  ssl_certificate_key ${cert}/privkey.pem;`,
    "  ssl_protocols TLSv1.2 TLSv1.3;",
    "  ssl_prefer_server_ciphers off;",
    "  ssl_session_cache shared:letsbe_hub_tls:10m;",
    "  ssl_session_timeout 1d;",
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
