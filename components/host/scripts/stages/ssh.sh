#!/usr/bin/env bash
# Stage: SSH hardening: the configured port only, keys only, no forwarding of any kind, verbose
# logging (key fingerprints in the journal), no SHA-1 MACs. Validated with sshd -t and checked in the effective
# configuration (an earlier drop-in could override ours), then reloaded, which keeps the
# session that applies it. Root login by key stays: it is the provisioning path.
set -euo pipefail
if ! declare -F lb_changed >/dev/null; then
  # shellcheck source-path=SCRIPTDIR source=../lib.sh
  source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
fi

# What `sshd -T` must show whatever other drop-ins say.
LB_SSHD_EFFECTIVE=(
  'passwordauthentication no' 'kbdinteractiveauthentication no' 'permitrootlogin without-password'
  'allowtcpforwarding no' 'allowagentforwarding no' 'allowstreamlocalforwarding no' 'permittunnel no'
  'x11forwarding no' 'loglevel VERBOSE' 'maxsessions 2'
)

stage_main() {
  lb_require LB_SSH_PORT
  if [[ ! "$LB_SSH_PORT" =~ ^[1-9][0-9]{0,4}$ ]] || ((LB_SSH_PORT > 65535)); then
    lb_fail "LB_SSH_PORT must be a TCP port, not '$LB_SSH_PORT'"
  fi
  # A socket-activated sshd takes its port from ssh.socket, not from Port.
  if systemctl is-active --quiet ssh.socket; then lb_fail "sshd runs socket-activated (ssh.socket): its Port setting would not apply"; fi
  # LB_SSH_TUNNEL="IFACE ADDRESS" (WireGuard stage): sshd listens on the tunnel address alone,
  # once the tunnel works; before that (a fresh host) it stays where first contact reaches it.
  local listen="" tunnel_iface tunnel_address
  if [[ -n "${LB_SSH_TUNNEL:-}" ]]; then
    read -r tunnel_iface tunnel_address <<<"$LB_SSH_TUNNEL"
    # At boot sshd can bind the tunnel address only after wg-quick made it.
    lb_put /etc/systemd/system/ssh.service.d/10-letsbe-tunnel.conf 0644 root:root <<UNIT
[Unit]
Wants=wg-quick@$tunnel_iface.service
After=wg-quick@$tunnel_iface.service
UNIT
    if [[ $LB_LAST_CHANGED == 1 ]]; then systemctl daemon-reload; fi
    if lb_tunnel_up "$tunnel_iface"; then listen=$'\n'"ListenAddress $tunnel_address"; else lb_log "tunnel $tunnel_iface not up yet: sshd keeps every address"; fi
  fi
  # 00- sorts first: sshd keeps the first value it reads for a keyword (Port adds up instead,
  # which the check of the effective configuration below catches).
  lb_put /etc/ssh/sshd_config.d/00-letsbe.conf 0600 root:root <<CONF
# Managed by LetsBe bootstrap. The port is the one ufw (and a cloud firewall) opens to management.
Port $LB_SSH_PORT$listen
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PermitEmptyPasswords no
PermitUserEnvironment no
X11Forwarding no
AllowTcpForwarding no
AllowAgentForwarding no
AllowStreamLocalForwarding no
PermitTunnel no
GatewayPorts no
MaxAuthTries 3
# A remote command is one session per connection; 2 leaves room for a copy beside it.
MaxSessions 2
LoginGraceTime 30
# Dead clients go after 10 minutes; TCP keepalives are spoofable, these are not.
ClientAliveInterval 300
ClientAliveCountMax 2
TCPKeepAlive no
Compression no
LogLevel VERBOSE
# No SHA-1 and no 64-bit tags; the AEAD ciphers carry their own MAC.
MACs hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256,hmac-sha2-512
CONF
  local changed=$LB_LAST_CHANGED
  lb_mode /etc/ssh/sshd_config 0600 root:root
  sshd -t || lb_fail "sshd -t rejects the configuration"
  local effective line
  effective="$(sshd -T -C user=root,host=localhost,addr=127.0.0.1)"
  [[ "$(grep '^port ' <<<"$effective")" == "port $LB_SSH_PORT" ]] || lb_fail "sshd does not listen on port $LB_SSH_PORT alone (another Port line adds to it)"
  if [[ -n "$listen" ]] && [[ "$(grep '^listenaddress ' <<<"$effective")" != "listenaddress $tunnel_address:$LB_SSH_PORT" ]]; then
    lb_fail "sshd does not listen on the tunnel address $tunnel_address alone"
  fi
  for line in "${LB_SSHD_EFFECTIVE[@]}"; do
    grep -qx "$line" <<<"$effective" || lb_fail "sshd does not end up with '$line' (another drop-in overrides it)"
  done
  if grep '^macs ' <<<"$effective" | grep -qi sha1; then lb_fail "sshd still offers a SHA-1 MAC"; fi
  if [[ $changed == 1 ]]; then systemctl reload ssh.service; fi
  lb_enable ssh.service
}
