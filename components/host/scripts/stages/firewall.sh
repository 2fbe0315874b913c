#!/usr/bin/env bash
# Stage: ufw. Deny incoming; 80 and 443 open; SSH only from the Hub's management CIDRs; extra
# public TCP ports (mail) only when asked. Rules are reconciled one by one, never reset, so
# the session applying them (from a management address) is never cut.
set -euo pipefail
if ! declare -F lb_changed >/dev/null; then
  # shellcheck source-path=SCRIPTDIR source=../lib.sh
  source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
fi

lb_ufw_wanted() {
  local cidr port
  echo "ufw allow 80/tcp"
  echo "ufw allow 443/tcp"
  for port in ${LB_PUBLIC_TCP_PORTS:-}; do echo "ufw allow $port/tcp"; done
  for port in ${LB_PUBLIC_UDP_PORTS:-}; do echo "ufw allow $port/udp"; done
  # LB_SSH_TUNNEL="IFACE ADDRESS": SSH only on the WireGuard interface once the tunnel works;
  # until then (a fresh host) from the management CIDRs too, so first contact still gets in.
  if [[ -n "${LB_SSH_TUNNEL:-}" ]]; then
    echo "ufw allow in on ${LB_SSH_TUNNEL%% *} to any port $LB_SSH_PORT proto tcp"
    lb_tunnel_up "${LB_SSH_TUNNEL%% *}" && return 0
  fi
  for cidr in $LB_MGMT_CIDRS; do
    # ufw lists a single address without its /32 or /128; compare in its form.
    cidr="${cidr%/32}"
    [[ "$cidr" == *:* ]] && cidr="${cidr%/128}"
    echo "ufw allow from $cidr to any port $LB_SSH_PORT proto tcp"
  done
}

stage_main() {
  lb_require LB_MGMT_CIDRS LB_SSH_PORT
  lb_apt ufw
  local policy
  for policy in 'DEFAULT_INPUT_POLICY="DROP"' 'DEFAULT_OUTPUT_POLICY="ACCEPT"'; do
    if ! grep -qx "$policy" /etc/default/ufw; then
      sed -i "s/^${policy%%=*}=.*/$policy/" /etc/default/ufw
      lb_changed "ufw $policy"
    fi
  done
  local wanted current line words
  wanted="$(lb_ufw_wanted | sort -u)"
  current="$(ufw show added | grep '^ufw ' | sort -u || true)"
  # Add before deleting, so a changed management CIDR never leaves SSH closed in between.
  while IFS= read -r line; do
    [[ -z "$line" ]] && continue
    read -ra words <<<"${line#ufw }"
    ufw "${words[@]}" >/dev/null
    lb_changed "$line"
  done < <(comm -13 <(printf '%s\n' "$current") <(printf '%s\n' "$wanted"))
  while IFS= read -r line; do
    [[ -z "$line" ]] && continue
    read -ra words <<<"${line#ufw }"
    ufw delete "${words[@]}" >/dev/null
    lb_changed "removed $line"
  done < <(comm -23 <(printf '%s\n' "$current") <(printf '%s\n' "$wanted"))
  if ufw status | grep -q '^Status: inactive'; then
    ufw --force enable >/dev/null
    lb_changed "ufw enabled"
  fi
  lb_enable ufw.service
}
