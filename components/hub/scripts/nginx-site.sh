#!/bin/bash
# Puts the hub's nginx site in place with a Let's Encrypt certificate (HTTP-01 via webroot):
# first an HTTP-only site answers the challenge, then the full site replaces it. A config that
# fails `nginx -t` is rolled back and the stage fails. Idempotent. Managed by Pulumi.
set -euo pipefail

: "${HUB_DOMAIN:?}" "${ACME_EMAIL:?}" "${ACME_WEBROOT:?}" "${SITE_CONF:?}" "${ACME_CONF:?}"

missing=""
for pkg in nginx certbot; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
  apt-get update -q </dev/null
  # shellcheck disable=SC2086 # word splitting of the package list is intended
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing </dev/null
fi

site=/etc/nginx/sites-available/letsbe-hub.conf
enabled=/etc/nginx/sites-enabled/letsbe-hub.conf
cert="/etc/letsencrypt/live/$HUB_DOMAIN/fullchain.pem"

install -d -m 0755 "$ACME_WEBROOT"
rm -f /etc/nginx/sites-enabled/default

# Installs $1 as the site; restores the previous one if nginx refuses it.
apply_site() {
  local previous=""
  if [ -f "$site" ]; then
    previous=$(mktemp)
    cp -p "$site" "$previous"
  fi
  install -m 0644 "$1" "$site"
  ln -sf "$site" "$enabled"
  if ! nginx -t; then
    if [ -n "$previous" ]; then mv -f "$previous" "$site"; else rm -f "$site" "$enabled"; fi
    echo "nginx rejected $1; previous site restored" >&2
    return 1
  fi
  [ -z "$previous" ] || rm -f "$previous"
  systemctl enable nginx
  systemctl reload-or-restart nginx
}

if [ ! -s "$cert" ]; then
  apply_site "$ACME_CONF"
  certbot certonly --webroot -w "$ACME_WEBROOT" -d "$HUB_DOMAIN" \
    --non-interactive --agree-tos -m "$ACME_EMAIL" --keep-until-expiring \
    --deploy-hook "systemctl reload nginx" </dev/null
fi
apply_site "$SITE_CONF"
# Debian's certbot renews twice a day through this timer.
systemctl enable --now certbot.timer
