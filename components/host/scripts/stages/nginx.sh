#!/usr/bin/env bash
# Stage: nginx, the only public web listener. Tool server blocks come with the compose stage;
# here: hardening, HTTP to HTTPS, and a TLS default server that answers nothing.
set -euo pipefail
if ! declare -F lb_changed >/dev/null; then
  # shellcheck source-path=SCRIPTDIR source=../lib.sh
  source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
fi

stage_main() {
  lb_apt nginx
  if [[ -e /etc/nginx/sites-enabled/default ]]; then
    rm -f /etc/nginx/sites-enabled/default
    lb_changed "removed the default nginx site"
  fi
  lb_put /etc/nginx/conf.d/00-letsbe.conf 0644 root:root <<'CONF'
# Managed by LetsBe bootstrap. Debian's nginx.conf sets server_tokens and ssl_protocols at the
# http level already, so ours go into each server block (tool blocks come with the compose stage).
ssl_session_cache shared:letsbe_tls:10m;
client_max_body_size 512m;

server {
    listen 80 default_server;
    listen [::]:80 default_server;
    server_name _;
    server_tokens off;
    return 301 https://$host$request_uri;
}

server {
    listen 443 ssl default_server;
    listen [::]:443 ssl default_server;
    server_name _;
    server_tokens off;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_certificate /etc/letsbe/tls/current/fullchain.pem;
    ssl_certificate_key /etc/letsbe/tls/current/privkey.pem;
    return 444;
}
CONF
  local changed=$LB_LAST_CHANGED
  nginx -t -q || lb_fail "nginx -t rejects the configuration"
  lb_enable nginx.service
  if [[ $changed == 1 ]]; then systemctl reload nginx.service; fi
}
