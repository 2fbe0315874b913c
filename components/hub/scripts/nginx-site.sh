#!/bin/bash
# Puts the hub's nginx site in place over the base nginx and tls stages. A site that fails
# `nginx -t` is rolled back and the stage fails, so a bad config never takes the hub down.
# Idempotent. Managed by Pulumi.
set -euo pipefail

: "${SITE_CONF:?}"

site=/etc/nginx/sites-available/letsbe-hub.conf
enabled=/etc/nginx/sites-enabled/letsbe-hub.conf

previous=""
if [ -f "$site" ]; then
  previous=$(mktemp)
  cp -p "$site" "$previous"
fi
install -m 0644 "$SITE_CONF" "$site"
ln -sf "$site" "$enabled"
if ! nginx -t; then
  if [ -n "$previous" ]; then mv -f "$previous" "$site"; else rm -f "$site" "$enabled"; fi
  echo "nginx rejected $SITE_CONF; previous site restored" >&2
  exit 1
fi
[ -z "$previous" ] || rm -f "$previous"
systemctl reload-or-restart nginx
