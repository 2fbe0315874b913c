#!/usr/bin/env bash
# Stage: host hardening beyond the services (components/host/HARDENING.md): needrestart,
# kernel settings, core dumps off, auditd with a small rule set, unused storage buses and
# protocols off, login banners and password policy, file modes, and last an AIDE baseline.
# Runs after every other base stage, so the baseline holds what the bootstrap made.
set -euo pipefail
if ! declare -F lb_changed >/dev/null; then
  # shellcheck source-path=SCRIPTDIR source=../lib.sh
  source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
fi

LB_SYSCTL=/etc/sysctl.d/90-letsbe.conf

lb_sysctl() {
  lb_put "$LB_SYSCTL" 0644 root:root <<'CONF'
# Managed by LetsBe bootstrap. IP forwarding stays on: Docker routes its containers' traffic
# through it (a deliberate exception). kernel.unprivileged_bpf_disabled is left at Debian's 2
# (stricter than 1, and it cannot be lowered), kernel.modules_disabled off (Docker and ufw load
# netfilter modules on demand).
dev.tty.ldisc_autoload = 0
fs.protected_fifos = 2
fs.protected_hardlinks = 1
fs.protected_regular = 2
fs.protected_symlinks = 1
fs.suid_dumpable = 0
kernel.core_uses_pid = 1
kernel.ctrl-alt-del = 0
kernel.dmesg_restrict = 1
kernel.kptr_restrict = 2
kernel.perf_event_paranoid = 3
kernel.randomize_va_space = 2
kernel.sysrq = 0
kernel.yama.ptrace_scope = 1
net.core.bpf_jit_harden = 2
net.ipv4.conf.all.accept_redirects = 0
net.ipv4.conf.default.accept_redirects = 0
net.ipv4.conf.all.accept_source_route = 0
net.ipv4.conf.default.accept_source_route = 0
net.ipv4.conf.all.bootp_relay = 0
net.ipv4.conf.all.log_martians = 1
net.ipv4.conf.default.log_martians = 1
net.ipv4.conf.all.mc_forwarding = 0
net.ipv4.conf.all.proxy_arp = 0
net.ipv4.conf.all.rp_filter = 1
net.ipv4.conf.default.rp_filter = 1
net.ipv4.conf.all.send_redirects = 0
net.ipv4.conf.default.send_redirects = 0
net.ipv4.icmp_echo_ignore_broadcasts = 1
net.ipv4.icmp_ignore_bogus_error_responses = 1
net.ipv4.tcp_syncookies = 1
net.ipv6.conf.all.accept_redirects = 0
net.ipv6.conf.default.accept_redirects = 0
net.ipv6.conf.all.accept_source_route = 0
net.ipv6.conf.default.accept_source_route = 0
CONF
  local changed=$LB_LAST_CHANGED
  # ufw applies its own sysctl file whenever it starts (log_martians=0 among others): point it at ours.
  if [[ -f /etc/default/ufw ]] && ! grep -qx "IPT_SYSCTL=$LB_SYSCTL" /etc/default/ufw; then
    sed -i "s|^IPT_SYSCTL=.*|IPT_SYSCTL=$LB_SYSCTL|" /etc/default/ufw
    grep -qx "IPT_SYSCTL=$LB_SYSCTL" /etc/default/ufw || printf 'IPT_SYSCTL=%s\n' "$LB_SYSCTL" >>/etc/default/ufw
    lb_changed "ufw applies $LB_SYSCTL"
  fi
  if [[ $changed == 1 ]]; then
    if lb_in_container; then
      lb_log "in a container: $LB_SYSCTL is written, the shared kernel keeps its values"
    else
      sysctl -q -e -p "$LB_SYSCTL"
    fi
  fi
}

lb_core_dumps_off() {
  printf '# Managed by LetsBe bootstrap: no core dumps (they can hold secrets).\n* hard core 0\n* soft core 0\n' \
    | lb_put /etc/security/limits.d/90-letsbe-core.conf 0644 root:root
  printf '# Managed by LetsBe bootstrap.\n[Coredump]\nStorage=none\nProcessSizeMax=0\n' \
    | lb_put /etc/systemd/coredump.conf.d/90-letsbe.conf 0644 root:root
  printf '# Managed by LetsBe bootstrap: services get no core dumps either.\n[Manager]\nDefaultLimitCORE=0\n' \
    | lb_put /etc/systemd/system.conf.d/90-letsbe-core.conf 0644 root:root
  # The manager reads its own settings only when it re-executes.
  if [[ $LB_LAST_CHANGED == 1 ]]; then systemctl daemon-reexec; fi
}

# Interactive shells of operators: no core dumps, and an idle shell ends after 15 minutes.
lb_shell_profile() {
  lb_put /etc/profile.d/letsbe-hardening.sh 0644 root:root <<'PROFILE'
# Managed by LetsBe bootstrap.
ulimit -c 0
if [ -z "${TMOUT:-}" ]; then
  readonly TMOUT=900
  export TMOUT
fi
PROFILE
}

# lb_login_def KEY VALUE: one "KEY VALUE" line in /etc/login.defs.
lb_login_def() {
  local key="$1" value="$2"
  if ! grep -qE "^${key}[[:space:]]+${value}\$" /etc/login.defs; then
    sed -i -E "/^${key}[[:space:]]/d" /etc/login.defs
    printf '%s\t%s\n' "$key" "$value" >>/etc/login.defs
    lb_changed "/etc/login.defs $key $value"
  fi
}

# No account here logs in with a password (sshd takes keys only); should one ever get a
# password, it is aged and checked for strength.
lb_password_policy() {
  lb_login_def PASS_MAX_DAYS 365
  lb_login_def PASS_MIN_DAYS 1
}

lb_modules_off() {
  lb_put /etc/modprobe.d/letsbe-hardening.conf 0644 root:root <<'CONF'
# Managed by LetsBe bootstrap: storage buses and network protocols a server never uses.
blacklist usb-storage
install usb-storage /bin/false
blacklist firewire-core
install firewire-core /bin/false
blacklist firewire-ohci
install firewire-ohci /bin/false
install dccp /bin/true
install sctp /bin/true
install rds /bin/true
install tipc /bin/true
CONF
}

lb_banners() {
  local banner='Authorized access only. This system is private property of LetsBe; connections are monitored and logged, and unauthorized use is prohibited and may be reported to law enforcement.'
  printf '%s\n' "$banner" | lb_put /etc/issue 0644 root:root
  printf '%s\n' "$banner" | lb_put /etc/issue.net 0644 root:root
}

lb_file_modes() {
  local dir
  for dir in /etc/cron.d /etc/cron.daily /etc/cron.hourly /etc/cron.weekly /etc/cron.monthly; do
    lb_mode "$dir" 0700 root:root
  done
  lb_mode /etc/crontab 0600 root:root
  lb_mode /root 0700 root:root
}

# Who changed accounts, SSH, Docker, units or the secrets, and who loaded kernel modules.
lb_audit() {
  lb_put /etc/audit/rules.d/90-letsbe.rules 0640 root:root <<'RULES'
## Managed by LetsBe bootstrap.
-w /etc/passwd -p wa -k identity
-w /etc/group -p wa -k identity
-w /etc/shadow -p wa -k identity
-w /etc/gshadow -p wa -k identity
-w /etc/ssh/sshd_config -p wa -k sshd
-w /etc/ssh/sshd_config.d/ -p wa -k sshd
-w /root/.ssh/ -p wa -k root-keys
-w /etc/docker/ -p wa -k docker
-w /usr/bin/docker -p x -k docker
-w /etc/systemd/system/ -p wa -k units
-w /opt/letsbe/secrets/ -p rwa -k letsbe-secrets
-w /etc/letsencrypt/letsbe-cloudflare.ini -p rwa -k letsbe-secrets
-a always,exit -F arch=b64 -S init_module,finit_module,delete_module -k modules
RULES
  local changed=$LB_LAST_CHANGED
  if lb_in_container; then
    # A container cannot reach the kernel's audit subsystem; the package's failed first start
    # is cleared so the host does not report itself degraded.
    systemctl reset-failed auditd.service audit-rules.service 2>/dev/null || true
    lb_log "in a container: audit rules are written, auditd cannot run"
    return 0
  fi
  lb_enable auditd.service
  if [[ $changed == 1 ]]; then augenrules --load >/dev/null; fi
}

lb_integrity_tools() {
  # debsums checks installed files against the packages' own checksums (weekly where the image
  # has cron); AIDE checks everything against the baseline, daily, by its systemd timer.
  if ! grep -qx 'CRON_CHECK=weekly' /etc/default/debsums; then
    sed -i 's/^CRON_CHECK=.*/CRON_CHECK=weekly/' /etc/default/debsums
    lb_changed "debsums weekly"
  fi
  if ! grep -qx 'Checksums = sha512' /etc/aide/aide.conf; then
    sed -i 's/^Checksums = .*/Checksums = sha512/' /etc/aide/aide.conf
    grep -qx 'Checksums = sha512' /etc/aide/aide.conf || lb_fail "no Checksums line in /etc/aide/aide.conf"
    lb_changed "AIDE checksums sha512"
  fi
  # What changes by design: container layers and volumes (pinned by digest, or data), the
  # deployed stack, its nginx sites and its backups (Pulumi's state says what they should be),
  # renewed certificates, the off-site remote (its stage runs after this one, from state too),
  # fail2ban's bans (ufw rewrites its user rules on each) and ufw's lock, caches, AIDE's own database.
  lb_put /etc/aide/aide.conf.d/90_letsbe 0644 root:root <<'CONF'
# Managed by LetsBe bootstrap.
!/var/lib/docker
!/var/lib/containerd
!/opt/letsbe/stack
!/opt/letsbe/backups
!/etc/nginx/sites-enabled/letsbe-tenant
!/etc/letsbe/nginx
!/etc/letsbe/tls/current$
!/etc/letsbe/backup-(rclone[.]conf|rclone[.]sha256|known_hosts)$
!/etc/letsencrypt/(archive|live|renewal)
!/etc/ufw/user6?[.]rules$
!/run/ufw[.]lock$
!/var/cache
!/var/lib/apt/lists
!/var/lib/fail2ban
!/var/lib/aide
CONF
  lb_enable dailyaidecheck.timer
}

lb_integrity_baseline() {
  # The baseline is taken once, here; later changes are what the daily check reports.
  if [[ ! -s /var/lib/aide/aide.db ]]; then
    aide --config /etc/aide/aide.conf --init >/dev/null
    mv -f /var/lib/aide/aide.db.new /var/lib/aide/aide.db
    lb_changed "AIDE baseline /var/lib/aide/aide.db"
  fi
}

# needrestart restarts daemons still running old libraries after an upgrade (the hosts never
# reboot on their own); without asking, as there is no one to ask. Docker keeps its containers
# across a restart (live-restore). A kernel upgrade still waits for a planned reboot. Installed
# here, last, so its apt hook does not slow the bootstrap's own installs.
lb_needrestart() {
  lb_put /etc/needrestart/conf.d/50-letsbe.conf 0644 root:root <<'CONF'
# Managed by LetsBe bootstrap.
$nrconf{restart} = 'a';
$nrconf{kernelhints} = 0;
CONF
}

stage_main() {
  # Configured before it is installed, so its first run already restarts without asking.
  lb_needrestart
  # One apt run for everything this stage needs.
  lb_apt libpam-pwquality auditd debsums aide aide-common needrestart
  lb_sysctl
  lb_core_dumps_off
  lb_shell_profile
  lb_password_policy
  lb_modules_off
  lb_banners
  lb_audit
  lb_integrity_tools
  # After every package this stage installs (some bring cron folders), before the baseline.
  lb_file_modes
  lb_integrity_baseline
}
