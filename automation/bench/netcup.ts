/**
 * Netcup provider figures: HTTP calls per create and per delete (token refresh included, task
 * polls counted apart) and the wall time of a create, against the fake SCP API with zero task
 * latency and no claim settle time (production adds the 2 s settle and Netcup's own task time).
 * Measures the provider as Pulumi runs it: the `__provider` serialized under the mock runtime,
 * loaded with `require-from-string`. Several rounds on a fresh account; the call counts are the
 * worst round (the first registers the SSH key), the wall time is the median.
 */
import type * as pulumi from "@pulumi/pulumi";
import { runUnderMocks } from "../plan/mockRuntime";
import type { NetcupServerInputs, NetcupServerOutputs } from "../../components/netcup/lifecycle";
import { NetcupServer } from "../../components/netcup/provider";
import { FakeScp } from "../../tests/fakes/scp/server";

/** The serialized provider of a NetcupServer, loaded as the dynamic-provider host loads it, and its inputs. */
async function serializedProvider(inputs: Omit<NetcupServerInputs, "providerVersion">): Promise<{ provider: pulumi.dynamic.ResourceProvider; props: Record<string, unknown> }> {
  const run = await runUnderMocks(() => {
    new NetcupServer("bench", inputs);
  }, { project: "letsbe-tenant", stack: inputs.owner });
  const props = run.resources.find((r) => r.type === "pulumi-nodejs:dynamic/netcup:Server")?.plainInputs;
  if (typeof props?.__provider !== "string") throw new Error("no serialized NetcupServer provider was recorded");
  const load = require("require-from-string") as (code: string) => { handler(): pulumi.dynamic.ResourceProvider };
  return { provider: load(props.__provider).handler(), props };
}

export interface NetcupBench {
  readonly callsPerCreate: number;
  readonly callsPerDelete: number;
  readonly createWallMs: number;
  readonly taskPolls: { readonly create: number; readonly delete: number };
}

const ROUNDS = 5;

export async function benchNetcup(): Promise<NetcupBench> {
  const fake = await FakeScp.start({ taskMs: 0, servers: Array.from({ length: ROUNDS }, () => ({ product: "RS 4000 G12" })) });
  try {
    const inputs = {
      region: "eu", site: "Nuremberg", product: "RS 4000 G12", owner: "bench-tenant", hostname: "bench.letsbe.example",
      sshPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBenchBenchBenchBenchBenchBenchBenchBench bench@letsbe", image: "Debian 13",
      apiUrl: fake.apiUrl, tokenUrl: fake.tokenUrl, refreshToken: fake.refreshToken,
      tuning: { taskPollMs: 0, claimSettleMs: 0 },
    };
    const { provider, props } = await serializedProvider(inputs);
    const create = provider.create.bind(provider);
    const remove = provider.delete?.bind(provider);
    if (!remove) throw new Error("the NetcupServer provider has no delete");
    const creates: Array<{ calls: number; polls: number; ms: number }> = [];
    const deletes: Array<{ calls: number; polls: number }> = [];
    for (let round = 0; round < ROUNDS; round++) {
      const before = fake.counts();
      const started = process.hrtime.bigint();
      const { id, outs } = (await create(props)) as { id: string; outs: NetcupServerOutputs };
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const afterCreate = fake.counts();
      creates.push({ calls: afterCreate.api + afterCreate.token - before.api - before.token, polls: afterCreate.taskPolls - before.taskPolls, ms });
      await remove(id, outs);
      const afterDelete = fake.counts();
      deletes.push({ calls: afterDelete.api + afterDelete.token - afterCreate.api - afterCreate.token, polls: afterDelete.taskPolls - afterCreate.taskPolls });
    }
    if (fake.violations.length > 0) throw new Error(`the provider broke the SCP spec during the benchmark: ${fake.violations.join("; ")}`);
    const wall = creates.map((c) => c.ms).sort((a, b) => a - b);
    return {
      callsPerCreate: Math.max(...creates.map((c) => c.calls)),
      callsPerDelete: Math.max(...deletes.map((d) => d.calls)),
      createWallMs: Number(wall[Math.floor(wall.length / 2)].toFixed(1)),
      taskPolls: { create: Math.max(...creates.map((c) => c.polls)), delete: Math.max(...deletes.map((d) => d.polls)) },
    };
  } finally {
    await fake.stop();
  }
}
