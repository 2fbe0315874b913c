/**
 * A bootstrapped Debian 13 tenant host for the data-safety files of the host tier (rollback,
 * backup, restore): a host container reached over real SSH, every base stage run as the Pulumi
 * resources run it, stand-in images in a registry on the host, the compose stage applied.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HealthTiming, renderCompose } from "../../../components/compose/render";
import { planComposeStage } from "../../../components/compose/stage";
import { HostParams, StagePlan, planBaseStages, renderSecretsFile } from "../../../components/host/stages";
import { ImagePin, ReleasePins, SIDECAR_IMAGES, Tool, ToolId } from "../../../tenants/catalog";
import { docker, freePort, hostInfra } from "./infra";
import { ExecResult, SshSession } from "./ssh";
import { ed25519Pair } from "../../fixtures/ed25519";

export const TEST_SECRETS = { CLOUDFLARE_DNS_TOKEN: "cf-dns-token-data-safety", REGISTRATION_TOKEN: "hub-registration-token-data-safety" };

export interface TenantHost {
  readonly name: string;
  readonly session: SshSession;
  readonly params: HostParams;
  run(command: string): Promise<string>;
}

export interface HostOptions {
  /** The daily backup's off-site destination (`HostParams.backupRemote`). */
  readonly backupRemote?: string;
  /** rclone.conf defining it (the BACKUP_RCLONE_CONFIG stage secret). */
  readonly backupRcloneConfig?: string;
}

let engine = "";

/** Starts the engine once per file (the caller stops it with `stopEngineIfStarted`). */
export function ensureEngine(): void {
  if (!engine) engine = hostInfra("engine").trim();
  hostInfra("image");
}

export function stopEngineIfStarted(): void {
  if (engine === "started") hostInfra("engine-stop");
}

/** What `remote.CopyToRemote` + `remote.Command` do for one stage. */
export async function runStage(session: SshSession, plan: StagePlan, options: HostOptions = {}): Promise<void> {
  await session.upload(plan.remotePath, plan.script);
  const values = { ...TEST_SECRETS, ...(options.backupRcloneConfig ? { BACKUP_RCLONE_CONFIG: options.backupRcloneConfig } : {}) };
  const stdin = plan.secrets.length > 0 ? renderSecretsFile(values, plan.secrets) : undefined;
  const result = await session.exec(plan.command, stdin);
  if (result.code !== 0) throw new Error(`stage ${plan.name} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
}

/** A fresh host container, bootstrapped by every base stage over SSH. */
export async function startTenantHost(name: string, options: HostOptions = {}): Promise<TenantHost> {
  const keys = ed25519Pair("letsbe-provisioning-test");
  const dir = mkdtempSync(join(tmpdir(), "letsbe-host-"));
  writeFileSync(join(dir, "provisioning.pub"), `${keys.public}\n`);
  const port = await freePort();
  hostInfra("run", name, String(port), join(dir, "provisioning.pub"));
  const gateway = docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.Gateway}}{{end}}", name).trim();
  const params: HostParams = {
    hostname: "data-test",
    domain: "data-test.example.net",
    managementCidrs: [`${gateway}/32`],
    acmeEmail: "ops@example.net",
    issueCertificate: false,
    ...(options.backupRemote ? { backupRemote: options.backupRemote } : {}),
  };
  const session = await SshSession.connect({ host: "127.0.0.1", port, username: "root", privateKey: keys.private });
  for (const plan of planBaseStages(params)) await runStage(session, plan, options);
  return { name, session, params, run: (command) => session.run(command) };
}

export function stopTenantHost(host: TenantHost | undefined, name: string): void {
  host?.session.close();
  hostInfra("stop", name);
}

/** Stand-ins pushed to a registry on the host: `REPO:TAG:KIND` in, pins by `REPO:TAG` out. */
export function pushStandins(name: string, items: readonly string[]): Record<string, ImagePin> {
  docker("cp", join(__dirname, "..", "infra", "standins.sh"), `${name}:/root/standins.sh`);
  const out = execFileSync("docker", ["exec", name, "bash", "/root/standins.sh", ...items], { encoding: "utf8", timeout: 900_000 });
  const pins: Record<string, ImagePin> = {};
  for (const line of out.trim().split("\n")) {
    const [repository, tag, digest] = line.split(" ");
    pins[`${repository.replace("127.0.0.1:5000/", "")}:${tag}`] = { repository, tag, digest };
  }
  return pins;
}

export interface StackRelease {
  readonly tools: readonly ToolId[];
  readonly release: ReleasePins;
  readonly catalog: Record<ToolId, Tool>;
  readonly sidecars: typeof SIDECAR_IMAGES;
}

/** The compose stage, as the Pulumi resources run it: files copied, then apply.sh. */
export async function applyCompose(host: TenantHost, stack: StackRelease, health: HealthTiming, env = ""): Promise<ExecResult> {
  const rendered = renderCompose({
    slug: "data-test", domain: host.params.domain, tools: stack.tools, release: stack.release, toolCatalog: stack.catalog,
    sidecarImages: stack.sidecars, health,
  });
  const plan = planComposeStage(rendered, 120);
  for (const file of plan.files) await host.session.upload(file.remotePath, file.content);
  return host.session.exec(`${env}${plan.command}`);
}

/** `psql` in the running nextcloud database sidecar, unaligned, tuples only. */
export function psql(host: TenantHost, sql: string): Promise<string> {
  return host.run(`docker exec "$(docker compose -p letsbe ps -q nextcloud-db)" psql -v ON_ERROR_STOP=1 -Atq -U nextcloud -d nextcloud -c "${sql.replace(/"/g, '\\"')}"`);
}
