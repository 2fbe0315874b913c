#!/usr/bin/env bash
# Stage: unattended upgrades from Debian's archive (security and stable updates, Docker included).
set -euo pipefail
if ! declare -F lb_changed >/dev/null; then
  # shellcheck source-path=SCRIPTDIR source=../lib.sh
  source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
fi

stage_main() {
  lb_apt unattended-upgrades
  lb_put /etc/apt/apt.conf.d/20auto-upgrades 0644 root:root <<'CONF'
APT::Periodic::Update-Package-Lists "1";
APT::Periodic::Unattended-Upgrade "1";
APT::Periodic::AutocleanInterval "7";
CONF
  lb_put /etc/apt/apt.conf.d/52letsbe-unattended 0644 root:root <<'CONF'
Unattended-Upgrade::Origins-Pattern {
  "origin=Debian,codename=${distro_codename},label=Debian";
  "origin=Debian,codename=${distro_codename}-security,label=Debian-Security";
  "origin=Debian,codename=${distro_codename}-updates";
};
Unattended-Upgrade::Remove-Unused-Dependencies "true";
Unattended-Upgrade::Automatic-Reboot "false";
CONF
  lb_enable apt-daily.timer
  lb_enable apt-daily-upgrade.timer
}
