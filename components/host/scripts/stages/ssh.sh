#!/usr/bin/env bash
# Stage: SSH hardening: keys only. Validated with sshd -t and checked in the effective
# configuration (an earlier drop-in could override ours), then reloaded, which keeps the
# session that applies it.
set -euo pipefail
if ! declare -F lb_changed >/dev/null; then
  # shellcheck source-path=SCRIPTDIR source=../lib.sh
  source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
fi

stage_main() {
  # 00- sorts first: sshd keeps the first value it reads for a keyword.
  lb_put /etc/ssh/sshd_config.d/00-letsbe.conf 0644 root:root <<'CONF'
# Managed by LetsBe bootstrap.
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PermitEmptyPasswords no
X11Forwarding no
MaxAuthTries 3
LoginGraceTime 30
CONF
  local changed=$LB_LAST_CHANGED
  sshd -t || lb_fail "sshd -t rejects the configuration"
  local effective
  effective="$(sshd -T -C user=root,host=localhost,addr=127.0.0.1)"
  grep -qx 'passwordauthentication no' <<<"$effective" || lb_fail "password login is still enabled by another sshd drop-in"
  grep -qx 'kbdinteractiveauthentication no' <<<"$effective" || lb_fail "keyboard-interactive login is still enabled"
  if [[ $changed == 1 ]]; then systemctl reload ssh.service; fi
  lb_enable ssh.service
}
