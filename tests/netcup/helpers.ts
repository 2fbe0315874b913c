/** Shared setup of the Netcup tests: the fake, fast inputs, orphan checks, the serialized provider. */
import { existsSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import type { NetcupServerInputs, NetcupServerOutputs } from "../../components/netcup/lifecycle";
import { FakeScp, type FakeScpOptions } from "../fakes/scp/server";
import { afterEach, expect } from "vitest";
import { repoRoot } from "../fakes/scp/spec";

export const TEST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHc8Lrs2T2cQdT1VZ2W5a1Yk0Ghf4m7ZUeGfT2bq9uXn provisioning@letsbe";
export const OTHER_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFZ3cnV0ZW5zdGVpbi1uZXctcHJvdmlzaW9uaW5nLWtleQ rotated@letsbe";

/**
 * Timings small enough for tests: polls every 5 ms, backoff from 5 ms. Claims settle 1 s: a
 * claim slower than the settle time is lost by design, and this machine can be busy.
 */
export const FAST = { taskPollMs: 5, taskTimeoutMs: 5_000, claimSettleMs: 1_000, backoffBaseMs: 5, backoffMaxMs: 40, maxAttempts: 6 } as const;

export function inputsFor(fake: FakeScp, overrides: Partial<NetcupServerInputs> = {}): NetcupServerInputs {
  return {
    region: "eu",
    site: "Nuremberg",
    product: "RS 4000 G12",
    owner: "nordlicht-studio",
    hostname: "nordlicht-studio.de",
    sshPublicKey: TEST_KEY,
    image: "Debian 13",
    apiUrl: fake.apiUrl,
    tokenUrl: fake.tokenUrl,
    refreshToken: fake.refreshToken,
    providerVersion: "test",
    tuning: FAST,
    ...overrides,
  };
}

export async function startFake(options: FakeScpOptions = {}): Promise<FakeScp> {
  return FakeScp.start({ taskMs: 10, ...options });
}

/**
 * For a file whose tests each have a fake of their own (started in the test or in beforeEach):
 * a `startFake` whose fakes, after each test, must have seen no exchange the spec refuses, and
 * are stopped either way. vitest runs afterEach hooks in reverse order of registration, so a
 * file's own afterEach registered after this call still finds the fake running.
 */
export function fakeForEachTest(): (options?: FakeScpOptions) => Promise<FakeScp> {
  const started: FakeScp[] = [];
  afterEach(async () => {
    const fakes = started.splice(0);
    try {
      for (const fake of fakes) expect(fake.violations).toEqual([]);
    } finally {
      await Promise.all(fakes.map((fake) => fake.stop()));
    }
  });
  return async (options) => {
    const fake = await startFake(options);
    started.push(fake);
    return fake;
  };
}

/**
 * Servers left in a state nobody answers for: claimed by a tenant that no stack holds, or carrying
 * an install still running. `owners` maps the tenants that do hold a server (from a create that
 * returned) to that server's id.
 */
export function orphans(fake: FakeScp, owners: ReadonlyMap<string, string>): string[] {
  fake.settleTasks();
  const problems: string[] = [];
  for (const server of fake.servers.values()) {
    const nickname = server.nickname ?? "";
    if (nickname.startsWith("letsbe-tenant:") && nickname !== "letsbe-tenant:intruder") {
      const owner = nickname.slice("letsbe-tenant:".length);
      if (owners.get(owner) !== String(server.id)) problems.push(`${server.name} claimed by ${owner}, which holds no stack for it`);
    }
    if (fake.busy(server.id)) problems.push(`${server.name} still has a task running`);
  }
  return problems;
}

/** Every string the fake knows as secret: the refresh token and every root password it issued. */
export function secretsOf(fake: FakeScp): string[] {
  return [fake.refreshToken, ...fake.rootPasswords];
}

export function leaks(text: string, secrets: readonly string[]): string[] {
  return secrets.filter((s) => s && text.includes(s));
}

/** Compiled code under dist/, as Pulumi would serialize it; fails when it is older than the source. */
export function requireDist<T>(relative: string): T {
  const root = repoRoot();
  const compiled = join(root, "dist", `${relative}.js`);
  if (!existsSync(compiled)) throw new Error(`${compiled} is missing: run \`npx tsc -p tsconfig.json\` first (npm test does)`);
  // Each provider source against its own compiled file (an incremental build rewrites changed files only).
  for (const component of ["netcup", "host"]) {
    const sourceDir = join(root, "components", component);
    for (const file of readdirSync(sourceDir).filter((f) => f.endsWith(".ts"))) {
      const built = join(root, "dist", "components", component, file.replace(/\.ts$/, ".js"));
      if (!existsSync(built) || statSync(built).mtimeMs < statSync(join(sourceDir, file)).mtimeMs) {
        throw new Error(`dist/components/${component}/${file.replace(/\.ts$/, ".js")} is older than its source: run \`npx tsc -p tsconfig.json\` first (npm test does)`);
      }
    }
  }
  return createRequire(join(root, "package.json"))(compiled) as T;
}

export interface LoadedProvider {
  /** The provider as the dynamic-provider host gets it: `require-from-string` of `__provider`, then `.handler()`. */
  readonly provider: Required<Omit<pulumi.dynamic.ResourceProvider, "configure">> & { check: NonNullable<pulumi.dynamic.ResourceProvider["check"]> };
  /** The inputs the engine would hand to create (secrets unwrapped, `__provider` included). */
  readonly inputs: NetcupServerInputs & { __provider: string };
  /** The registration as the mock runtime recorded it. */
  readonly registration: { type: string; inputs: Record<string, unknown>; secretPaths: string[]; plainInputs: Record<string, unknown> };
  readonly providerText: string;
}

type MockRuntime = typeof import("../../automation/plan/mockRuntime");
type ProviderModule = typeof import("../../components/netcup/provider");

/** Declares one NetcupServer under the shared mock runtime (compiled) and loads its serialized provider. */
export async function loadSerializedProvider(fake: FakeScp, overrides: Partial<NetcupServerInputs> = {}): Promise<LoadedProvider> {
  const { runUnderMocks } = requireDist<MockRuntime>("automation/plan/mockRuntime");
  const { NetcupServer } = requireDist<ProviderModule>("components/netcup/provider");
  const args = inputsFor(fake, overrides);
  const run = await runUnderMocks(() => {
    new NetcupServer("server", {
      region: args.region, site: args.site, product: args.product, owner: args.owner, hostname: args.hostname,
      sshPublicKey: args.sshPublicKey, image: args.image, apiUrl: args.apiUrl, tokenUrl: args.tokenUrl,
      refreshToken: args.refreshToken, tuning: args.tuning, serverName: args.serverName,
      sshPrivateKey: args.sshPrivateKey, sshPort: args.sshPort, namespace: args.namespace,
    });
  }, { project: "letsbe-tenant", stack: args.owner });
  const loaded = registeredProvider<LoadedProvider["provider"]>(run.resources, "pulumi-nodejs:dynamic/netcup:Server");
  return { ...loaded, inputs: loaded.registration.plainInputs as unknown as LoadedProvider["inputs"] };
}

type Registration = LoadedProvider["registration"] & { readonly type: string };

/** The provider of the one registered dynamic resource of `type`, as the dynamic-provider host loads it. */
export function registeredProvider<P>(resources: readonly Registration[], type: string): { provider: P; registration: Registration; providerText: string } {
  const registration = resources.find((r) => r.type === type);
  if (!registration) throw new Error(`no ${type} was registered`);
  const providerText = registration.plainInputs.__provider;
  if (typeof providerText !== "string") throw new Error("the registration has no serialized __provider");
  const load = createRequire(join(repoRoot(), "package.json"))("require-from-string") as (code: string) => { handler(): P };
  return { provider: load(providerText).handler(), registration, providerText };
}

export type { NetcupServerOutputs };
