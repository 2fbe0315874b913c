#!/usr/bin/env bash
# Stage: Docker Engine and the compose v2 plugin from Debian's own archive.
set -euo pipefail
if ! declare -F lb_changed >/dev/null; then
  # shellcheck source-path=SCRIPTDIR source=../lib.sh
  source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
fi

stage_main() {
  lb_put /etc/docker/daemon.json 0644 root:root <<'CONF'
{
  "log-driver": "json-file",
  "log-opts": { "max-size": "10m", "max-file": "3" },
  "live-restore": true
}
CONF
  local config_changed=$LB_LAST_CHANGED
  lb_apt docker.io docker-cli docker-compose
  local installed=$LB_LAST_CHANGED
  lb_enable docker.service
  if [[ $config_changed == 1 && $installed == 0 ]]; then
    systemctl restart docker.service
  fi
  docker compose version >/dev/null 2>&1 || lb_fail "the docker compose v2 plugin is not available"
}
