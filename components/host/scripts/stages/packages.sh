#!/usr/bin/env bash
# Stage: Debian's security archive as an apt source (deb822), apt upgrade and the base packages
# every host needs. The security source comes first so the bootstrap's own upgrade includes
# security fixes, and the unattended stage's Debian-Security origin has something to match.
set -euo pipefail
if ! declare -F lb_changed >/dev/null; then
  # shellcheck source-path=SCRIPTDIR source=../lib.sh
  source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
fi

LB_BASE_PACKAGES=(ca-certificates curl jq openssl rsync tar gzip logrotate iproute2 procps lsof)
LB_SECURITY_SOURCE=/etc/apt/sources.list.d/letsbe-security.sources

# Whether a source other than ours already carries <codename>-security (provider images often do;
# a second copy would only make apt warn about duplicates).
lb_other_security_source() {
  local codename="$1" file
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [[ -f "$file" && "$file" != "$LB_SECURITY_SOURCE" ]] || continue
    if grep -v '^[[:space:]]*#' "$file" | grep -qE "(^|[[:space:]])$codename-security([[:space:]]|$)"; then return 0; fi
  done
  return 1
}

stage_main() {
  local codename
  codename="$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-}")"
  [[ -n "$codename" ]] || lb_fail "no VERSION_CODENAME in /etc/os-release"
  if lb_other_security_source "$codename"; then
    if [[ -e "$LB_SECURITY_SOURCE" ]]; then rm -f "$LB_SECURITY_SOURCE" && lb_changed "removed $LB_SECURITY_SOURCE (the image has one)"; fi
  else
    lb_put "$LB_SECURITY_SOURCE" 0644 root:root <<SOURCES
# Managed by LetsBe bootstrap: Debian's security archive (origin Debian, label Debian-Security).
Types: deb
URIs: http://security.debian.org/debian-security
Suites: $codename-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  fi
  apt-get update -qq
  local pending
  pending="$(apt-get -s -o Debug::NoLocking=1 upgrade --with-new-pkgs | grep -c '^Inst ' || true)"
  if ((pending > 0)); then
    apt-get -y -qq -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold upgrade --with-new-pkgs >/dev/null
    lb_changed "upgraded $pending packages"
  fi
  lb_apt "${LB_BASE_PACKAGES[@]}"
}
