/**
 * The regional hub on the real engine: `pulumi up --policy-pack policy` of `prod-eu` adopts its Netcup
 * server by name from the fake SCP, bootstraps it over SSH, runs postgres and the hub services on
 * stand-ins as a compose stage over SSH, serves them through nginx, and publishes its DNS. A change
 * of the image pins replaces the containers in place; the previous pins stay pulled. `up --replace`
 * of the server reinstalls it and every stage runs again.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { sequentialSteps } from "../host/lib/steps";
import { ESTATE_NETWORK, Estate, ZONE_NAME, startEstate, stopEstate } from "./lib/estate";
import { REPO } from "./lib/engine";
import { EstateHubInputs, HUB_APP_STANDINS, decommissionHub, estateHubConfig, estateHubDomain, estateHubImages, hubWorkDir, initHubStack, pulumiAsync, setHubImages, upHub } from "./lib/hubStack";
import { readTree, secretFragments } from "./lib/secrets";

const STACK = "prod-eu";
const NETCUP_TYPE = "pulumi-nodejs:dynamic/netcup:Server";
const HUB_DOMAIN = estateHubDomain("eu", ZONE_NAME);
const CONTAINERS = ["letsbe-hub-db", "letsbe-hub", "letsbe-hub-worker", "letsbe-hub-notifications"];
let estate: Estate;
let dir: string;
let inputs: EstateHubInputs;
let hubAddress: string;
let secrets: Record<string, string>;
const { step } = sequentialSteps();

const onHub = (script: string) => estate.fleet.exec(hubAddress, script);
const hubServer = () => [...estate.scp.servers.values()].find((s) => s.product === "RS 2000 G12")!;
const healthThroughNginx = () => execFileSync("curl", [
  "-ksS", "--max-time", "20", "--resolve", `${HUB_DOMAIN}:443:${hubAddress}`, `https://${HUB_DOMAIN}/api/health`,
], { encoding: "utf8" }).trim();
/** Each container's health and the repository digests of the image it runs. */
const containerState = () => Object.fromEntries(CONTAINERS.map((name) => [name, onHub(
  `echo "$(docker inspect -f '{{.State.Health.Status}}' ${name}) $(docker image inspect -f '{{join .RepoDigests " "}}' "$(docker inspect -f '{{.Image}}' ${name})")"`,
).trim()]));

beforeAll(async () => {
  estate = await startEstate(`letsbe-hub-${process.pid}`, { hub: "none" });
  const server = estate.addPoolServer({ product: "RS 2000 G12", site: "Nuremberg" });
  inputs = {
    stack: STACK, zoneId: estate.zoneId, zoneName: ZONE_NAME, managementCidrs: [`${ESTATE_NETWORK.gateway}/32`],
    publicKey: estate.publicKey, registryHost: `127.0.0.1:${estate.registryPort}`,
    netcupServerName: server.name, netcupApiUrl: estate.scp.apiUrl, netcupTokenUrl: estate.scp.tokenUrl,
    cloudflareApiUrl: estate.cloudflare.apiUrl, images: estateHubImages(estate.pins, "s1"),
  };
  dir = hubWorkDir(STACK, estateHubConfig(inputs));
  secrets = {
    "letsbe-hub:provisioningPrivateKey": estate.privateKey,
    "letsbe-hub:netcupRefreshToken": estate.scp.refreshToken,
    "letsbe-hub:rcloneConfig": "[offsite]\ntype = local\n# estate-rclone-secret-5e9a\n",
    "letsbe-hub:cloudflareDnsToken": "cf-hub-dns-token-estate-71d3",
    "letsbe-hub:secretEnvironment": JSON.stringify({ STRIPE_SECRET_KEY: "sk_estate_secret_0b6f" }),
    "cloudflare:apiToken": estate.cloudflare.token,
  };
  await initHubStack(estate.engine, dir, STACK, secrets);
});

afterAll(async () => {
  await stopEstate(estate);
});

describe("the hub stack on the estate, through the real CLI", () => {
  step("up adopts the named Netcup server, and the hub serves through nginx on healthy containers", async () => {
    await upHub(estate.engine, dir, STACK);
    const server = hubServer();
    expect(server.nickname).not.toBe("letsbe-pool");
    expect(server.installed?.hostname).toBe(HUB_DOMAIN);
    hubAddress = server.ipv4;
    const outputs = JSON.parse((await pulumiAsync(estate.engine, ["stack", "output", "--json", "-s", STACK], dir)).stdout) as Record<string, unknown>;
    expect(outputs.hubIpv4).toBe(hubAddress);
    expect(outputs.hubServerProvider).toBe("netcup");
    expect(outputs.managementCidrs).toContain(`${hubAddress}/32`);
    const state = containerState();
    for (const name of CONTAINERS) expect(state[name], name).toMatch(/^healthy /);
    expect(state["letsbe-hub"]).toContain(estate.pins["letsbe/hub-web-api:s1"].digest);
    expect(healthThroughNginx()).toBe("healthy-http");
    const records = estate.cloudflare.recordsOf(estate.zoneId).filter((r) => r.name === HUB_DOMAIN);
    expect(records.map((r) => `${r.type} ${r.content}`)).toContain(`A ${hubAddress}`);
    // The database sits only on the internal network; the apps bind to loopback.
    expect(onHub("docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' letsbe-hub-db").trim()).toBe("letsbe-hub-db");
    expect(onHub("ss -Hltn 'sport = :3847'")).toContain("127.0.0.1:3847");
  });

  step("a second up changes nothing, and refresh finds no drift", async () => {
    await pulumiAsync(estate.engine, ["up", "--yes", "--expect-no-changes", "--non-interactive", "--policy-pack", join(REPO, "policy"), "-s", STACK], dir);
    await pulumiAsync(estate.engine, ["refresh", "--yes", "--expect-no-changes", "--non-interactive", "-s", STACK], dir);
  });

  step("new image pins replace the app containers under the same names and ports; the previous pins stay pulled", async () => {
    const before = Object.fromEntries(CONTAINERS.map((name) => [name, onHub(`docker inspect -f '{{.Id}}' ${name}`).trim()]));
    setHubImages(dir, STACK, estateHubConfig({ ...inputs, images: estateHubImages(estate.pins, "s2") })["letsbe-hub:images"]);
    await upHub(estate.engine, dir, STACK);
    const state = containerState();
    for (const name of CONTAINERS) expect(state[name], name).toMatch(/^healthy /);
    expect(state["letsbe-hub"]).toContain(estate.pins["letsbe/hub-web-api:s2"].digest);
    expect(state["letsbe-hub-worker"]).toContain(estate.pins["letsbe/hub-worker:s2"].digest);
    const after = Object.fromEntries(CONTAINERS.map((name) => [name, onHub(`docker inspect -f '{{.Id}}' ${name}`).trim()]));
    expect(after["letsbe-hub-db"]).toBe(before["letsbe-hub-db"]);
    for (const name of ["letsbe-hub", "letsbe-hub-worker", "letsbe-hub-notifications"]) expect(after[name], name).not.toBe(before[name]);
    for (const repo of Object.values(HUB_APP_STANDINS)) {
      const previous = estate.pins[`${repo}:s1`];
      expect(onHub(`docker image inspect -f '{{.Id}}' ${previous.repository}@${previous.digest} >/dev/null && echo pulled`).trim()).toBe("pulled");
    }
    expect(healthThroughNginx()).toBe("healthy-v2-http");
  });

  step("no secret value reaches the state, the export or the CLI's output", async () => {
    const exported = (await pulumiAsync(estate.engine, ["stack", "export", "-s", STACK], dir)).stdout;
    const state = readTree(estate.engine.backendDir);
    for (const [key, value] of Object.entries(secrets)) {
      for (const fragment of secretFragments(value)) {
        expect(exported.includes(fragment), key).toBe(false);
        expect(state.includes(fragment), key).toBe(false);
      }
    }
  });

  step("a plain destroy stops at the protected server and leaves the host serving; the next up converges", async () => {
    // The stages have no delete step: the engine drops them from the state and refuses the
    // protected server and database password; containers and data stay as they are, and the
    // next up, with the same password, leaves the database container alone.
    const before = onHub("docker inspect -f '{{.Id}}' letsbe-hub-db").trim();
    await expect(pulumiAsync(estate.engine, ["destroy", "--yes", "--skip-preview", "--non-interactive", "-s", STACK], dir)).rejects.toThrow(/protect/);
    expect(hubServer().nickname).not.toBe("letsbe-pool");
    expect(onHub("docker volume ls -q").split("\n")).toEqual(expect.arrayContaining(["hub-db-data", "hub-jobs", "hub-logs"]));
    expect(healthThroughNginx()).toBe("healthy-v2-http");
    await upHub(estate.engine, dir, STACK);
    for (const [name, state] of Object.entries(containerState())) expect(state, name).toMatch(/^healthy /);
    expect(onHub("docker inspect -f '{{.Id}}' letsbe-hub-db").trim()).toBe(before);
    expect(healthThroughNginx()).toBe("healthy-v2-http");
  });

  step("up --replace of the server reinstalls the named Netcup server, re-runs every stage and serves again", async () => {
    const exported = JSON.parse((await pulumiAsync(estate.engine, ["stack", "export", "-s", STACK], dir)).stdout) as { deployment: { resources: Array<{ urn: string; type: string; protect?: boolean }> } };
    const urn = exported.deployment.resources.find((r) => r.type === NETCUP_TYPE)!.urn;
    const installedBefore = hubServer().installed?.at;
    expect(installedBefore).toBeTruthy();
    // A marker the wipe must remove: the host is really new, not the old one left in place.
    onHub("touch /root/before-replace");
    // Protected: an operator lifts the flag on this one resource, the program's `protect` sets it again.
    await pulumiAsync(estate.engine, ["state", "unprotect", urn, "--yes", "-s", STACK], dir);
    await pulumiAsync(estate.engine, ["up", "--yes", "--skip-preview", "--non-interactive", "--policy-pack", join(REPO, "policy"), "--replace", urn, "-s", STACK], dir);
    expect(hubServer().nickname).not.toBe("letsbe-pool");
    expect(hubServer().installed?.at).not.toBe(installedBefore);
    expect(hubServer().ipv4).toBe(hubAddress);
    expect(onHub("test -e /root/before-replace && echo old || echo new").trim()).toBe("new");
    for (const [name, state] of Object.entries(containerState())) expect(state, name).toMatch(/^healthy /);
    expect(containerState()["letsbe-hub"]).toContain(estate.pins["letsbe/hub-web-api:s2"].digest);
    expect(healthThroughNginx()).toBe("healthy-v2-http");
    // The bootstrap ran again on the new installation: hardened, backup timer on.
    expect(onHub("systemctl is-enabled letsbe-hub-backup.timer").trim()).toBe("enabled");
    const after = JSON.parse((await pulumiAsync(estate.engine, ["stack", "export", "-s", STACK], dir)).stdout) as typeof exported;
    expect(after.deployment.resources.find((r) => r.type === NETCUP_TYPE)?.protect).toBe(true);
    await pulumiAsync(estate.engine, ["up", "--yes", "--expect-no-changes", "--non-interactive", "--policy-pack", join(REPO, "policy"), "-s", STACK], dir);
  });

  step("decommission removes the containers and DNS, and hands the Netcup server back to the pool", async () => {
    await decommissionHub(estate.engine, dir, STACK, "decommission-estate-hub");
    expect(estate.cloudflare.recordsOf(estate.zoneId).filter((r) => r.name === HUB_DOMAIN)).toEqual([]);
    expect(hubServer().nickname).toBe("letsbe-pool");
  });
});
