/**
 * Issue 15, part 4 on the real host: an image with no shell cannot run an in-container probe,
 * so apply.sh asks it over HTTP from the host (the manifest's `probe`). A shell-less stand-in
 * (one static binary) run as Stalwart is judged healthy by that probe; a release of it that does
 * not answer 200 on /healthz/live fails the apply and is rolled back to the one that does.
 */
import { afterAll, beforeAll, describe, expect } from "vitest";
import { ImagePin, ReleasePins, SIDECAR_IMAGES, TOOLS, Tool, ToolId } from "../../tenants/catalog";
import { sequentialSteps } from "./lib/steps";
import { StackRelease, TenantHost, applyCompose, ensureEngine, pushStandins, startTenantHost, stopEngineIfStarted, stopTenantHost } from "./lib/tenantHost";

const NAME = `letsbe-probes-test-${process.pid}`;
const HEALTH = { intervalS: 2, timeoutS: 5, retries: 3, startPeriodS: 30 };
// Bounded retries, kept short here: 5 attempts 1 s apart.
const PROBE_ENV = "LB_PROBE_ATTEMPTS=5 LB_PROBE_INTERVAL=1 ";
const { step } = sequentialSteps();

let host: TenantHost;
let pins: Record<string, ImagePin> = {};

const stack = (stalwart: ImagePin): StackRelease => {
  const release: ReleasePins = { openclaw: pins["letsbe/openclaw:s1"], safetyWrapper: pins["letsbe/safety-wrapper:s1"], secretsProxy: pins["letsbe/secrets-proxy:s1"], policyBundle: "2026.11.1" };
  const catalog: Record<ToolId, Tool> = { ...TOOLS, stalwart: { ...TOOLS.stalwart, image: stalwart } };
  return { tools: ["stalwart"], release, catalog, sidecars: SIDECAR_IMAGES };
};
const containerOf = (service: string) => host.run(`docker compose -p letsbe ps -q ${service}`);

describe("host probes for images without a shell", () => {
  beforeAll(async () => {
    ensureEngine();
    host = await startTenantHost(NAME);
    pins = pushStandins(NAME, [
      "letsbe/openclaw:s1:healthy", "letsbe/safety-wrapper:s1:healthy", "letsbe/secrets-proxy:s1:healthy",
      "tools/stalwart:s1:noshell-http", "tools/stalwart:s2-broken:noshell-broken",
    ]);
  });

  afterAll(() => {
    stopTenantHost(host, NAME);
    stopEngineIfStarted();
  });

  step("judges a shell-less image healthy by the host's HTTP probe", async () => {
    const result = await applyCompose(host, stack(pins["tools/stalwart:s1"]), HEALTH, PROBE_ENV);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("host probe: stalwart answered 200 on 8080/healthz/live");
    const id = (await containerOf("stalwart")).trim();
    // No shell in it: neither the in-container probe nor a shell can run there.
    const shell = await host.session.exec(`docker exec ${id} /bin/sh -c true`);
    expect(shell.code).not.toBe(0);
    expect(await host.run(`docker inspect -f '{{.State.Status}} {{if .State.Health}}has-health{{else}}no-health{{end}}' ${id}`)).toBe("running no-health\n");
  });

  step("fails a release whose shell-less image does not answer, naming it, and rolls back to the one that does", async () => {
    const result = await applyCompose(host, stack(pins["tools/stalwart:s2-broken"]), HEALTH, PROBE_ENV);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/host probe: stalwart answered 404 on [0-9.]+:8080\/healthz\/live, expected 200 \(5 attempts\)/);
    expect(result.stderr).toContain("failed its health gate; unhealthy services: stalwart; rolled back to");
    const id = (await containerOf("stalwart")).trim();
    expect(await host.run(`docker inspect -f '{{.Config.Image}}' ${id}`)).toContain(pins["tools/stalwart:s1"].digest);
    const current = JSON.parse(await host.run("cat /opt/letsbe/stack/current/manifest.json")) as { services: Record<string, { image: string; probe?: unknown }> };
    expect(current.services.stalwart.image).toContain(pins["tools/stalwart:s1"].digest);
    expect(current.services.stalwart.probe).toEqual({ port: 8080, path: "/healthz/live", status: 200 });
    // The rolled-back release answers the host's probe again.
    const addr = (await host.run(`docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' ${id}`)).trim();
    expect(await host.run(`curl -s -o /dev/null -w '%{http_code}' http://${addr}:8080/healthz/live`)).toBe("200");
  });
});
