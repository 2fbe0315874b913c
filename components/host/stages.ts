/**
 * The bootstrap stages as plain data: for each stage, the self-contained script to copy, the
 * command that runs it, the secrets it reads on standard input and the trigger (hash of what
 * the stage depends on, and nothing else). Pulumi resources and the real-host tests both run
 * exactly this plan.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The base stages in the order they run; none depends on the tenant's tool set. `hardening`
 * comes last: it takes the file integrity baseline of what the others made.
 */
export const BASE_STAGES = [
  "system", "packages", "unattended", "docker", "firewall", "ssh", "fail2ban", "layout", "tls", "nginx", "hardening",
] as const;
export type BaseStage = (typeof BASE_STAGES)[number];

/** Secrets a stage reads; each reaches the host only on the stage's standard input. */
export type StageSecret = "REGISTRATION_TOKEN" | "CLOUDFLARE_DNS_TOKEN" | "BACKUP_RCLONE_CONFIG";

export const STAGE_SECRETS: Readonly<Partial<Record<BaseStage, readonly StageSecret[]>>> = {
  layout: ["REGISTRATION_TOKEN", "BACKUP_RCLONE_CONFIG"],
  tls: ["CLOUDFLARE_DNS_TOKEN"],
};

export const BOOTSTRAP_DIR = "/var/lib/letsbe/bootstrap";

/**
 * Prints the host's ECDSA P-256 key as `type base64`, the form `remote.Connection.hostKey` takes.
 * ECDSA because it is what the provider's Go SSH client asks for first among plain host keys
 * (golang.org/x/crypto/ssh defaultHostKeyAlgos), so the pin matches whether or not the client
 * narrows its algorithms to the pinned key's type. Fails, naming the file, on a host without one.
 */
export const HOST_KEY_FILE = "/etc/ssh/ssh_host_ecdsa_key.pub";
export const RECORD_HOST_KEY_COMMAND =
  `set -eu; f=${HOST_KEY_FILE}; [ -s "$f" ] || { echo "no host key $f" >&2; exit 1; }; `
  + `set -- $(cat "$f"); [ "$1" = ecdsa-sha2-nistp256 ] || { echo "$f holds $1, not ecdsa-sha2-nistp256" >&2; exit 1; }; printf '%s %s' "$1" "$2"`;

export interface HostParams {
  /** Short host name, e.g. the tenant slug. */
  readonly hostname: string;
  /** Domain the wildcard certificate covers (`domain` and `*.domain`). */
  readonly domain: string;
  /** Addresses allowed to reach SSH (the Hub's management CIDRs). */
  readonly managementCidrs: readonly string[];
  /** SSH port sshd listens on and the firewall opens to the management CIDRs (only). Default - 22. */
  readonly sshPort?: number;
  /** Extra public TCP ports beyond 80 and 443 (mail ports when a mail tool is chosen). Default - none. */
  readonly publicTcpPorts?: readonly number[];
  /** Public UDP ports (the WireGuard hub's listen port). Default - none. */
  readonly publicUdpPorts?: readonly number[];
  /**
   * This host's address on the WireGuard management network (a spoke): once the tunnel works,
   * sshd listens there alone and ufw lets SSH in on the tunnel only (components/hub/wireguard.ts).
   * Default - none (SSH from the management CIDRs on the public address).
   */
  readonly sshTunnelAddress?: string;
  /** ACME account e-mail. */
  readonly acmeEmail: string;
  /** ACME directory URL. Default - certbot's (Let's Encrypt production). */
  readonly acmeServer?: string;
  /**
   * Request the wildcard certificate during bootstrap. Default - true. With false the host
   * serves its self-signed placeholder until certbot is run (a host whose zone is not delegated yet).
   */
  readonly issueCertificate?: boolean;
  /**
   * rclone destination (`remote:path`) of the daily backup's off-site copy; the remote is defined
   * by the BACKUP_RCLONE_CONFIG secret. Default - none (the backup unit then reports it and fails).
   */
  readonly backupRemote?: string;
  /** Default - "UTC". */
  readonly timezone?: string;
  /** Default - "C.UTF-8". */
  readonly locale?: string;
}

/** A file a stage copies to the host before its command runs. */
export interface StageFile {
  /** Short name; the copy resource is `<stage resource>-<name>`. */
  readonly name: string;
  readonly remotePath: string;
  readonly content: string;
}

/**
 * One stage, on any host (tenant or hub): files copied, then one command run, its secrets on
 * standard input only (`NAME=base64` lines, read by runner.sh). The trigger hashes what the stage
 * is (files, command, secret names); the resources add the server's identity to it.
 */
export interface Stage {
  readonly name: string;
  readonly files: readonly StageFile[];
  readonly command: string;
  readonly secrets: readonly string[];
  readonly trigger: string;
}

/** A stage from its parts: the trigger over every file, the command and the secret names. */
export function stage(name: string, files: readonly StageFile[], command: string, secrets: readonly string[] = []): Stage {
  return { name, files, command, secrets, trigger: sha256(...files.map((f) => `${f.remotePath}\n${f.content}`), command, secrets.join(",")) };
}

/** A base stage: its one file is the bundled script. */
export interface StagePlan extends Stage {
  readonly name: BaseStage;
  /** Where the bundled script is copied on the host. */
  readonly remotePath: string;
  readonly script: string;
  /** Non-secret parameters, passed as environment assignments on the command. */
  readonly params: Readonly<Record<string, string>>;
  readonly secrets: readonly StageSecret[];
}

/** The folder holding the bootstrap scripts, from the sources or from the compiled `dist/`. */
export function scriptsDir(): string {
  const candidates = [join(__dirname, "scripts"), join(__dirname, "..", "..", "..", "components", "host", "scripts")];
  const found = candidates.find((dir) => existsSync(join(dir, "lib.sh")));
  if (!found) throw new Error(`bootstrap scripts not found (looked in ${candidates.join(", ")})`);
  return found;
}

/** lib.sh + the stage + runner.sh, as one file the host runs without anything else. */
export function bundleStage(stage: BaseStage, dir?: string): string {
  if (dir !== undefined) return readBundle(stage, dir);
  // Every tenant of a plan bundles the same shipped files: read them once per process.
  const cached = shippedBundles.get(stage);
  if (cached !== undefined) return cached;
  const bundle = readBundle(stage, scriptsDir());
  shippedBundles.set(stage, bundle);
  return bundle;
}

const shippedBundles = new Map<BaseStage, string>();

function readBundle(stage: BaseStage, dir: string): string {
  return bundleScript(stage, join(dir, "stages", `${stage}.sh`), dir);
}

/**
 * lib.sh + a stage file defining `stage_main` (a base stage's, or another component's) +
 * runner.sh: every stage on every host runs through the same runner.
 */
export function bundleScript(label: string, stageFile: string, dir: string = scriptsDir()): string {
  // The parts' own `source lib.sh` guards and shebangs are dead inside the bundle: dropped.
  const read = (file: string) => readFileSync(file, "utf8")
    .replace(/^#!.*\n/, "")
    .replace(/^if ! declare -F lb_changed >\/dev\/null; then\n[\s\S]*?^fi\n/m, "");
  return [`#!/usr/bin/env bash\n# LetsBe stage "${label}" (generated: lib.sh + ${stageFile.split("/").slice(-2).join("/")} + runner.sh).\n`,
    read(join(dir, "lib.sh")), read(stageFile), read(join(dir, "runner.sh"))].join("\n");
}

/** The command running a bundled script: stage name, secrets flag and parameters as assignments. */
export function stageCommand(name: string, remotePath: string, params: Readonly<Record<string, string>>, withSecrets: boolean): string {
  const assignments = [
    `LB_STAGE=${name}`,
    `LB_WITH_SECRETS=${withSecrets ? 1 : 0}`,
    ...Object.entries(params).map(([key, value]) => `${key}=${shellQuote(value)}`),
  ];
  return `${assignments.join(" ")} bash ${remotePath}`;
}

export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export function sha256(...parts: string[]): string {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part).update("\0");
  return hash.digest("hex");
}

/** The interface wireguard.sh makes; firewall and ssh read `LB_SSH_TUNNEL="IFACE ADDRESS"`. */
export const WG_INTERFACE = "wg-letsbe";
function tunnelParam(p: HostParams): Record<string, string> {
  return p.sshTunnelAddress ? { LB_SSH_TUNNEL: `${WG_INTERFACE} ${p.sshTunnelAddress}` } : {};
}

function stageParams(stage: BaseStage, p: HostParams): Record<string, string> {
  const sshPort = String(p.sshPort ?? 22);
  switch (stage) {
    case "system":
      return { LB_HOSTNAME: p.hostname, LB_TIMEZONE: p.timezone ?? "UTC", LB_LOCALE: p.locale ?? "C.UTF-8" };
    case "firewall":
      return {
        LB_MGMT_CIDRS: [...p.managementCidrs].sort().join(" "),
        LB_SSH_PORT: sshPort,
        LB_PUBLIC_TCP_PORTS: [...(p.publicTcpPorts ?? [])].sort((a, b) => a - b).join(" "),
        ...(p.publicUdpPorts?.length ? { LB_PUBLIC_UDP_PORTS: [...p.publicUdpPorts].sort((a, b) => a - b).join(" ") } : {}),
        ...tunnelParam(p),
      };
    case "ssh":
      return { LB_SSH_PORT: sshPort, ...tunnelParam(p) };
    case "layout":
      return p.backupRemote ? { LB_BACKUP_REMOTE: p.backupRemote } : {};
    case "fail2ban":
      return { LB_MGMT_CIDRS: [...p.managementCidrs].sort().join(" ") };
    case "tls":
      return {
        LB_DOMAIN: p.domain,
        LB_ACME_EMAIL: p.acmeEmail,
        LB_TLS_ISSUE: p.issueCertificate === false ? "0" : "1",
        ...(p.acmeServer ? { LB_ACME_SERVER: p.acmeServer } : {}),
      };
    default:
      return {};
  }
}

export function planStage(name: BaseStage, params: HostParams, dir?: string): StagePlan {
  const script = bundleStage(name, dir);
  const secrets = STAGE_SECRETS[name] ?? [];
  const env: Record<string, string> = { ...stageParams(name, params) };
  const remotePath = `${BOOTSTRAP_DIR}/${name}.sh`;
  const command = stageCommand(name, remotePath, env, secrets.length > 0);
  return { ...stage(name, [{ name: "script", remotePath, content: script }], command, secrets), name, remotePath, script, params: env, secrets };
}

export function planBaseStages(params: HostParams, dir?: string): StagePlan[] {
  return BASE_STAGES.map((stage) => planStage(stage, params, dir));
}

/** The secrets file a stage receives on standard input: `NAME=base64(value)` lines. */
export function renderSecretsFile<N extends string>(values: Readonly<Partial<Record<N, string>>>, names: readonly N[]): string {
  return names
    .filter((name) => values[name] !== undefined && values[name] !== "")
    .map((name) => `${name}=${Buffer.from(values[name] as string, "utf8").toString("base64")}\n`)
    .join("");
}
