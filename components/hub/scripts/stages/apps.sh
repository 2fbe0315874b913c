#!/usr/bin/env bash
# Hub stage: the hub's containers as one compose project. The compose file comes as a stage
# file, the environment files (they hold the database password and the apps' secrets) only on
# stdin, root-only. Previous image pins stay pulled for a rollback. `up --wait` is the health gate.
set -euo pipefail
if ! declare -F lb_changed >/dev/null; then
  # shellcheck source-path=SCRIPTDIR source=../../../host/scripts/lib.sh
  source "$(dirname "${BASH_SOURCE[0]}")/../../../host/scripts/lib.sh"
fi

stage_main() {
  lb_require LB_STAGE_FILES LB_HUB_DIR LB_PROJECT LB_WAIT_TIMEOUT
  local ref
  lb_dir "$LB_HUB_DIR" 0700 root:root
  lb_put "$LB_HUB_DIR/compose.yaml" 0644 root:root <"$LB_STAGE_FILES/compose"
  [[ -n "$(lb_secret HUB_DB_ENV)" && -n "$(lb_secret HUB_APP_ENV)" ]] || lb_fail "secrets HUB_DB_ENV and HUB_APP_ENV are required by stage ${LB_STAGE}"
  lb_secret HUB_DB_ENV | lb_put "$LB_HUB_DIR/db.env" 0600 root:root
  lb_secret HUB_APP_ENV | lb_put "$LB_HUB_DIR/app.env" 0600 root:root
  for ref in ${LB_KEEP_IMAGES:-}; do
    if ! docker image inspect "$ref" >/dev/null 2>&1; then
      docker pull -q "$ref" >/dev/null
      lb_changed "pulled $ref"
    fi
  done
  timeout "$((LB_WAIT_TIMEOUT + 120))" docker compose -p "$LB_PROJECT" --project-directory "$LB_HUB_DIR" -f "$LB_HUB_DIR/compose.yaml" \
    up -d --remove-orphans --wait --wait-timeout "$LB_WAIT_TIMEOUT" \
    || lb_fail "the hub's containers did not all become healthy within ${LB_WAIT_TIMEOUT}s (docker compose -p $LB_PROJECT ps)"
}
