/**
 * `docker` stand-in: Network, Volume, RemoteImage and Container carried out by the docker CLI
 * against the engine at the provider's `host` (DOCKER_HOST; unset means the local engine). The
 * CLI's ssh helper takes no ssh options, so `sshOpts` go through a wrapper `ssh` first on PATH.
 * Outputs carry pulumi-docker v5's names; replacement follows the Terraform provider's ForceNew.
 */
import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { configValue, unwrapAll } from "./config";
import { Props, TypeHandler } from "./generic";

/** The released provider waits this long for a network's endpoints to go (terraform-provider-docker). */
const NETWORK_REMOVE_TIMEOUT_MS = 30_000;

type Json = Record<string, unknown>;

/** Options as they may arrive: a list, or its JSON text (stack config, Configure variables). */
export function sshOptsFrom(value: unknown): string[] {
  let list: unknown = value ?? [];
  if (typeof value === "string") {
    try { list = JSON.parse(value); } catch { list = undefined; }
  }
  if (!Array.isArray(list) || !list.every((o) => typeof o === "string" && !/[\0\n]/.test(o))) throw new Error("docker:sshOpts must be a list of strings");
  return list as string[];
}

function connection(): { host?: string; sshOpts: string[] } {
  const host = configValue("host", "DOCKER_HOST");
  if (host !== undefined && !/^(unix|tcp|ssh|npipe):\/\/\S+$/.test(host)) throw new Error(`docker:host is not a docker host URL: ${host}`);
  return { host, sshOpts: sshOptsFrom(configValue("sshOpts")) };
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs the docker CLI; stderr (never the env file's content) goes into the error. */
export async function docker(args: readonly string[]): Promise<string> {
  const { host, sshOpts } = connection();
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (host) env.DOCKER_HOST = host;
  else delete env.DOCKER_HOST;
  let wrapperDir: string | undefined;
  if (host?.startsWith("ssh://") && sshOpts.length > 0) {
    wrapperDir = mkdtempSync(join(tmpdir(), "standin-docker-ssh-"));
    const realSsh = process.env.STANDIN_REAL_SSH ?? "/usr/bin/ssh";
    writeFileSync(join(wrapperDir, "ssh"), `#!/bin/sh\nexec ${quote(realSsh)} ${sshOpts.map(quote).join(" ")} "$@"\n`);
    chmodSync(join(wrapperDir, "ssh"), 0o700);
    env.PATH = `${wrapperDir}:${env.PATH ?? ""}`;
  }
  try {
    return await new Promise<string>((resolve, reject) => {
      execFile("docker", [...args], { env, maxBuffer: 64 * 1024 * 1024, timeout: 15 * 60_000 }, (error, stdout, stderr) => {
        if (error) reject(new DockerError(`docker ${args[0]} ${args[1] ?? ""}: ${String(stderr).trim() || error.message}`, String(stderr)));
        else resolve(String(stdout));
      });
    });
  } finally {
    if (wrapperDir) rmSync(wrapperDir, { recursive: true, force: true });
  }
}

export class DockerError extends Error {
  constructor(message: string, readonly stderr: string) {
    super(message);
  }
}

const missing = (e: unknown) => e instanceof DockerError && /no such (container|image|network|volume)|not found/i.test(e.stderr);

async function inspect(kind: "container" | "image" | "network" | "volume", ref: string): Promise<Json | undefined> {
  try {
    const parsed = JSON.parse(await docker([kind, "inspect", ref])) as unknown;
    return Array.isArray(parsed) && parsed[0] && typeof parsed[0] === "object" ? (parsed[0] as Json) : undefined;
  } catch (error) {
    if (missing(error)) return undefined;
    throw error;
  }
}

async function mustInspect(kind: "container" | "image" | "network" | "volume", ref: string): Promise<Json> {
  const found = await inspect(kind, ref);
  if (!found) throw new Error(`docker ${kind} ${ref} is gone right after it was made`);
  return found;
}

// ---- input checks ------------------------------------------------------------------------------

function str(v: unknown, what: string, optional: true): string | undefined;
function str(v: unknown, what: string, optional?: false): string;
function str(v: unknown, what: string, optional = false): string | undefined {
  if (v === undefined && optional) return undefined;
  if (typeof v !== "string" || v === "" || /[\0\n]/.test(v)) throw new Error(`docker: ${what} must be a non-empty one-line string`);
  return v;
}
const strs = (v: unknown, what: string): string[] => {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new Error(`docker: ${what} must be a list`);
  return v.map((x, i) => str(x, `${what}[${i}]`));
};
const objs = (v: unknown, what: string): Json[] => {
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((x) => x && typeof x === "object" && !Array.isArray(x))) throw new Error(`docker: ${what} must be a list of objects`);
  return v as Json[];
};
const num = (v: unknown, what: string): number | undefined => {
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw new Error(`docker: ${what} must be a whole number >= 0`);
  return v;
};
const map = (v: unknown, what: string): Record<string, string> => {
  if (v === undefined) return {};
  if (!v || typeof v !== "object" || Array.isArray(v)) throw new Error(`docker: ${what} must be a map of strings`);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [str(k, `${what} key`), str(x, `${what}.${k}`)]));
};
const labelArgs = (v: unknown, what: string) => objs(v, what).flatMap((l) => ["--label", `${str(l.label, `${what}.label`)}=${typeof l.value === "string" ? l.value : ""}`]);
const labelsOut = (labels: unknown) =>
  Object.entries((labels as Record<string, string> | null) ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([label, value]) => ({ label, value }));

/** Inputs the handler does not carry out fail loudly instead of being ignored. */
function only(inputs: Props, known: readonly string[], what: string): Props {
  const plain = unwrapAll(inputs) as Props;
  const unknown = Object.keys(plain).filter((k) => !known.includes(k) && plain[k] !== undefined);
  if (unknown.length > 0) throw new Error(`docker stand-in: ${what} inputs not carried out: ${unknown.join(", ")}`);
  return plain;
}

// ---- Network and Volume ------------------------------------------------------------------------

const NETWORK_INPUTS = ["name", "driver", "internal", "attachable", "ingress", "ipv6", "labels", "options", "ipamDriver", "ipamConfigs", "checkDuplicate"];

function networkOuts(n: Json): Props {
  const ipam = (n.IPAM ?? {}) as { Driver?: string; Options?: Record<string, string> | null; Config?: Array<Record<string, unknown>> | null };
  return {
    name: n.Name, driver: n.Driver, internal: n.Internal, attachable: n.Attachable, ingress: n.Ingress, ipv6: n.EnableIPv6, scope: n.Scope,
    options: n.Options ?? {}, labels: labelsOut(n.Labels), ipamDriver: ipam.Driver ?? "default", ipamOptions: ipam.Options ?? {},
    ipamConfigs: (ipam.Config ?? []).map((c) => ({ subnet: c.Subnet ?? "", gateway: c.Gateway ?? "", ipRange: c.IPRange ?? "", auxAddress: c.AuxiliaryAddresses ?? {} })),
  };
}

const networkHandler: TypeHandler = {
  replaceOn: ["*"],
  async create(_urn, inputs) {
    const p = only(inputs, NETWORK_INPUTS, "Network");
    const args = ["network", "create", "--driver", str(p.driver, "driver", true) ?? "bridge"];
    if (p.internal) args.push("--internal");
    if (p.attachable) args.push("--attachable");
    if (p.ingress) args.push("--ingress");
    if (p.ipv6) args.push("--ipv6");
    if (p.ipamDriver !== undefined) args.push("--ipam-driver", str(p.ipamDriver, "ipamDriver"));
    for (const c of objs(p.ipamConfigs, "ipamConfigs")) {
      if (c.subnet !== undefined) args.push("--subnet", str(c.subnet, "ipamConfigs.subnet"));
      if (c.gateway !== undefined) args.push("--gateway", str(c.gateway, "ipamConfigs.gateway"));
      if (c.ipRange !== undefined) args.push("--ip-range", str(c.ipRange, "ipamConfigs.ipRange"));
    }
    for (const [k, v] of Object.entries(map(p.options, "options"))) args.push("--opt", `${k}=${v}`);
    args.push(...labelArgs(p.labels, "labels"), str(p.name, "name"));
    const id = (await docker(args)).trim();
    return { id, outs: networkOuts(await mustInspect("network", id)) };
  },
  async delete(id) {
    // As the released provider does: while containers still detach, "has active endpoints" is waited
    // out (up to 30 s, 2 s apart) before the removal counts as failed.
    const deadline = Date.now() + NETWORK_REMOVE_TIMEOUT_MS;
    for (;;) {
      try {
        await docker(["network", "rm", id]);
        return;
      } catch (e: unknown) {
        if (missing(e)) return;
        if (!/has active endpoints/.test(String(e)) || Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 2_000));
      }
    }
  },
  async read(id, _urn, props) {
    const n = await inspect("network", id);
    return n && { ...props, ...networkOuts(n) };
  },
};

const volumeOuts = (v: Json): Props => ({ name: v.Name, driver: v.Driver, driverOpts: v.Options ?? {}, labels: labelsOut(v.Labels), mountpoint: v.Mountpoint });

const volumeHandler: TypeHandler = {
  replaceOn: ["*"],
  async create(_urn, inputs) {
    const p = only(inputs, ["name", "driver", "driverOpts", "labels"], "Volume");
    const args = ["volume", "create", "--driver", str(p.driver, "driver", true) ?? "local", ...labelArgs(p.labels, "labels")];
    for (const [k, v] of Object.entries(map(p.driverOpts, "driverOpts"))) args.push("--opt", `${k}=${v}`);
    const name = (await docker([...args, ...(p.name === undefined ? [] : [str(p.name, "name")])])).trim();
    return { id: name, outs: volumeOuts(await mustInspect("volume", name)) };
  },
  async delete(id) {
    await docker(["volume", "rm", id]).catch((e: unknown) => { if (!missing(e)) throw e; });
  },
  async read(id, _urn, props) {
    const v = await inspect("volume", id);
    return v && { ...props, ...volumeOuts(v) };
  },
};

// ---- RemoteImage -------------------------------------------------------------------------------

/** The RepoDigests entry for the name pulled: `repo@sha256:...`. */
export function repoDigestOf(name: string, image: Json): string {
  const digests = (image.RepoDigests as string[] | null) ?? [];
  const repo = name.split("@")[0].replace(/:[^/:]+$/, "");
  return digests.find((d) => d === name) ?? digests.find((d) => d.startsWith(`${repo}@`)) ?? digests[0] ?? "";
}

const remoteImageHandler: TypeHandler = {
  replaceOn: ["name", "pullTriggers", "platform", "triggers", "build"],
  async create(_urn, inputs) {
    const p = only(inputs, ["name", "keepLocally", "forceRemove", "platform", "pullTriggers", "triggers"], "RemoteImage");
    const name = str(p.name, "name");
    await docker(["image", "pull", "--quiet", ...(p.platform === undefined ? [] : ["--platform", str(p.platform, "platform")]), name]);
    const image = await mustInspect("image", name);
    const imageId = String(image.Id);
    return { id: `${imageId}${name}`, outs: { imageId, repoDigest: repoDigestOf(name, image) } };
  },
  async update(_id, _urn, olds) {
    return { imageId: olds.imageId, repoDigest: olds.repoDigest };
  },
  async delete(_id, _urn, props) {
    if (props.keepLocally === true) return;
    const args = ["image", "rm", ...(props.forceRemove === true ? ["--force"] : []), String(props.imageId)];
    await docker(args).catch((e: unknown) => { if (!missing(e)) throw e; });
  },
  async read(_id, _urn, props) {
    const image = await inspect("image", String(props.imageId));
    return image && { ...props, imageId: String(image.Id), repoDigest: repoDigestOf(String(props.name), image) };
  },
};

// ---- Container ---------------------------------------------------------------------------------

/** Container inputs that do not force replacement in the Terraform provider (all others do). */
const CONTAINER_IN_PLACE = [
  "rm", "start", "wait", "waitTimeout", "attach", "logs", "mustRun", "restart", "maxRetryCount", "removeVolumes", "destroyGraceSeconds",
  "memory", "memorySwap", "cpuShares", "cpuSet", "healthcheck", "containerReadRefreshTimeoutMilliseconds", "init", "tmpfs",
];
const CONTAINER_REPLACE = [
  "name", "image", "hostname", "domainname", "command", "entrypoints", "user", "dns", "dnsOpts", "dnsSearches", "publishAllPorts", "workingDir",
  "capabilities", "securityOpts", "runtime", "stopSignal", "stopTimeout", "mounts", "volumes", "ports", "hosts", "ulimits", "envs", "privileged",
  "devices", "labels", "shmSize", "logDriver", "logOpts", "networkMode", "networksAdvanced", "pidMode", "usernsMode", "uploads", "sysctls",
  "ipcMode", "groupAdds", "tty", "stdinOpen", "storageOpts", "readOnly",
];
const CONTAINER_CARRIED = [
  "name", "image", "hostname", "command", "entrypoints", "user", "workingDir", "envs", "ports", "volumes", "mounts", "networksAdvanced",
  "networkMode", "healthcheck", "restart", "maxRetryCount", "labels", "logDriver", "logOpts", "shmSize", "memory", "wait", "waitTimeout",
  "mustRun", "start", "destroyGraceSeconds", "removeVolumes", "init", "privileged", "readOnly", "stopSignal", "stopTimeout",
];

export function restartPolicy(p: Props): string {
  const policy = str(p.restart, "restart", true) ?? "no";
  if (!/^(no|on-failure|always|unless-stopped)$/.test(policy)) throw new Error(`docker: restart must be no, on-failure, always or unless-stopped, got ${policy}`);
  const retries = num(p.maxRetryCount, "maxRetryCount");
  return policy === "on-failure" && retries ? `on-failure:${retries}` : policy;
}

/** `docker create` arguments (the image and command last); envs go through a file, never argv. */
export function createArgs(p: Props, envFile: string | undefined): string[] {
  const args = ["container", "create", "--name", str(p.name, "name"), "--restart", restartPolicy(p)];
  if (envFile) args.push("--env-file", envFile);
  const opt = (flag: string, v: unknown, what: string) => { if (v !== undefined) args.push(flag, str(v, what)); };
  opt("--hostname", p.hostname, "hostname");
  opt("--user", p.user, "user");
  opt("--workdir", p.workingDir, "workingDir");
  opt("--log-driver", p.logDriver, "logDriver");
  opt("--stop-signal", p.stopSignal, "stopSignal");
  for (const [k, v] of Object.entries(map(p.logOpts, "logOpts"))) args.push("--log-opt", `${k}=${v}`);
  if (p.shmSize !== undefined) args.push("--shm-size", `${num(p.shmSize, "shmSize")}m`);
  if (p.memory !== undefined) args.push("--memory", `${num(p.memory, "memory")}m`);
  if (p.stopTimeout !== undefined) args.push("--stop-timeout", String(num(p.stopTimeout, "stopTimeout")));
  if (p.init === true) args.push("--init");
  if (p.privileged === true) args.push("--privileged");
  if (p.readOnly === true) args.push("--read-only");
  args.push(...labelArgs(p.labels, "labels"));
  for (const port of objs(p.ports, "ports")) {
    const internal = num(port.internal, "ports.internal");
    if (internal === undefined) throw new Error("docker: ports.internal is required");
    const external = num(port.external, "ports.external");
    const ip = str(port.ip, "ports.ip", true) ?? "0.0.0.0";
    args.push("--publish", `${ip}:${external ?? ""}:${internal}/${str(port.protocol, "ports.protocol", true) ?? "tcp"}`);
  }
  for (const v of objs(p.volumes, "volumes")) {
    if (v.fromContainer !== undefined) { args.push("--volumes-from", str(v.fromContainer, "volumes.fromContainer")); continue; }
    const source = str(v.volumeName ?? v.hostPath, "volumes.volumeName or hostPath");
    args.push("--volume", `${source}:${str(v.containerPath, "volumes.containerPath")}${v.readOnly === true ? ":ro" : ""}`);
  }
  for (const m of objs(p.mounts, "mounts")) {
    const parts = [`type=${str(m.type, "mounts.type")}`, `target=${str(m.target, "mounts.target")}`];
    if (m.source !== undefined) parts.push(`source=${str(m.source, "mounts.source")}`);
    if (m.readOnly === true) parts.push("readonly");
    if (parts.some((x) => x.includes(","))) throw new Error("docker: mounts fields must not contain commas");
    args.push("--mount", parts.join(","));
  }
  const networks = objs(p.networksAdvanced, "networksAdvanced");
  if (networks.length > 0) {
    args.push("--network", str(networks[0].name, "networksAdvanced.name"));
    for (const alias of strs(networks[0].aliases, "networksAdvanced.aliases")) args.push("--network-alias", alias);
  } else if (p.networkMode !== undefined) {
    args.push("--network", str(p.networkMode, "networkMode"));
  }
  const health = p.healthcheck as Json | undefined;
  if (health) {
    const tests = strs(health.tests, "healthcheck.tests");
    if (tests[0] === "NONE") args.push("--no-healthcheck");
    else if (tests[0] === "CMD-SHELL" && tests.length === 2) args.push("--health-cmd", tests[1]);
    // The CLI takes a shell command only: exec form becomes its shell-quoted equivalent.
    else if (tests[0] === "CMD" && tests.length > 1) args.push("--health-cmd", tests.slice(1).map(quote).join(" "));
    else throw new Error(`docker: healthcheck.tests must be ["CMD-SHELL", cmd], ["CMD", ...] or ["NONE"]`);
    for (const [key, flag] of [["interval", "--health-interval"], ["timeout", "--health-timeout"], ["startPeriod", "--health-start-period"]] as const) {
      if (health[key] !== undefined) args.push(flag, str(health[key], `healthcheck.${key}`));
    }
    if (health.retries !== undefined) args.push("--health-retries", String(num(health.retries, "healthcheck.retries")));
  }
  const entry = strs(p.entrypoints, "entrypoints");
  if (entry.length > 0) args.push("--entrypoint", entry[0]);
  args.push(str(p.image, "image"), ...entry.slice(1), ...strs(p.command, "command"));
  return args;
}

function containerOuts(c: Json): Props {
  const config = (c.Config ?? {}) as Json;
  const host = (c.HostConfig ?? {}) as Json;
  const settings = (c.NetworkSettings ?? {}) as { Bridge?: string; Networks?: Record<string, Json> };
  const state = (c.State ?? {}) as Json;
  return {
    hostname: config.Hostname, command: config.Cmd ?? [], entrypoints: config.Entrypoint ?? [], bridge: settings.Bridge ?? "",
    networkDatas: Object.entries(settings.Networks ?? {}).map(([networkName, n]) => ({
      networkName, ipAddress: n.IPAddress, ipPrefixLength: n.IPPrefixLen, gateway: n.Gateway, globalIpv6Address: n.GlobalIPv6Address,
      globalIpv6PrefixLength: n.GlobalIPv6PrefixLen, ipv6Gateway: n.IPv6Gateway, macAddress: n.MacAddress,
    })),
    ipcMode: host.IpcMode, logDriver: (host.LogConfig as Json | undefined)?.Type, runtime: host.Runtime, securityOpts: host.SecurityOpt ?? [],
    shmSize: Math.round(Number(host.ShmSize ?? 0) / 1024 / 1024), stopSignal: config.StopSignal ?? "", stopTimeout: config.StopTimeout ?? 0,
    init: host.Init === true, labels: labelsOut(config.Labels), exitCode: state.ExitCode ?? 0, containerLogs: "",
  };
}

async function waitHealthy(id: string, timeoutSeconds: number): Promise<void> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    const health = ((await mustInspect("container", id)).State as { Health?: { Status?: string; Log?: Array<{ Output?: string }> } }).Health;
    if (!health) throw new Error("docker: wait needs a healthcheck, and the container has none");
    if (health.Status === "healthy") return;
    if (Date.now() > deadline) {
      const last = health.Log?.at(-1)?.Output?.trim().slice(0, 300) ?? "";
      throw new Error(`docker: container did not become healthy within ${timeoutSeconds}s (status ${health.Status ?? "?"}${last ? `, last probe: ${last}` : ""})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

const containerHandler: TypeHandler = {
  replaceOn: CONTAINER_REPLACE,
  async create(_urn, inputs) {
    const p = only(inputs, CONTAINER_CARRIED, "Container");
    const envs = strs(p.envs, "envs");
    const dir = envs.length > 0 ? mkdtempSync(join(tmpdir(), "standin-docker-env-")) : undefined;
    let id: string;
    try {
      if (dir) writeFileSync(join(dir, "env"), `${envs.join("\n")}\n`, { mode: 0o600 });
      id = (await docker(createArgs(p, dir && join(dir, "env")))).trim();
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
    try {
      for (const n of objs(p.networksAdvanced, "networksAdvanced").slice(1)) {
        const aliases = strs(n.aliases, "networksAdvanced.aliases").flatMap((a) => ["--alias", a]);
        await docker(["network", "connect", ...aliases, str(n.name, "networksAdvanced.name"), id]);
      }
      if (p.start !== false) {
        await docker(["container", "start", id]);
        if (p.wait === true) await waitHealthy(id, num(p.waitTimeout, "waitTimeout") ?? 60);
        const running = ((await mustInspect("container", id)).State as Json).Running === true;
        if (p.mustRun !== false && !running) throw new Error("docker: container is not running after start");
      }
    } catch (error) {
      // A half-made container would be orphaned: the engine records nothing for a failed create.
      await docker(["container", "rm", "--force", "--volumes", id]).catch(() => undefined);
      throw error;
    }
    return { id, outs: containerOuts(await mustInspect("container", id)) };
  },
  async update(id, _urn, _olds, news) {
    const p = only(news, CONTAINER_CARRIED, "Container");
    const args = ["container", "update", "--restart", restartPolicy(p)];
    if (p.memory !== undefined) args.push("--memory", `${num(p.memory, "memory")}m`);
    await docker([...args, id]);
    return containerOuts(await mustInspect("container", id));
  },
  async delete(id, _urn, props) {
    const grace = typeof props.destroyGraceSeconds === "number" ? props.destroyGraceSeconds : undefined;
    if (grace !== undefined) await docker(["container", "stop", "--time", String(grace), id]).catch((e: unknown) => { if (!missing(e)) throw e; });
    const args = ["container", "rm", "--force", ...(props.removeVolumes === false ? [] : ["--volumes"]), id];
    await docker(args).catch((e: unknown) => { if (!missing(e)) throw e; });
  },
  async read(id, _urn, props) {
    const c = await inspect("container", id);
    return c && { ...props, ...containerOuts(c) };
  },
};

export const CONTAINER_REPLACE_ON: readonly string[] = CONTAINER_REPLACE;
export const CONTAINER_UPDATE_IN_PLACE: readonly string[] = CONTAINER_IN_PLACE;

export const dockerHandlers: Readonly<Record<string, TypeHandler>> = {
  "docker:index/network:Network": networkHandler,
  "docker:index/volume:Volume": volumeHandler,
  "docker:index/remoteImage:RemoteImage": remoteImageHandler,
  "docker:index/container:Container": containerHandler,
};
