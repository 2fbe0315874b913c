#!/usr/bin/env bash
# Stage: wildcard TLS for the tenant domain by DNS-01 through certbot's Cloudflare plugin. The
# zone-scoped token is kept root-only. Until a certificate is issued nginx serves a
# self-signed placeholder, so it can start; certbot.timer renews, and a deploy hook switches
# nginx to the issued certificate.
set -euo pipefail
if ! declare -F lb_changed >/dev/null; then
  # shellcheck source-path=SCRIPTDIR source=../lib.sh
  source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
fi

LB_TLS=/etc/letsbe/tls

lb_tls_link() {
  local target="$LB_TLS/placeholder" previous
  [[ -f "/etc/letsencrypt/live/$LB_DOMAIN/fullchain.pem" ]] && target="/etc/letsencrypt/live/$LB_DOMAIN"
  previous="$(readlink "$LB_TLS/current" || true)"
  if [[ "$previous" != "$target" ]]; then
    ln -sfn "$target" "$LB_TLS/current"
    # nginx holds the old certificate in memory until it reloads (on a first run it is not
    # installed yet). A reload nginx would refuse must not leave the link switched and nginx on
    # the old certificate: the link goes back and the stage fails, so the next run switches again.
    if systemctl is-active --quiet nginx.service; then
      if ! nginx -t -q; then
        if [[ -n "$previous" ]]; then ln -sfn "$previous" "$LB_TLS/current"; else rm -f "$LB_TLS/current"; fi
        lb_fail "nginx -t rejects the configuration: $LB_TLS/current stays on $previous and nginx is not reloaded"
      fi
      systemctl reload nginx.service
    fi
    lb_changed "$LB_TLS/current -> $target"
  fi
}

stage_main() {
  lb_require LB_DOMAIN LB_ACME_EMAIL
  lb_apt certbot python3-certbot-dns-cloudflare openssl
  lb_dir /etc/letsbe 0755 root:root
  lb_dir "$LB_TLS" 0755 root:root
  lb_dir "$LB_TLS/placeholder" 0700 root:root
  if [[ ! -f "$LB_TLS/placeholder/fullchain.pem" ]]; then
    (umask 077 && openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=$LB_DOMAIN" \
      -addext "subjectAltName=DNS:$LB_DOMAIN,DNS:*.$LB_DOMAIN" \
      -keyout "$LB_TLS/placeholder/privkey.pem" -out "$LB_TLS/placeholder/fullchain.pem" 2>/dev/null)
    lb_changed "placeholder certificate for $LB_DOMAIN"
  fi
  local token
  token="$(lb_secret CLOUDFLARE_DNS_TOKEN)"
  [[ -n "$token" ]] || lb_fail "the secret CLOUDFLARE_DNS_TOKEN was not delivered"
  lb_dir /etc/letsencrypt 0755 root:root
  printf 'dns_cloudflare_api_token = %s\n' "$token" | lb_put /etc/letsencrypt/letsbe-cloudflare.ini 0600 root:root
  lb_put /etc/letsencrypt/renewal-hooks/deploy/letsbe-nginx.sh 0755 root:root <<HOOK
#!/bin/sh
# Switch nginx to the issued certificate and reload it; a configuration nginx rejects fails the
# hook (certbot reports it) instead of a reload nginx would ignore.
set -eu
ln -sfn "/etc/letsencrypt/live/$LB_DOMAIN" "$LB_TLS/current"
if systemctl is-active --quiet nginx; then nginx -t -q && systemctl reload nginx; fi
HOOK
  local server=()
  [[ -n "${LB_ACME_SERVER:-}" ]] && server=(--server "$LB_ACME_SERVER")
  if [[ "${LB_TLS_ISSUE:-1}" == 1 && ! -f "/etc/letsencrypt/live/$LB_DOMAIN/fullchain.pem" ]]; then
    certbot certonly --non-interactive --agree-tos --email "$LB_ACME_EMAIL" \
      --dns-cloudflare --dns-cloudflare-credentials /etc/letsencrypt/letsbe-cloudflare.ini \
      --dns-cloudflare-propagation-seconds 30 --cert-name "$LB_DOMAIN" \
      -d "$LB_DOMAIN" -d "*.$LB_DOMAIN" "${server[@]}"
    lb_changed "certificate issued for $LB_DOMAIN and *.$LB_DOMAIN"
  fi
  lb_tls_link
  lb_enable certbot.timer
}
