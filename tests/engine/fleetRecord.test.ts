/**
 * Issue 12 part 1 on the built CLI: the Pulumi backend is the fleet's record. A tenant is its stack
 * `letsbe-tenant/<slug>`: spec (provider pinned) and release pins in its stack config, listing fields in
 * its tags. The service and a CI runner on a fresh machine (another store, another work folder, nothing
 * shared but the backend) see one fleet; a lock left by a SIGKILLed `up` is cleared and the next
 * operation converges, on a stand-in program and then on the local estate with the real tenant program.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { tenantUp } from "../../automation/cli/tenant";
import { PlainProgress } from "../../automation/cli/progress";
import { AutomationContext, readContextEnv } from "../../automation/context";
import { OrderFlow } from "../../automation/orders/flow";
import { ServerPool } from "../../automation/orders/provider";
import { parseOrder } from "../../automation/orders/schema";
import { StackTenantStore } from "../../automation/orders/store";
import { LocalTenantWorkspace } from "../../automation/workspace/local";
import { holderIsDead, lockHolders } from "../../automation/workspace/locks";
import type { EngineEvent, OperationResult, StackOperation, TenantWorkspace } from "../../automation/workspace/types";
import { ReleaseOverride } from "../../tenants/release";
import { SECRETS } from "../automation/support";
import { EngineEnv, REPO, engineEnv, pulumi } from "./lib/engine";
import { Estate, ZONE_NAME, startEstate, stopEstate } from "./lib/estate";
import { SettingsWorkspace } from "./lib/settings";

const ORG = "organization"; // the file backend's only organization
const DIGEST = (c: string) => `sha256:${c.repeat(64)}`;
const PINS_A: ReleaseOverride = { openclaw: { repository: "code.letsbe.solutions/letsbe/openclaw", tag: "2026.3.1", digest: DIGEST("a") } };
const PINS_B: ReleaseOverride = { openclaw: { repository: "code.letsbe.solutions/letsbe/openclaw", tag: "2026.4.0", digest: DIGEST("b") } };

const processIds = () => readdirSync("/proc").filter((e) => /^\d+$/.test(e));
/** Throws when the process has ended. */
const parentOf = (pid: string) => Number(readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "").split(" ")[1]);

/** The CLI child this process started for `pulumi up` on a stack: the process holding the stack's lock. */
function upProcessOf(slug: string): number | undefined {
  for (const entry of processIds()) {
    try {
      const ppid = parentOf(entry);
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (ppid === process.pid && argv[0].endsWith("pulumi") && argv[1] === "up" && argv.some((a) => a.endsWith(slug))) return Number(entry);
    } catch {
      // the process ended while being read
    }
  }
  return undefined;
}

function locksOf(engine: EngineEnv, slug: string): string[] {
  const dir = join(engine.backendDir, ".pulumi", "locks", ORG, "letsbe-tenant", slug);
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".json")) : [];
}

/** The process and everything under it (the language host, the program, the plugins). */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of processIds()) {
    try {
      const ppid = parentOf(entry);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // the process ended while being read
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]) ?? []));
  return tree;
}

/**
 * SIGKILLs the stack's `up` once it holds its lock and its CLI process is found, with the whole
 * tree, as a machine dying takes it: the CLI alone would leave its language host running on.
 */
async function killWhenLocked(engine: EngineEnv, slug: string, ready: () => boolean = () => true): Promise<number> {
  for (;;) {
    const pid = locksOf(engine, slug).length > 0 && ready() ? upProcessOf(slug) : undefined;
    if (pid !== undefined) {
      for (const member of processTree(pid)) {
        try {
          process.kill(member, "SIGKILL");
        } catch {
          // already gone
        }
      }
      return pid;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("the fleet record in the backend, on the built CLI with a stand-in program", () => {
  let engine: EngineEnv;
  const hold = { ms: 0 };
  let free = 1;
  const pool: ServerPool = { freeServers: async () => free };

  /** One machine: its own store and work folder; only the backend is shared. */
  function machine(): { store: StackTenantStore; flow: OrderFlow; context: AutomationContext } {
    const workRoot = mkdtempSync(join(tmpdir(), "letsbe-machine-"));
    const store = new StackTenantStore({ envVars: engine.env, org: ORG, workRoot });
    const local = new LocalTenantWorkspace({ programDir: join(REPO, "tests", "engine", "programs", "record"), envVars: engine.env, workRoot });
    const workspace = new SettingsWorkspace(local, () => ({ "letsbe-tenant:holdMs": { value: String(hold.ms) } }));
    const flow = new OrderFlow({ workspace, store, org: ORG, secrets: SECRETS, pool, attempts: 1, tenantBaseDomain: () => undefined });
    const context: AutomationContext = { env: readContextEnv({}), dataDir: workRoot, workspace, store, flow };
    return { store, flow, context };
  }

  const order = (tools: string[], release?: ReleaseOverride) => parseOrder({
    orderId: "ord-rec-one",
    tenant: {
      slug: "rec-one", domain: "rec-one.eu.letsbe.biz", region: "eu", tier: "build", provider: "auto", group: "canary",
      tools, contactEmail: "owner@rec-one.example", createdAt: "2026-11-20",
    },
    ...(release ? { release } : {}),
  });

  /** A CI runner: a fresh machine running `letsbe tenant up` from the repository's spec file. */
  async function ciTenantUp(tools: string[]): Promise<{ code: number; err: string }> {
    const ci = machine();
    const dir = mkdtempSync(join(tmpdir(), "letsbe-ci-tenants-"));
    writeFileSync(join(dir, "rec-one.yaml"), stringify({
      slug: "rec-one", domain: "rec-one.eu.letsbe.biz", region: "eu", tier: "build", provider: "hetzner", group: "canary",
      tools, contactEmail: "owner@rec-one.example", createdAt: "2026-11-20",
    }));
    let err = "";
    const sink = { write: () => true } as unknown as NodeJS.WritableStream;
    const code = await tenantUp(ci.context, "rec-one", { tenants: dir }, { out: () => undefined, err: (s) => { err += s; }, env: {} }, new PlainProgress(sink));
    return { code, err };
  }

  function outputs(): Record<string, unknown> {
    const dir = mkdtempSync(join(tmpdir(), "letsbe-out-"));
    writeFileSync(join(dir, "Pulumi.yaml"), "name: letsbe-tenant\nruntime: nodejs\n");
    return JSON.parse(pulumi(engine, ["stack", "output", "--json", "--show-secrets", "--stack", "rec-one"], dir)) as Record<string, unknown>;
  }

  beforeAll(() => {
    engine = engineEnv();
  });

  it("a tenant provisioned by the service is read by a fresh machine: spec, pinned provider and pins in config, listing in tags", async () => {
    const service = machine();
    const outcome = await service.flow.provision(order(["nextcloud", "calcom"], PINS_A));
    expect(outcome.reason, outcome.reason).toBeUndefined();
    const runner = machine();
    const record = await runner.store.get("rec-one");
    expect(record).toMatchObject({
      slug: "rec-one", orderId: "ord-rec-one", status: "active", release: PINS_A,
      spec: { provider: "netcup", tools: ["nextcloud", "calcom"], group: "canary", region: "eu", createdAt: "2026-11-20" },
    });
    expect(record?.provisionedAt).toEqual(expect.any(String));
    expect((await runner.store.list()).map((r) => r.slug)).toEqual(["rec-one"]);
    const dir = mkdtempSync(join(tmpdir(), "letsbe-tags-"));
    writeFileSync(join(dir, "Pulumi.yaml"), "name: letsbe-tenant\nruntime: nodejs\n");
    const tags = JSON.parse(pulumi(engine, ["stack", "tag", "ls", "--json", "--stack", "rec-one"], dir)) as Record<string, string>;
    expect(tags).toMatchObject({ "letsbe:group": "canary", "letsbe:region": "eu", "letsbe:createdAt": "2026-11-20", "letsbe:status": "active", "letsbe:provider": "netcup" });
  });

  it("a CI `tenant up` on a fresh runner keeps the pins a rollout moved (it used to revert them to the catalog's)", async () => {
    const service = machine();
    const moved = await service.flow.update("rec-one", PINS_B, "rollout-openclaw-2026.4.0");
    expect(moved.reason, moved.reason).toBeUndefined();
    const ci = await ciTenantUp(["nextcloud", "calcom"]);
    expect(ci.err).toBe("");
    expect(ci.code).toBe(0);
    expect(outputs().release).toEqual(PINS_B);
  });

  it("a changed spec is applied by the flow and by CI, and the pinned provider is kept (provision used to ignore it)", async () => {
    free = 0; // the pool is empty now: a re-decision would say hetzner
    const service = machine();
    const outcome = await service.flow.provision(order(["nextcloud", "calcom", "ghost"]));
    expect(outcome.reason, outcome.reason).toBeUndefined();
    expect(outputs().spec).toMatchObject({ provider: "netcup", tools: ["nextcloud", "calcom", "ghost"] });
    expect(outputs().release).toEqual(PINS_B);
    const ci = await ciTenantUp(["nextcloud", "ghost"]);
    expect(ci.code, ci.err).toBe(0);
    expect(outputs().spec).toMatchObject({ provider: "netcup", tools: ["nextcloud", "ghost"] });
    expect((await machine().store.get("rec-one"))?.spec.tools).toEqual(["nextcloud", "ghost"]);
  });

  it("a live holder's lock is never taken for a dead one's", () => {
    const refusal = new Error(`error: the stack is currently locked by 1 lock(s).\n  file:///x/.pulumi/locks/organization/letsbe-tenant/a/1.json: created by root@${hostname()} (pid ${process.pid}) at 2026-12-01T12:00:00Z`);
    expect(lockHolders(refusal)).toEqual([{ user: "root", host: hostname(), pid: process.pid }]);
    expect(holderIsDead(lockHolders(refusal)[0])).toBe(false);
    expect(holderIsDead({ user: "root", host: "another-host", pid: 999_999 })).toBe(false);
  });

  it("a SIGKILLed `up` leaves its lock; the next operation from another machine clears it with `pulumi cancel` and converges", async () => {
    const service = machine();
    hold.ms = 120_000;
    const running = service.flow.update("rec-one", PINS_A, "rollout-killed");
    const killed = await killWhenLocked(engine, "rec-one");
    const outcome = await running;
    expect(outcome.ok).toBe(false);
    const left = locksOf(engine, "rec-one");
    expect(left).toHaveLength(1);
    expect(readFileSync(join(engine.backendDir, ".pulumi", "locks", ORG, "letsbe-tenant", "rec-one", left[0]), "utf8")).toMatch(new RegExp(`"pid":\\s*${killed}\\b`));
    hold.ms = 0;
    const ci = await ciTenantUp(["nextcloud", "ghost"]);
    expect(ci.code, ci.err).toBe(0);
    expect(locksOf(engine, "rec-one")).toEqual([]);
    // The killed update recorded nothing: the record holds the pins of the last update that ran.
    expect(outputs().release).toEqual(PINS_B);
    expect((await machine().store.get("rec-one"))?.release).toEqual(PINS_B);
  });

  it("destroy removes the stack, and with it the record, for every machine", async () => {
    const service = machine();
    const outcome = await service.flow.destroy("rec-one", "rec-one", "destroy-rec-one");
    expect(outcome.reason, outcome.reason).toBeUndefined();
    const runner = machine();
    expect(await runner.store.get("rec-one")).toBeUndefined();
    expect(await runner.store.list()).toEqual([]);
  });
});

/** Counts the engine's finished bootstrap commands, to kill the CLI once the host is being set up. */
class Watching implements TenantWorkspace {
  readonly kind: string;
  commandsDone = 0;
  constructor(private readonly inner: TenantWorkspace) {
    this.kind = inner.kind;
  }
  private watched(op: StackOperation): StackOperation {
    return {
      ...op,
      onEvent: (event: EngineEvent) => {
        if (event.resOutputsEvent?.metadata.type === "command:remote:Command") this.commandsDone += 1;
        op.onEvent?.(event);
      },
    };
  }
  up(op: StackOperation): Promise<OperationResult> { return this.inner.up(this.watched(op)); }
  preview(op: StackOperation): Promise<OperationResult> { return this.inner.preview(this.watched(op)); }
  destroy(op: StackOperation): Promise<OperationResult> { return this.inner.destroy(this.watched(op)); }
  refresh(op: StackOperation): Promise<OperationResult> { return this.inner.refresh(this.watched(op)); }
}

describe("a SIGKILL mid-`up` of a real tenant on the local estate", () => {
  const SLUG = "eng-killed";
  let estate: Estate;

  beforeAll(async () => {
    estate = await startEstate(`letsbe-engine-rec-${process.pid}`);
  });

  afterAll(async () => {
    await stopEstate(estate);
  });

  it("the killed provision's lock is cleared, the next provision converges on one server, and a further up changes nothing", async () => {
    const workRoot = join(estate.dir, "fleet");
    mkdirSync(workRoot, { recursive: true });
    const store = new StackTenantStore({ envVars: estate.engine.env, org: ORG, workRoot });
    const watching = new Watching(estate.workspace);
    const flow = new OrderFlow({ workspace: watching, store, org: ORG, secrets: estate.secrets, attempts: 1, timeoutMs: 3_600_000 });
    const order = parseOrder({
      orderId: `order-${SLUG}`,
      tenant: {
        slug: SLUG, domain: `${SLUG}.${ZONE_NAME}`, cloudflareZoneId: estate.zoneId, region: "eu", tier: "lite", provider: "hetzner",
        tools: ["uptime_kuma"], contactEmail: "ops@example.net", createdAt: "2026-11-22",
      },
      release: { openclaw: estate.pins["letsbe/openclaw:s1"], safetyWrapper: estate.pins["letsbe/safety-wrapper:s1"], secretsProxy: estate.pins["letsbe/secrets-proxy:s1"] },
    });
    const first = flow.provision(order);
    // Killed while the host is being bootstrapped: the server exists, the update is mid-way.
    await killWhenLocked(estate.engine, SLUG, () => watching.commandsDone >= 1);
    const killed = await first;
    expect(killed.ok).toBe(false);
    expect(locksOf(estate.engine, SLUG)).toHaveLength(1);
    expect(estate.hetzner.servers.size).toBe(1);

    // Another machine's flow (its own store and work folder) picks the tenant up from the backend.
    const otherRoot = join(estate.dir, "fleet-other");
    mkdirSync(otherRoot, { recursive: true });
    const other = new OrderFlow({
      workspace: estate.workspace, store: new StackTenantStore({ envVars: estate.engine.env, org: ORG, workRoot: otherRoot }),
      org: ORG, secrets: estate.secrets, attempts: 1, timeoutMs: 3_600_000,
    });
    const again = await other.provision(order);
    expect(again.reason, again.reason).toBeUndefined();
    expect(again.ok).toBe(true);
    expect(locksOf(estate.engine, SLUG)).toEqual([]);
    expect(estate.hetzner.servers.size).toBe(1);
    expect(again.outputs.ipv4).toBe([...estate.hetzner.primaryIps.values()].find((ip) => ip.type === "ipv4")?.ip);

    const record = (await store.get(SLUG))!;
    const still = await other.update(SLUG, record.release, "op-noop");
    expect(still.reason, still.reason).toBeUndefined();
    const changed = estate.workspace.runs.at(-1)!.steps.filter((st) => st.op !== "same").map((st) => `${st.op} ${st.name}`);
    expect(Object.keys(still.changes), changed.join(", ")).toEqual(["same"]);

    const gone = await other.destroy(SLUG, SLUG, "op-destroy");
    expect(gone.reason, gone.reason).toBeUndefined();
    expect(estate.hetzner.servers.size).toBe(0);
    expect(await store.get(SLUG)).toBeUndefined();
  });
});
