/**
 * Netcup provider figures: HTTP calls per create and per delete (token refresh included, task
 * polls counted apart) and the wall time of a create, against the fake SCP API with zero task
 * latency and no claim settle time (production adds the 2 s settle and Netcup's own task time).
 * Several rounds on a fresh account; the call counts are the worst round (the first registers the
 * SSH key), the wall time is the median.
 */
import { createServer, deleteServer } from "../../components/netcup/lifecycle";
import { FakeScp } from "../../tests/fakes/scp/server";

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
      apiUrl: fake.apiUrl, tokenUrl: fake.tokenUrl, refreshToken: fake.refreshToken, providerVersion: "bench",
      tuning: { taskPollMs: 0, claimSettleMs: 0 },
    };
    const creates: Array<{ calls: number; polls: number; ms: number }> = [];
    const deletes: Array<{ calls: number; polls: number }> = [];
    for (let round = 0; round < ROUNDS; round++) {
      const before = fake.counts();
      const started = process.hrtime.bigint();
      const { id, outs } = await createServer(inputs);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const afterCreate = fake.counts();
      creates.push({ calls: afterCreate.api + afterCreate.token - before.api - before.token, polls: afterCreate.taskPolls - before.taskPolls, ms });
      await deleteServer(id, outs);
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
