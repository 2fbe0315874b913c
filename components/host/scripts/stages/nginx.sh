#!/usr/bin/env bash
# Stage: nginx, the only public web listener. Tool server blocks come with the compose stage;
# here: hardening, HTTP to HTTPS, a TLS default server that answers nothing, a systemd sandbox,
# and fail2ban's nginx jails (here because their log files exist only once nginx runs).
set -euo pipefail
if ! declare -F lb_changed >/dev/null; then
  # shellcheck source-path=SCRIPTDIR source=../lib.sh
  source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
fi

stage_main() {
  lb_apt nginx
  if [[ -e /etc/nginx/sites-enabled/default ]]; then
    rm -f /etc/nginx/sites-enabled/default
    lb_changed "removed the default nginx site"
  fi
  lb_put /etc/nginx/conf.d/00-letsbe.conf 0644 root:root <<'CONF'
# Managed by LetsBe bootstrap. Debian's nginx.conf sets server_tokens and ssl_protocols at the
# http level already, so ours go into each server block (tool blocks come with the compose stage).
ssl_session_cache shared:letsbe_tls:10m;
client_max_body_size 512m;

server {
    listen 80 default_server;
    listen [::]:80 default_server;
    server_name _;
    server_tokens off;
    return 301 https://$host$request_uri;
}

server {
    listen 443 ssl default_server;
    listen [::]:443 ssl default_server;
    server_name _;
    server_tokens off;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_certificate /etc/letsbe/tls/current/fullchain.pem;
    ssl_certificate_key /etc/letsbe/tls/current/privkey.pem;
    return 444;
}
CONF
  local changed=$LB_LAST_CHANGED
  # The master binds 80/443, reads root-only keys, writes www-data's logs and signals its
  # www-data workers; nothing else. /etc and /usr are read-only to it.
  lb_put /etc/systemd/system/nginx.service.d/50-letsbe-sandbox.conf 0644 root:root <<'UNIT'
# Managed by LetsBe bootstrap.
[Service]
CapabilityBoundingSet=CAP_NET_BIND_SERVICE CAP_SETUID CAP_SETGID CAP_CHOWN CAP_DAC_OVERRIDE CAP_KILL
ProtectSystem=full
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictSUIDSGID=yes
RestrictRealtime=yes
RestrictNamespaces=yes
LockPersonality=yes
NoNewPrivileges=yes
SystemCallArchitectures=native
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
UNIT
  local unit_changed=$LB_LAST_CHANGED
  nginx -t -q || lb_fail "nginx -t rejects the configuration"
  if [[ $unit_changed == 1 ]]; then systemctl daemon-reload; fi
  lb_enable nginx.service
  # A new sandbox needs a restart; a new configuration only a reload.
  if [[ $unit_changed == 1 ]]; then systemctl restart nginx.service
  elif [[ $changed == 1 ]]; then systemctl reload nginx.service; fi
  lb_nginx_jails
}

# Scanners probing for well-known paths and clients sending malformed requests are banned on
# 80 and 443, as sshd offenders are on SSH.
lb_nginx_jails() {
  lb_installed fail2ban || return 0
  lb_put /etc/fail2ban/jail.d/letsbe-nginx.local 0644 root:root <<'CONF'
# Managed by LetsBe bootstrap (nginx stage).
[nginx-botsearch]
enabled = true
port = http,https

[nginx-bad-request]
enabled = true
port = http,https
CONF
  if [[ $LB_LAST_CHANGED == 1 ]] && systemctl is-active --quiet fail2ban.service; then
    fail2ban-client reload >/dev/null
  fi
}
