#!/usr/bin/env bash
# Stage: the WireGuard management network (interface wg-letsbe). Three roles:
#   hub    the region's hub: listens on LB_WG_PORT, is the bastion (root from the management
#          CIDRs may forward to the spokes' SSH only), carries one [Peer] per spoke.
#   spoke  a tenant host: its own key pair, made here (the private key never leaves the host),
#          one peer (the hub), keepalive, SSH let in on the tunnel (lb_wg_spoke_ssh_rule).
#   peer   run on the hub by a tenant's stack: adds (or removes) that tenant's spoke, refusing
#          an address or key another spoke already holds (the hub sees its whole region).
# Changes are applied with `wg syncconf`, never by taking the interface down, so a run through
# the tunnel keeps its own session. wg-quick uses the kernel module, or wireguard-go without one.
# Prints `letsbe-wireguard public-key=KEY`: the only part of the key pair that leaves the host.
set -euo pipefail
if ! declare -F lb_changed >/dev/null; then
  # shellcheck source-path=SCRIPTDIR source=../lib.sh
  source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
fi

LB_WG_IFACE=wg-letsbe
LB_WG_DIR=/etc/letsbe/wireguard
LB_WG_KEY=/etc/wireguard/$LB_WG_IFACE.key
LB_WG_CONF=/etc/wireguard/$LB_WG_IFACE.conf
LB_WG_JUMP=/etc/ssh/sshd_config.d/50-letsbe-jump.conf

lb_wg_ipv4() { [[ "$1" =~ ^([0-9]{1,3}\.){3}[0-9]{1,3}$ ]] || lb_fail "$2 must be an IPv4 address, not '$1'"; }
lb_wg_key_ok() { [[ "$1" =~ ^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$ ]] || lb_fail "$2 is not a WireGuard public key"; }

lb_wg_packages() {
  lb_apt wireguard-tools
  # Production kernels carry the module; a host without it (the test containers) runs wireguard-go.
  if ! modprobe -n wireguard 2>/dev/null && [[ ! -e /sys/module/wireguard ]]; then
    lb_apt wireguard-go
    [[ -c /dev/net/tun ]] || lb_fail "no wireguard kernel module and no /dev/net/tun for wireguard-go"
  fi
}

lb_wg_keypair() {
  lb_dir /etc/wireguard 0700 root:root
  if [[ ! -s "$LB_WG_KEY" ]]; then
    (umask 077 && wg genkey >"$LB_WG_KEY")
    lb_changed "generated $LB_WG_KEY"
  fi
  lb_mode "$LB_WG_KEY" 0600 root:root
}

# lb_wg_apply CONTENT-ON-STDIN: the config written, then applied without dropping the tunnel.
lb_wg_apply() {
  lb_put "$LB_WG_CONF" 0600 root:root
  local changed=$LB_LAST_CHANGED unit="wg-quick@$LB_WG_IFACE.service"
  if systemctl is-active --quiet "$unit"; then
    if [[ $changed == 1 ]]; then wg syncconf "$LB_WG_IFACE" <(wg-quick strip "$LB_WG_IFACE"); fi
  fi
  lb_enable "$unit"
}

lb_wg_public_key() { printf 'letsbe-wireguard public-key=%s\n' "$(wg pubkey <"$LB_WG_KEY")"; }

# The hub's sshd lets root from the management CIDRs forward to the spokes' SSH, and nowhere else.
lb_wg_jump_config() {
  local opens=() file key address port
  for file in "$LB_WG_DIR"/peers/*.peer; do
    [[ -e "$file" ]] || continue
    read -r key address port <"$file"
    opens+=("$address:$port")
  done
  printf '# Managed by LetsBe bootstrap: the hub is the bastion of its spokes.\n'
  printf 'Match User root Address %s\n' "$(tr ' ' ',' <"$LB_WG_DIR/jump-from")"
  if ((${#opens[@]} > 0)); then
    printf '  AllowTcpForwarding local\n  PermitOpen %s\n' "${opens[*]}"
  else
    printf '  AllowTcpForwarding no\n'
  fi
  printf 'Match all\n'
}

lb_wg_hub_conf() {
  local file key address port name
  printf '[Interface]\nAddress = %s\nListenPort = %s\nPrivateKey = %s\n' "$(cat "$LB_WG_DIR/address")" "$(cat "$LB_WG_DIR/port")" "$(cat "$LB_WG_KEY")"
  for file in "$LB_WG_DIR"/peers/*.peer; do
    [[ -e "$file" ]] || continue
    name="$(basename "$file" .peer)"
    read -r key address port <"$file"
    printf '\n[Peer]\n# %s\nPublicKey = %s\nAllowedIPs = %s/32\n' "$name" "$key" "$address"
  done
}

lb_wg_hub_apply() {
  lb_wg_hub_conf | lb_wg_apply
  lb_wg_jump_config | lb_put "$LB_WG_JUMP" 0600 root:root
  if [[ $LB_LAST_CHANGED == 1 ]]; then
    sshd -t || lb_fail "sshd -t rejects $LB_WG_JUMP"
    systemctl reload ssh.service
  fi
}

lb_wg_hub() {
  lb_require LB_WG_ADDRESS LB_WG_PORT LB_MGMT_CIDRS
  [[ "$LB_WG_ADDRESS" =~ ^([0-9.]+)/([0-9]{1,2})$ ]] || lb_fail "LB_WG_ADDRESS must be ADDRESS/PREFIX on the hub, not '$LB_WG_ADDRESS'"
  lb_wg_ipv4 "${BASH_REMATCH[1]}" LB_WG_ADDRESS
  [[ "$LB_WG_PORT" =~ ^[1-9][0-9]{0,4}$ ]] || lb_fail "LB_WG_PORT must be a UDP port, not '$LB_WG_PORT'"
  lb_wg_packages
  lb_wg_keypair
  lb_dir "$LB_WG_DIR" 0700 root:root
  lb_dir "$LB_WG_DIR/peers" 0700 root:root
  printf '%s\n' "$LB_WG_ADDRESS" | lb_put "$LB_WG_DIR/address" 0600 root:root
  printf '%s\n' "$LB_WG_PORT" | lb_put "$LB_WG_DIR/port" 0600 root:root
  printf '%s\n' "$LB_MGMT_CIDRS" | lb_put "$LB_WG_DIR/jump-from" 0600 root:root
  lb_wg_hub_apply
  lb_wg_public_key
}

# A host switched onto the tunnel after bootstrap already runs ufw, which lets SSH in from the
# management CIDRs only: the hub's forward over the tunnel would be dropped, and the firewall stage
# that opens it runs through the tunnel itself. First contact (this role, on the public address)
# opens sshd's port on the tunnel interface, the very rule the firewall stage then keeps. A fresh
# host has no active ufw yet: nothing to do.
lb_wg_spoke_ssh_rule() {
  command -v ufw >/dev/null || return 0
  [[ "$(ufw status)" == "Status: active"* ]] || return 0
  local ports port rule added
  ports="$(sshd -T | awk '$1 == "port" {print $2}')"
  [[ -n "$ports" ]] || lb_fail "sshd -T names no port: cannot open SSH on $LB_WG_IFACE"
  added="$(ufw show added)"
  for port in $ports; do
    rule="ufw allow in on $LB_WG_IFACE to any port $port proto tcp"
    if ! grep -qxF "$rule" <<<"$added"; then
      ufw allow in on "$LB_WG_IFACE" to any port "$port" proto tcp >/dev/null
      lb_changed "$rule"
    fi
  done
}

lb_wg_spoke() {
  lb_require LB_WG_ADDRESS LB_WG_HUB_ENDPOINT LB_WG_HUB_KEY LB_WG_HUB_ADDRESS
  lb_wg_ipv4 "$LB_WG_ADDRESS" LB_WG_ADDRESS
  lb_wg_ipv4 "$LB_WG_HUB_ADDRESS" LB_WG_HUB_ADDRESS
  lb_wg_key_ok "$LB_WG_HUB_KEY" LB_WG_HUB_KEY
  [[ "$LB_WG_HUB_ENDPOINT" =~ ^[^[:space:]]+:[0-9]+$ ]] || lb_fail "LB_WG_HUB_ENDPOINT must be HOST:PORT, not '$LB_WG_HUB_ENDPOINT'"
  lb_wg_packages
  lb_wg_keypair
  lb_wg_apply <<CONF
[Interface]
Address = $LB_WG_ADDRESS/32
PrivateKey = $(cat "$LB_WG_KEY")

[Peer]
# the region's hub; only it is reachable through the tunnel
PublicKey = $LB_WG_HUB_KEY
Endpoint = $LB_WG_HUB_ENDPOINT
AllowedIPs = $LB_WG_HUB_ADDRESS/32
PersistentKeepalive = 25
CONF
  lb_wg_spoke_ssh_rule
  lb_wg_public_key
}

lb_wg_peer() {
  lb_require LB_WG_PEER_NAME LB_WG_PEER_STATE
  [[ "$LB_WG_PEER_NAME" =~ ^[a-z0-9][a-z0-9-]{0,62}$ ]] || lb_fail "LB_WG_PEER_NAME must be a tenant slug, not '$LB_WG_PEER_NAME'"
  [[ -s "$LB_WG_DIR/address" ]] || lb_fail "this host is not a WireGuard hub (no $LB_WG_DIR/address): run the hub role first"
  local file="$LB_WG_DIR/peers/$LB_WG_PEER_NAME.peer" other key address port
  case "$LB_WG_PEER_STATE" in
    absent)
      if [[ -e "$file" ]]; then rm -f "$file" && lb_changed "removed peer $LB_WG_PEER_NAME"; fi ;;
    present)
      lb_require LB_WG_PEER_KEY LB_WG_PEER_ADDRESS
      lb_wg_key_ok "$LB_WG_PEER_KEY" LB_WG_PEER_KEY
      lb_wg_ipv4 "$LB_WG_PEER_ADDRESS" LB_WG_PEER_ADDRESS
      [[ "$LB_WG_PEER_ADDRESS/" != "$(cut -d/ -f1 <"$LB_WG_DIR/address")/" ]] || lb_fail "LB_WG_PEER_ADDRESS $LB_WG_PEER_ADDRESS is the hub's own"
      for other in "$LB_WG_DIR"/peers/*.peer; do
        [[ -e "$other" && "$other" != "$file" ]] || continue
        read -r key address port <"$other"
        [[ "$address" != "$LB_WG_PEER_ADDRESS" ]] || lb_fail "tunnel address $LB_WG_PEER_ADDRESS is already held by spoke $(basename "$other" .peer)"
        [[ "$key" != "$LB_WG_PEER_KEY" ]] || lb_fail "public key of $LB_WG_PEER_NAME is already used by spoke $(basename "$other" .peer) (keys are never shared)"
      done
      printf '%s %s %s\n' "$LB_WG_PEER_KEY" "$LB_WG_PEER_ADDRESS" "${LB_WG_PEER_SSH_PORT:-22}" | lb_put "$file" 0600 root:root ;;
    *) lb_fail "LB_WG_PEER_STATE must be present or absent, not '$LB_WG_PEER_STATE'" ;;
  esac
  lb_wg_hub_apply
}

stage_main() {
  lb_require LB_WG_ROLE
  case "$LB_WG_ROLE" in
    hub) lb_wg_hub ;;
    spoke) lb_wg_spoke ;;
    peer) lb_wg_peer ;;
    *) lb_fail "LB_WG_ROLE must be hub, spoke or peer, not '$LB_WG_ROLE'" ;;
  esac
}
