/**
 * Host containers for the estate, started the way tests/host/infra/host.sh starts them (same
 * cached Debian 13 image) at the very address their provider reported, on the estate's docker
 * network, and wired to the stand-in registry on this machine through a loopback forwarder.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ImageInstall } from "../../fakes/scp/server";
import { docker, hostInfra } from "../../host/lib/infra";

export interface HostContainer {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly authorizedKeys: readonly string[];
}

export class HostFleet {
  private readonly byAddress = new Map<string, HostContainer>();
  private readonly keyDir = mkdtempSync(join(tmpdir(), "letsbe-estate-keys-"));
  /** Every start and stop, in order: what the scenarios check the install hook against. */
  readonly events: string[] = [];
  /** Seconds each container took to start. */
  readonly startSeconds: Record<string, number> = {};

  /**
   * `registryPort`: the stand-in registry on this machine, forwarded to 127.0.0.1 on each host.
   * `network`: the docker network on which each host gets its provider's address (SSH on port 22).
   */
  constructor(private readonly prefix: string, private readonly gateway: string, private readonly registryPort: number, private readonly network: string) {}

  get running(): HostContainer[] {
    return [...this.byAddress.values()];
  }

  /** Starts a fresh host for `address` (replacing one already there) with these keys for root. */
  async start(address: string, label: string, authorizedKeys: readonly string[]): Promise<HostContainer> {
    await this.stop(address);
    const started = Date.now();
    const name = `${this.prefix}-${label}`;
    const keyFile = join(this.keyDir, `${label}.pub`);
    writeFileSync(keyFile, authorizedKeys.map((k) => `${k.trim()}\n`).join(""));
    const port = 22;
    hostInfra("run-at", name, this.network, address, keyFile);
    this.forwardRegistry(name);
    const host = { name, address, port, authorizedKeys: [...authorizedKeys] };
    this.byAddress.set(address, host);
    this.startSeconds[label] = (Date.now() - started) / 1000;
    this.events.push(`start ${label} ${address}`);
    return host;
  }

  async stop(address: string): Promise<void> {
    const host = this.byAddress.get(address);
    if (!host) return;
    hostInfra("stop", host.name);
    this.byAddress.delete(address);
    this.events.push(`stop ${host.name.slice(this.prefix.length + 1)} ${address}`);
  }

  async stopAll(): Promise<void> {
    for (const address of [...this.byAddress.keys()]) await this.stop(address);
  }

  /**
   * The fake SCP's install hook in host mode: an install with keys starts a Debian 13 host with
   * them; an install without keys (the wipe a release does) stops and removes the host.
   */
  installHook(): (install: ImageInstall) => Promise<void> {
    return async (install) => {
      if (install.sshKeys.length === 0) await this.stop(install.server.ipv4);
      else await this.start(install.server.ipv4, install.server.name, install.sshKeys);
    };
  }

  /** Runs a command in a host container (test inspection only, never part of what is proven). */
  exec(address: string, script: string): string {
    const host = this.byAddress.get(address);
    if (!host) throw new Error(`no host at ${address}`);
    return execFileSync("docker", ["exec", host.name, "bash", "-c", script], { encoding: "utf8", timeout: 120_000 });
  }

  /**
   * Test plumbing, not product: 127.0.0.1:<port> on the host forwards to the registry on this
   * machine, so images named `127.0.0.1:<port>/...` pull as from a loopback registry.
   */
  private forwardRegistry(name: string): void {
    const port = this.registryPort;
    const units = [
      `printf '[Socket]\\nListenStream=127.0.0.1:${port}\\n[Install]\\nWantedBy=sockets.target\\n' >/etc/systemd/system/letsbe-test-registry.socket`,
      `printf '[Service]\\nExecStart=/usr/lib/systemd/systemd-socket-proxyd ${this.gateway}:${port}\\n' >/etc/systemd/system/letsbe-test-registry.service`,
      "systemctl daemon-reload",
      "systemctl enable --now letsbe-test-registry.socket",
    ];
    docker("exec", name, "bash", "-c", units.join(" && "));
  }
}

/** The docker bridge's gateway: the address host containers see this machine (and the tests) as. */
export function bridgeGateway(): string {
  return docker("network", "inspect", "bridge", "-f", "{{range .IPAM.Config}}{{.Gateway}}{{end}}").trim();
}

/** The `ssh_authorized_keys` entries of a cloud-config (what cloud-init would install for root). */
export function authorizedKeysOf(userData: string): string[] {
  const lines = userData.split("\n");
  const start = lines.findIndex((l) => l.trim() === "ssh_authorized_keys:");
  if (start < 0) return [];
  const keys: string[] = [];
  for (const line of lines.slice(start + 1)) {
    const match = /^\s+- (.+)$/.exec(line);
    if (!match) break;
    keys.push(match[1].trim());
  }
  return keys;
}
