/**
 * The one reviewed list of Lynis findings the real-host tier waives (components/host/HARDENING.md).
 * host.test.ts renders it as `skip-test=` lines of a Lynis profile; every entry says why.
 *   container  - cannot apply to a container (the test host shares this machine's kernel, has no
 *                boot loader, no USB, no mounts of its own); a real VM is expected to pass it
 *   exception  - a deliberate choice of the platform, on a real VM too
 */
export interface LynisWaiver {
  /** Lynis test id, or `ID:detail` for one item of a test (a sysctl key, an sshd option). */
  readonly test: string;
  readonly kind: "container" | "exception";
  readonly reason: string;
}

const SHARED_KERNEL = "the test host shares this machine's kernel, so Lynis reads the machine's value; "
  + "the test checks that the hardening stage's sysctl drop-in sets the value Lynis expects";

/** Keys the hardening stage sets (a VM applies them) that a container cannot. */
const KERNEL_KEYS = [
  "dev.tty.ldisc_autoload", "fs.protected_fifos", "fs.protected_hardlinks", "fs.protected_regular", "fs.protected_symlinks",
  "fs.suid_dumpable", "kernel.core_uses_pid", "kernel.ctrl-alt-del", "kernel.dmesg_restrict", "kernel.kptr_restrict",
  "kernel.perf_event_paranoid", "kernel.randomize_va_space", "kernel.sysrq", "kernel.yama.ptrace_scope", "net.core.bpf_jit_harden",
  "net.ipv4.conf.all.accept_redirects", "net.ipv4.conf.all.accept_source_route", "net.ipv4.conf.all.bootp_relay",
  "net.ipv4.conf.all.log_martians", "net.ipv4.conf.all.mc_forwarding", "net.ipv4.conf.all.proxy_arp", "net.ipv4.conf.all.rp_filter",
  "net.ipv4.conf.all.send_redirects", "net.ipv4.conf.default.accept_redirects", "net.ipv4.conf.default.accept_source_route",
  "net.ipv4.conf.default.log_martians", "net.ipv4.icmp_echo_ignore_broadcasts", "net.ipv4.icmp_ignore_bogus_error_responses",
  "net.ipv4.tcp_syncookies", "net.ipv6.conf.all.accept_redirects", "net.ipv6.conf.all.accept_source_route",
  "net.ipv6.conf.default.accept_redirects", "net.ipv6.conf.default.accept_source_route",
] as const;

export const LYNIS_WAIVERS: readonly LynisWaiver[] = [
  ...KERNEL_KEYS.map((key): LynisWaiver => ({ test: `KRNL-6000:${key}`, kind: "container", reason: SHARED_KERNEL })),
  { test: "KRNL-6000:net.ipv4.conf.all.forwarding", kind: "exception",
    reason: "Docker routes its containers' traffic through IP forwarding; ufw's FORWARD policy stays DROP" },
  { test: "KRNL-6000:kernel.unprivileged_bpf_disabled", kind: "exception",
    reason: "Debian's kernel sets 2 (disabled, and not re-enableable), stricter than the 1 Lynis asks for; 2 cannot be lowered to 1" },
  { test: "KRNL-6000:kernel.modules_disabled", kind: "exception",
    reason: "Docker and ufw load netfilter modules on demand; unused buses and protocols are blocked in modprobe.d instead" },
  { test: "SSH-7408:port", kind: "exception",
    reason: "the SSH port is the tenant's sshPort setting (default 22); ufw opens it only to the management CIDRs" },
  { test: "ACCT-9628", kind: "container",
    reason: "auditd needs the kernel's audit subsystem, which a container cannot reach; the rules are installed and a VM loads them" },
  { test: "MACF-6290", kind: "container",
    reason: "AppArmor is the kernel's; a container cannot see it (Debian's VM kernels enable it by default)" },
  { test: "USB-3000", kind: "container",
    reason: "USBGuard guards physical USB ports; the container (and a virtual server) has none, and usb-storage is blocked in modprobe.d" },
  { test: "FILE-6310", kind: "container",
    reason: "separate /home, /tmp and /var partitions are the provider image's disk layout; the container has one overlay" },
  { test: "FILE-6374", kind: "container",
    reason: "mount options of /tmp, /home and /var belong to the provider image's fstab; the container's mounts are Docker's" },
  { test: "FILE-6344", kind: "container",
    reason: "/proc is mounted by Docker for the container; hidepid is a mount option of the host's fstab" },
  { test: "AUTH-9230", kind: "exception",
    reason: "Debian 13 hashes with yescrypt (ENCRYPT_METHOD YESCRYPT); SHA_CRYPT rounds do not apply, and no account has a password" },
  { test: "AUTH-9328", kind: "exception",
    reason: "a UMASK in login.defs reaches every provisioning session through pam_umask and would change the modes of the files the stages and compose write" },
];

/** The waivers as a Lynis profile (given with --profile, on top of Lynis's default.prf). */
export function renderLynisProfile(waivers: readonly LynisWaiver[] = LYNIS_WAIVERS): string {
  return ["# Generated from tests/host/lynis-waivers.ts: one skip-test per reviewed waiver.",
    ...waivers.flatMap((w) => [`# ${w.kind}: ${w.reason}`, `skip-test=${w.test}`]), ""].join("\n");
}
