/**
 * A server whose install may have started stays with its tenant, and the next create adopts it:
 * after an engine killed during the install (a real SIGKILL of a process running the compiled
 * provider code) and after an install POST whose answer was a 5xx or never came. Nothing is
 * leaked (claimed for a tenant that holds no stack for it) and nothing goes back to the pool
 * unwiped.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createServer } from "../../components/netcup/lifecycle";
import type { FakeScp } from "../fakes/scp/server";
import { repoRoot } from "../fakes/scp/spec";
import { fakeForEachTest, inputsFor, orphans, requireDist } from "./helpers";

const SERVERS = [{ product: "RS 4000 G12" }, { product: "RS 4000 G12" }, { product: "RS 2000 G12" }];
const INSTALL = /^\/api\/v1\/servers\/\d+\/image$/;

let fake: FakeScp | undefined;
const startFake = fakeForEachTest();

const claimedFor = (f: FakeScp, owner: string) => [...f.servers.values()].filter((s) => s.nickname === `letsbe-tenant:${owner}`);

/** Runs the compiled create in a child process (inputs on stdin, so no secret in its arguments). */
function createInChild(inputs: object): { child: ChildProcess; exited: Promise<NodeJS.Signals | number | null> } {
  const lifecycle = join(repoRoot(), "dist", "components", "netcup", "lifecycle.js");
  const code = `let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>require(${JSON.stringify(lifecycle)}).createServer(JSON.parse(s)).then(()=>process.exit(0),()=>process.exit(1)));`;
  const child = spawn(process.execPath, ["-e", code], { stdio: ["pipe", "ignore", "ignore"] });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on("exit", (status, signal) => resolve(signal ?? status)));
  child.stdin?.end(JSON.stringify(inputs));
  return { child, exited };
}

describe("a server whose install may have started", () => {
  it("engine killed during the install: the retry adopts the server claimed for the tenant instead of leaking it", async () => {
    // Fails early when dist/ is older than the sources.
    requireDist("components/netcup/lifecycle");
    const running: { child?: ChildProcess } = {};
    let installedOn: number | undefined;
    fake = await startFake({
      servers: SERVERS,
      // The install was accepted; the engine dies before it hears the task finish.
      onImageInstall: async ({ server }) => {
        if (installedOn === undefined) {
          installedOn = server.id;
          running.child?.kill("SIGKILL");
        }
      },
    });
    const run = createInChild(inputsFor(fake));
    running.child = run.child;
    expect(await run.exited).toBe("SIGKILL");
    expect(installedOn).toBeDefined();
    expect(claimedFor(fake, "nordlicht-studio").map((s) => s.id)).toEqual([installedOn]);

    const { id } = await createServer(inputsFor(fake));
    expect(id).toBe(String(installedOn));
    const server = fake.servers.get(installedOn!)!;
    expect(server.installCount).toBe(2);
    expect(server.installed?.hostname).toBe("nordlicht-studio.de");
    expect([...fake.servers.values()].filter((s) => s.id !== installedOn).map((s) => s.nickname)).toEqual(["letsbe-pool", "letsbe-pool"]);
    expect(orphans(fake, new Map([["nordlicht-studio", id]]))).toEqual([]);
  });

  it.each([
    ["a 503", (f: FakeScp) => f.faults.serverErrors(1, 503, INSTALL, "POST")],
    ["a lost answer", (f: FakeScp) => f.faults.loseAnswers(1, INSTALL, "POST")],
  ])("%s to the install POST: the server stays claimed (not back in the pool unwiped); the retry adopts it", async (_name, arm) => {
    fake = await startFake({ servers: SERVERS });
    arm(fake);
    const error = await createServer(inputsFor(fake)).then(() => undefined, (e: unknown) => e as Error);
    expect(error?.message).toContain('step "install image"');
    expect(error?.message).not.toContain("returned to the pool");
    const held = claimedFor(fake, "nordlicht-studio");
    expect(held).toHaveLength(1);
    // Never handed to another tenant in whatever state the install left it.
    expect(fake.servers.get(held[0].id)?.nickname).not.toBe("letsbe-pool");

    const { id } = await createServer(inputsFor(fake));
    expect(id).toBe(String(held[0].id));
    expect(fake.servers.get(held[0].id)?.installed?.hostname).toBe("nordlicht-studio.de");
    expect(orphans(fake, new Map([["nordlicht-studio", id]]))).toEqual([]);
  });

  it("a create adopts only a server of its product and site claimed for this very tenant", async () => {
    fake = await startFake({ servers: [{ product: "RS 4000 G12", nickname: "letsbe-tenant:other-tenant" }, { product: "RS 2000 G12", nickname: "letsbe-tenant:nordlicht-studio" }, { product: "RS 4000 G12" }] });
    const [other, wrongProduct, free] = [...fake.servers.values()];
    const { id } = await createServer(inputsFor(fake));
    expect(id).toBe(String(free.id));
    expect(other.nickname).toBe("letsbe-tenant:other-tenant");
    expect(other.installCount).toBe(0);
    expect(wrongProduct.installCount).toBe(0);
  });
});
