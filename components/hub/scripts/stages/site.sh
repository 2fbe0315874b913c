#!/usr/bin/env bash
# Hub stage: the hub's nginx site over the base nginx and tls stages. A site that fails
# `nginx -t` is rolled back and the stage fails, so a bad config never takes the hub down.
set -euo pipefail
if ! declare -F lb_changed >/dev/null; then
  # shellcheck source-path=SCRIPTDIR source=../../../host/scripts/lib.sh
  source "$(dirname "${BASH_SOURCE[0]}")/../../../host/scripts/lib.sh"
fi

stage_main() {
  lb_require LB_STAGE_FILES
  local site=/etc/nginx/sites-available/letsbe-hub.conf enabled=/etc/nginx/sites-enabled/letsbe-hub.conf previous="" before=$LB_CHANGES
  if [[ -f "$site" ]]; then
    previous="$(mktemp)"
    cp -p "$site" "$previous"
  fi
  lb_put "$site" 0644 root:root <"$LB_STAGE_FILES/site.conf"
  if [[ "$(readlink "$enabled" 2>/dev/null || true)" != "$site" ]]; then
    ln -sfn "$site" "$enabled"
    lb_changed "enabled $enabled"
  fi
  if ! nginx -t 2>/dev/null; then
    if [[ -n "$previous" ]]; then mv -f "$previous" "$site"; else rm -f "$site" "$enabled"; fi
    lb_fail "nginx rejected the hub site; the previous site is restored"
  fi
  [[ -z "$previous" ]] || rm -f "$previous"
  if ((LB_CHANGES > before)) || ! systemctl is-active --quiet nginx; then systemctl reload-or-restart nginx; fi
}
