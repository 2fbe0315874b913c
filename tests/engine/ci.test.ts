/**
 * The Gitea workflows run for real by act (nektos/act, the base of Gitea's act_runner, built from the
 * Go module proxy by `npm run engine`), self-hosted on this machine, on a clone of this repository in
 * which a pull request changes one tenant spec. The deploy workflow runs against the built CLI on the
 * local estate (lib/ciFleet.ts): the tenant it changes, and another, were provisioned by the order
 * flow, which recorded the estate's endpoints and stand-in image pins in their stack config; the
 * runner's `tenant up` reads the fleet from the backend and applies the merged spec to the host.
 *
 * Left out of the deploy run, because they cannot run here: `check` (the unit tier, run on its own),
 * the hub `pulumi up` jobs (the hub program needs its real servers) and the tenant job's `pins verify`
 * step (the lock's registries are not reachable from this machine). The production pin gate still
 * judges the `up`: every image these stacks deploy is a per-stack pin by digest, which it passes.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { parseDocument } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pluginHome } from "../../automation/engine/paths";
import { StackTenantStore } from "../../automation/orders/store";
import type { TenantSpec } from "../../tenants/schema";
import { ActResult, runAct } from "../ci/act";
import { FakeGitea } from "../ci/fakeGitea";
import { CiFleet, builtCheckout, orderOf, specAt, stackFootprint, stackOutputs, startCiFleet } from "./lib/ciFleet";
import { EngineEnv, REPO, TEST_PASSPHRASE, engineBin } from "./lib/engine";
import { stopEstate } from "./lib/estate";
import { onHost } from "./lib/hostChecks";
import { ESTATE_ORG } from "./lib/hub";

const SLUG = "sandbox-eu";
/** A tenant the Hub ordered, with no spec in the repository: the deploy must leave its stack alone. */
const OTHER: TenantSpec = {
  slug: "pilot-eu", domain: "pilot.eu.letsbe.biz", region: "eu", tier: "lite", provider: "hetzner", group: "canary",
  tools: ["vaultwarden"], contactEmail: "ops@pilot.example", createdAt: "2026-11-30",
};
const CORE = ["openclaw", "safety-wrapper", "secrets-proxy"];
const PR = 7;
const GITEA_HOST = "gitea.example.net";
let fleet: CiFleet;
let engine: EngineEnv;
let gitea: FakeGitea;
let dir: string;
let clone: string;
let base: string;
let merge: string;

const git = (args: string[], cwd = clone) => execFileSync("git", ["-c", "user.name=ci-test", "-c", "user.email=ci-test@example.net", ...args], { cwd, encoding: "utf8" }).trim();

/** A self-hosted runner's environment: the built CLI on PATH, its plugin home; no backend, no credential. */
function runnerEnv(): Record<string, string> {
  return {
    PATH: `${engineBin()}:${process.env.PATH ?? ""}`,
    HOME: process.env.HOME ?? "/root",
    LANG: "C.UTF-8",
    PULUMI_HOME: pluginHome(REPO),
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
  };
}

/** Tenant stacks in the file backend. */
function tenantStacks(): string[] {
  const stacks = join(engine.backendDir, ".pulumi", "stacks", "letsbe-tenant");
  try {
    return readdirSync(stacks).filter((f) => f.endsWith(".json")).map((f) => f.replace(/\.json$/, "")).sort();
  } catch {
    return [];
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "letsbe-ci-"));
  // The Hub service runs the same commit as the repository's main.
  const service = join(dir, "service");
  builtCheckout(service);
  fleet = await startCiFleet(`letsbe-engine-ci-${process.pid}`, service);
  engine = fleet.estate.engine;
  clone = join(dir, "repo");
  mkdirSync(clone);
  // The committed tree, as a Gitea repository holds it.
  execFileSync("bash", ["-c", `git -C "${REPO}" archive HEAD | tar -x -C "${clone}"`]);
  git(["init", "-q", "-b", "main"]);
  git(["remote", "add", "origin", `https://${GITEA_HOST}/letsbe/infra.git`]);
  git(["add", "-A"]);
  git(["commit", "-qm", "base"]);
  base = git(["rev-parse", "HEAD"]);
  git(["checkout", "-qb", "spec-change"]);
  const spec = join(clone, "tenants", `${SLUG}.yaml`);
  writeFileSync(spec, readFileSync(spec, "utf8").replace("tools: [nocodb, umami, uptime_kuma]", "tools: [nocodb, umami]"));
  git(["commit", "-qam", `${SLUG}: drop uptime_kuma`]);
  gitea = await FakeGitea.start({ version: "1.26.0", pulls: [] });
}, 900_000);

afterAll(async () => {
  await gitea?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  await stopEstate(fleet?.estate);
});

describe("pull request", () => {
  let run: ActResult;

  beforeAll(async () => {
    run = await runAct({
      workflow: join(clone, ".gitea", "workflows", "pull-request.yaml"), workdir: clone, event: "pull_request", job: "tenants",
      payload: { action: "opened", number: PR, pull_request: { number: PR, base: { ref: "main", sha: base }, head: { ref: "spec-change", sha: git(["rev-parse", "HEAD"]) } } },
      runnerEnv: runnerEnv(), instance: GITEA_HOST, actEnv: { GITHUB_SERVER_URL: gitea.url },
    });
  }, 900_000);

  it("finds the one changed spec and plans exactly that tenant stack, green", () => {
    expect(run.log, run.log.slice(-3000)).toMatch(/changed files:\s*\n[^\n]*tenants\/sandbox-eu\.yaml\s*\n/);
    const planned = [...run.log.matchAll(/\|\s+letsbe-tenant\/([a-z0-9-]+)\s*$/gm)].map((m) => m[1]);
    expect(planned).toEqual([SLUG]);
    expect(run.log).not.toMatch(/Job failed/);
    expect(run.code).toBe(0);
  });

  it("touches no backend: unreviewed code gets no credential, so no stack is read or written", () => {
    expect(tenantStacks()).toEqual([]);
  });
});

/** main.yaml without the jobs and the step that cannot run here (see the file's comment). */
function deployWorkflow(): string {
  const doc = parseDocument(readFileSync(join(clone, ".gitea", "workflows", "main.yaml"), "utf8"));
  for (const job of ["check", "up-prod-eu", "up-prod-us"]) doc.deleteIn(["jobs", job]);
  doc.setIn(["jobs", "tenants", "needs"], ["gitea", "approval"]);
  const steps = doc.getIn(["jobs", "tenants", "steps"]) as { items: Array<{ get: (k: string) => unknown }> };
  const verify = steps.items.findIndex((s) => String(s.get("run") ?? "").includes("pins verify"));
  expect(verify).toBeGreaterThan(0);
  steps.items.splice(verify, 1);
  const file = join(dir, "deploy.yaml");
  writeFileSync(file, doc.toString());
  return file;
}

describe("merge to main", () => {
  // The estate's credentials, as the repository's secrets hold production's; the us token is another project's.
  const secrets = () => ({
    GITHUB_TOKEN: `gitea-token-${randomBytes(8).toString("hex")}`,
    PULUMI_CONFIG_PASSPHRASE: TEST_PASSPHRASE,
    TENANT_PROVISIONING_PRIVATE_KEY: fleet.estate.privateKey,
    HCLOUD_TOKEN_EU: fleet.estate.hetzner.token,
    HCLOUD_TOKEN_US: randomBytes(32).toString("hex"),
    CLOUDFLARE_API_TOKEN: fleet.estate.cloudflare.token,
  });
  const deploy = (workflow: string) => runAct({
    workflow, workdir: clone, event: "push", job: "tenants",
    payload: { ref: "refs/heads/main", before: base, after: merge, deleted: false, forced: false },
    secrets: secrets(), vars: { PULUMI_BACKEND_URL: engine.env.PULUMI_BACKEND_URL!, LETSBE_ORG: ESTATE_ORG, DEPLOY_APPROVERS: "alice" },
    runnerEnv: runnerEnv(), instance: GITEA_HOST, actEnv: { GITHUB_SERVER_URL: gitea.url },
  });
  let workflow: string;

  beforeAll(async () => {
    git(["checkout", "-q", "main"]);
    git(["merge", "-q", "--no-ff", "-m", `Merge pull request #${PR}`, "spec-change"]);
    merge = git(["rev-parse", "HEAD"]);
    await gitea.stop();
    gitea = await FakeGitea.start({ version: "1.25.3", pulls: [{ number: PR, author: "bob", mergeSha: merge, reviews: [{ login: "bob", state: "APPROVED" }, { login: "alice", state: "APPROVED" }] }] });
    workflow = deployWorkflow();
  }, 900_000);

  it("on Gitea 1.25 (which would cancel it on the next merge) stops before any stack is touched", async () => {
    const run = await deploy(workflow);
    expect(run.code).not.toBe(0);
    expect(run.log, run.log.slice(-3000)).toContain("Gitea 1.25.3 ignores 'concurrency:'");
    expect(run.log).not.toContain("tenant up");
    expect(tenantStacks()).toEqual([]);
  }, 900_000);

  const before: Record<string, { updates: number; state: string }> = {};
  let ipv4: string;

  // After the runs that must touch no stack: the tenants as the Hub's order flow left them, from the base specs.
  it("the fleet: sandbox-eu (its spec before the merge) and pilot-eu provisioned by the order flow, recorded in the backend", async () => {
    const [sandbox, other] = await Promise.all([
      fleet.flow.provision(orderOf(specAt(clone, base, SLUG), fleet.release)),
      fleet.flow.provision(orderOf(OTHER, fleet.release)),
    ]);
    const calls = () => JSON.stringify(fleet.estate.cloudflare.log.slice(-8).map((c) => `${c.method} ${c.path} ${c.status}`));
    expect(sandbox.reason, `${sandbox.reason} (last Cloudflare calls ${calls()})`).toBeUndefined();
    expect(other.reason, other.reason).toBeUndefined();
    ipv4 = String(sandbox.outputs.ipv4);
    expect(await composeServices(ipv4)).toEqual([...CORE, "nocodb", "umami", "umami-db", "uptime-kuma"].sort().map((s) => `${s} healthy`));
    for (const slug of [SLUG, OTHER.slug]) before[slug] = stackFootprint(engine, slug);
    expect(fleet.estate.hetzner.servers.size).toBe(2);
  }, 3_600_000);

  it("on Gitea 1.26, approved by a deploy approver, runs tenant up for exactly the changed tenant through the CLI", async () => {
    gitea.setVersion("1.26.0");
    const run = await deploy(workflow);
    expect(run.log).toContain("Gitea 1.26.0: concurrency is honoured");
    expect(run.log).toContain(`pull request #${PR} approved by alice`);
    expect(gitea.requests.filter((r) => r.path.includes(`/commits/${merge}/pull`) || r.path.endsWith(`/pulls/${PR}/reviews`)).every((r) => r.authorized)).toBe(true);
    expect(run.log).toContain("tenants of us to converge: none");
    const ups = [...run.log.matchAll(/::group::tenant up ([a-z0-9-]+)|\|\s+tenant up ([a-z0-9-]+)\s*$/gm)].map((m) => m[1] ?? m[2]);
    expect([...new Set(ups)]).toEqual([SLUG]);
    // The CLI took the environment the workflow set (a missing or bad variable exits 2 naming it).
    expect(run.log).not.toMatch(/environment: [A-Z_]+/);
    // No stack created: the fleet's two, and only the changed one has a new update.
    expect(tenantStacks()).toEqual([OTHER.slug, SLUG].sort());
    expect(run.log, run.log.slice(-4000)).not.toMatch(/Job failed|sandbox-eu: FAILED/);
    expect(run.code).toBe(0);
    expect(stackFootprint(engine, SLUG).updates).toBe(before[SLUG].updates + 1);
    expect(stackFootprint(engine, OTHER.slug)).toEqual(before[OTHER.slug]);
  }, 900_000);

  it("the merged spec landed: uptime_kuma gone from the host, the rest still serving on the same server; the record says so", async () => {
    expect(await composeServices(ipv4)).toEqual([...CORE, "nocodb", "umami", "umami-db"].sort().map((s) => `${s} healthy`));
    expect(fleet.estate.hetzner.servers.size).toBe(2);
    expect(stackOutputs(engine, SLUG)).toMatchObject({ ipv4, provider: "hetzner", release: fleet.release });
    const record = await new StackTenantStore({ envVars: engine.env, org: ESTATE_ORG, workRoot: dir }).get(SLUG);
    expect(record).toMatchObject({ orderId: `order-${SLUG}`, status: "active", spec: { tools: ["nocodb", "umami"], provider: "hetzner" } });
    expect(fleet.estate.hetzner.violations).toEqual([]);
    expect(fleet.estate.cloudflare.violations).toEqual([]);
  });
});

async function composeServices(address: string): Promise<string[]> {
  return onHost(address, fleet.estate.privateKey, async (ssh) =>
    (await ssh.run("docker compose -p letsbe ps --format '{{.Service}} {{.Health}}'")).trim().split("\n").sort());
}
