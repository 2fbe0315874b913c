#!/usr/bin/env bash
# Stage: apt upgrade and the base packages every host needs.
set -euo pipefail
if ! declare -F lb_changed >/dev/null; then
  # shellcheck source-path=SCRIPTDIR source=../lib.sh
  source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
fi

LB_BASE_PACKAGES=(ca-certificates curl jq openssl rsync tar gzip logrotate iproute2 procps lsof)

stage_main() {
  apt-get update -qq
  local pending
  pending="$(apt-get -s -o Debug::NoLocking=1 upgrade --with-new-pkgs | grep -c '^Inst ' || true)"
  if ((pending > 0)); then
    apt-get -y -qq -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold upgrade --with-new-pkgs >/dev/null
    lb_changed "upgraded $pending packages"
  fi
  lb_apt "${LB_BASE_PACKAGES[@]}"
}
