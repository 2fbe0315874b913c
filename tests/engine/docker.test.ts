/**
 * The docker stand-in against this machine's engine (DOCKER_HOST unset): a busybox-only image is
 * imported, pushed to a local registry this test starts, and pulled back by digest. Everything
 * the test makes carries a random prefix and is removed by id; nothing else is touched.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setProviderConfig } from "./standins/config";
import { createArgs, dockerHandlers, sshOptsFrom } from "./standins/docker";
import { standInProvider, type Props } from "./standins/generic";
import { secret } from "./standins/config";

const PREFIX = `standin-test-${randomBytes(3).toString("hex")}`;
const urn = (type: string, name: string) => `urn:pulumi:staging::letsbe-hub::${type}::${name}`;
const NET = "docker:index/network:Network";
const VOL = "docker:index/volume:Volume";
const IMG = "docker:index/remoteImage:RemoteImage";
const CTR = "docker:index/container:Container";
const h = dockerHandlers;

const sh = (args: string[]) => execFileSync("docker", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
interface Inspected {
  Id: string; Name: string; Driver: string; Internal: boolean; Labels: Record<string, string>; State: Record<string, unknown>; Config: { Env: string[] };
  HostConfig: { RestartPolicy: { Name: string }; LogConfig: unknown }; NetworkSettings: { Networks: Record<string, { Aliases: string[] | null }> }; Mounts: unknown[];
}
const inspect = (ref: string) => (JSON.parse(sh(["inspect", ref])) as Inspected[])[0];
const exists = (ref: string) => { try { sh(["inspect", ref]); return true; } catch { return false; } };
const freePort = () => new Promise<number>((resolve) => {
  const s = createServer().listen(0, "127.0.0.1", () => { const port = (s.address() as { port: number }).port; s.close(() => resolve(port)); });
});

let work: string;
let registry: ChildProcess | undefined;
let dockerd: ChildProcess | undefined;
let image: { name: string; digestRef: string; id: string };
type Kind = "container" | "network" | "volume" | "image";
const made: Array<[Kind, string]> = [];

beforeAll(async () => {
  delete process.env.DOCKER_HOST;
  setProviderConfig({});
  work = mkdtempSync(join(tmpdir(), `${PREFIX}-`));
  try { sh(["info"]); } catch {
    dockerd = spawn("dockerd", [], { detached: true, stdio: "ignore" });
    for (let i = 0; i < 60; i++) {
      try { sh(["info"]); break; } catch { await new Promise((r) => setTimeout(r, 1000)); }
    }
  }
  // A busybox-only root file system: httpd serves /www, wget probes it.
  const root = join(work, "rootfs");
  mkdirSync(join(root, "bin"), { recursive: true });
  mkdirSync(join(root, "www"));
  copyFileSync("/usr/bin/busybox", join(root, "bin", "busybox"));
  for (const tool of ["sh", "httpd", "wget", "cat", "sleep"]) symlinkSync("busybox", join(root, "bin", tool));
  writeFileSync(join(root, "www", "health"), "ok\n");
  execFileSync("tar", ["-C", root, "-cf", join(work, "rootfs.tar"), "."]);
  const port = await freePort();
  writeFileSync(join(work, "registry.yml"), `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${join(work, "registry")}\nhttp:\n  addr: 127.0.0.1:${port}\n`);
  registry = spawn("docker-registry", ["serve", join(work, "registry.yml")], { stdio: "ignore" });
  for (let i = 0; i < 30; i++) {
    if (await fetch(`http://127.0.0.1:${port}/v2/`).then((r) => r.ok, () => false)) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const name = `127.0.0.1:${port}/${PREFIX}/app:1`;
  const id = sh(["import", "--change", 'CMD ["/bin/httpd","-f","-p","8080","-h","/www"]', join(work, "rootfs.tar"), name]);
  const pushed = sh(["push", name]);
  const digest = /digest: (sha256:[0-9a-f]{64})/.exec(pushed)?.[1];
  if (!digest) throw new Error(`push printed no digest: ${pushed}`);
  image = { name, digestRef: `127.0.0.1:${port}/${PREFIX}/app@${digest}`, id };
  sh(["image", "rm", name]); // RemoteImage must pull it back
  made.push(["image", id]);
}, 300_000);

afterAll(() => {
  // Containers first, the image last: by id, only what this file made.
  const order: Kind[] = ["container", "network", "volume", "image"];
  for (const kind of order) {
    for (const [k, ref] of made) {
      if (k !== kind) continue;
      try { execFileSync("docker", [kind, "rm", ...(kind === "container" || kind === "image" ? ["--force"] : []), ref], { stdio: "ignore" }); } catch { /* already gone */ }
    }
  }
  registry?.kill();
  dockerd?.kill();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("docker stand-in against the local engine", () => {
  it("creates an internal bridge network, reads it, and deletes it", async () => {
    const { id, outs } = await h[NET].create!(urn(NET, "db-network"), { name: `${PREFIX}-db`, driver: "bridge", internal: true });
    made.push(["network", id]);
    expect(inspect(id)).toMatchObject({ Name: `${PREFIX}-db`, Driver: "bridge", Internal: true });
    expect(outs).toMatchObject({ name: `${PREFIX}-db`, driver: "bridge", internal: true, scope: "local", ipamDriver: "default" });
    expect((outs.ipamConfigs as unknown[]).length).toBeGreaterThan(0);
    expect(await h[NET].read!(id, urn(NET, "db-network"), { name: `${PREFIX}-db` })).toMatchObject({ internal: true });
    await h[NET].delete!(id, urn(NET, "db-network"), outs);
    expect(exists(id)).toBe(false);
    expect(await h[NET].read!(id, urn(NET, "db-network"), {})).toBeUndefined();
  });

  it("creates a labelled volume with its mountpoint and deletes it", async () => {
    const { id, outs } = await h[VOL].create!(urn(VOL, "jobs"), { name: `${PREFIX}-jobs`, labels: [{ label: "letsbe.role", value: "hub" }] });
    made.push(["volume", id]);
    expect(id).toBe(`${PREFIX}-jobs`);
    expect(inspect(id).Labels).toEqual({ "letsbe.role": "hub" });
    expect(outs).toMatchObject({ name: `${PREFIX}-jobs`, driver: "local", labels: [{ label: "letsbe.role", value: "hub" }], mountpoint: expect.stringContaining(`${PREFIX}-jobs`) });
    await h[VOL].delete!(id, urn(VOL, "jobs"), outs);
    expect(exists(id)).toBe(false);
  });

  it("pulls a RemoteImage by digest, reports imageId and repoDigest, and keeps it when keepLocally", async () => {
    const inputs = { name: image.digestRef, keepLocally: true };
    const { id, outs } = await h[IMG].create!(urn(IMG, "hub-image"), inputs);
    expect(outs).toEqual({ imageId: image.id, repoDigest: image.digestRef });
    expect(id).toBe(`${image.id}${image.digestRef}`);
    await h[IMG].delete!(id, urn(IMG, "hub-image"), { ...inputs, ...outs });
    expect(exists(image.id)).toBe(true);
    const provider = standInProvider("docker", "5.2.0", h);
    const created = await provider.create!(urn(IMG, "hub-image"), inputs);
    expect((await provider.diff!(id, urn(IMG, "hub-image"), created.outs!, { ...inputs, keepLocally: false })).replaces).toEqual([]);
    expect((await provider.diff!(id, urn(IMG, "hub-image"), created.outs!, { ...inputs, name: image.name })).replaces).toEqual(["name"]);
  });

  it("runs a Container as the hub does: env file, ports, volumes, two networks, health wait, restart, labels", async () => {
    const db = await h[NET].create!(urn(NET, "db"), { name: `${PREFIX}-db2`, driver: "bridge", internal: true });
    const app = await h[NET].create!(urn(NET, "app"), { name: `${PREFIX}-app`, driver: "bridge" });
    const vol = await h[VOL].create!(urn(VOL, "logs"), { name: `${PREFIX}-logs` });
    made.push(["network", db.id], ["network", app.id], ["volume", vol.id]);
    const port = await freePort();
    const password = `pw-${randomBytes(6).toString("hex")}`;
    const inputs: Props = {
      name: `${PREFIX}-web`, image: image.id, restart: "unless-stopped", wait: true, waitTimeout: 60,
      envs: secret([`DATABASE_PASSWORD=${password}`, "NODE_ENV=production"]),
      ports: [{ internal: 8080, external: port, ip: "127.0.0.1", protocol: "tcp" }],
      volumes: [{ volumeName: `${PREFIX}-logs`, containerPath: "/app/logs" }],
      networksAdvanced: [{ name: `${PREFIX}-app`, aliases: ["web"] }, { name: `${PREFIX}-db2`, aliases: ["db"] }],
      healthcheck: { tests: ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:8080/health || exit 1"], interval: "1s", timeout: "2s", retries: 3, startPeriod: "1s" },
      logDriver: "json-file", logOpts: { "max-size": "20m", "max-file": "5" }, labels: [{ label: "letsbe.role", value: "hub" }],
    };
    const { id, outs } = await h[CTR].create!(urn(CTR, "web"), inputs);
    made.push(["container", id]);
    const c = inspect(id);
    expect(c.State).toMatchObject({ Running: true, Health: { Status: "healthy" } });
    expect(c.Config.Env).toEqual(expect.arrayContaining([`DATABASE_PASSWORD=${password}`, "NODE_ENV=production"]));
    expect(c.HostConfig.RestartPolicy.Name).toBe("unless-stopped");
    expect(c.HostConfig.LogConfig).toEqual({ Type: "json-file", Config: { "max-size": "20m", "max-file": "5" } });
    expect(Object.keys(c.NetworkSettings.Networks).sort()).toEqual([`${PREFIX}-app`, `${PREFIX}-db2`].sort());
    expect(c.NetworkSettings.Networks[`${PREFIX}-db2`].Aliases).toContain("db");
    expect(c.Mounts).toEqual([expect.objectContaining({ Type: "volume", Name: `${PREFIX}-logs`, Destination: "/app/logs" })]);
    expect(await (await fetch(`http://127.0.0.1:${port}/health`)).text()).toBe("ok\n");
    expect(outs).toMatchObject({ labels: [{ label: "letsbe.role", value: "hub" }], logDriver: "json-file", exitCode: 0 });
    expect((outs.networkDatas as Array<{ networkName: string }>).map((n) => n.networkName).sort()).toEqual([`${PREFIX}-app`, `${PREFIX}-db2`].sort());

    // In place: restart; replacing: envs, image, ports.
    const provider = standInProvider("docker", "5.2.0", h);
    const state = { ...inputs, ...outs, __inputs: inputs };
    expect((await provider.diff!(id, urn(CTR, "web"), state, { ...inputs, restart: "always" })).replaces).toEqual([]);
    expect((await provider.diff!(id, urn(CTR, "web"), state, { ...inputs, envs: secret(["NODE_ENV=dev"]), ports: [] })).replaces).toEqual(["envs", "ports"]);
    await h[CTR].update!(id, urn(CTR, "web"), state, { ...inputs, restart: "always" });
    expect(inspect(id).HostConfig.RestartPolicy.Name).toBe("always");
    expect(inspect(id).Id).toBe(id);

    await h[CTR].delete!(id, urn(CTR, "web"), state);
    expect(exists(id)).toBe(false);
    expect(await h[CTR].read!(id, urn(CTR, "web"), state)).toBeUndefined();
  }, 120_000);

  it("never puts env values on the docker command line", () => {
    const args = createArgs({ name: "x", image: "sha256:abc", envs: ["SECRET=hunter2"] }, "/tmp/env-file");
    expect(args.join(" ")).not.toContain("hunter2");
    expect(args).toEqual(expect.arrayContaining(["--env-file", "/tmp/env-file"]));
  });

  it("fails a create whose container never gets healthy, and leaves no container behind", async () => {
    const name = `${PREFIX}-sick`;
    const create = h[CTR].create!(urn(CTR, "sick"), {
      name, image: image.id, wait: true, waitTimeout: 4, healthcheck: { tests: ["CMD-SHELL", "exit 1"], interval: "1s", timeout: "1s", retries: 1 },
    });
    await expect(create).rejects.toThrow(/did not become healthy within 4s/);
    expect(exists(name)).toBe(false);
  }, 60_000);

  it("reads sshOpts as a list or its JSON text, and refuses anything else", () => {
    expect(sshOptsFrom(["-i", "k"])).toEqual(["-i", "k"]);
    expect(sshOptsFrom('["-o","BatchMode=yes"]')).toEqual(["-o", "BatchMode=yes"]);
    expect(sshOptsFrom(undefined)).toEqual([]);
    expect(() => sshOptsFrom("-i key")).toThrow(/list of strings/);
    expect(() => sshOptsFrom(["-o", "a\nb"])).toThrow(/list of strings/);
  });

  it("fails loudly on a container input it does not carry out", async () => {
    await expect(h[CTR].create!(urn(CTR, "gpu"), { name: `${PREFIX}-gpu`, image: image.id, gpus: "all" })).rejects.toThrow(/not carried out: gpus/);
    expect(exists(`${PREFIX}-gpu`)).toBe(false);
  });

  it("passes the provider's sshOpts to ssh through a wrapper on PATH", async () => {
    const fakeSsh = join(work, "real-ssh");
    writeFileSync(fakeSsh, `#!/bin/sh\nprintf '%s\\n' "$@" > ${join(work, "ssh-args")}\nexit 255\n`, { mode: 0o755 });
    process.env.STANDIN_REAL_SSH = fakeSsh;
    const opts = ["-i", "/keys/provisioning key", "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes"];
    setProviderConfig({ host: "ssh://root@203.0.113.5:22", sshOpts: JSON.stringify(opts) });
    try {
      await expect(h[VOL].create!(urn(VOL, "remote"), { name: `${PREFIX}-remote` })).rejects.toThrow();
      const args = readFileSync(join(work, "ssh-args"), "utf8").trim().split("\n");
      expect(args.slice(0, opts.length)).toEqual(opts);
      expect(args).toEqual(expect.arrayContaining(["203.0.113.5", "docker", "system", "dial-stdio"]));
    } finally {
      delete process.env.STANDIN_REAL_SSH;
      setProviderConfig({});
    }
  });
});
