#!/usr/bin/env node
/** Starts the Hub-facing service: `node dist/automation/service/main.js` (configuration in the environment). */
import { join } from "node:path";
import { z } from "zod";
import { InvalidInputError, formatProblem, zodProblems } from "../../tenants/schema";
import { checkOperationEnv } from "../cli/env";
import { createContext } from "../context";
import { JobManager } from "./jobs";
import { buildService } from "./server";

const serviceEnv = z.object({
  /** Bearer token the Hub presents (secret, at least 32 characters). */
  LETSBE_API_TOKEN: z.string().min(32, "must be at least 32 characters"),
  LETSBE_HOST: z.string().default("127.0.0.1"),
  LETSBE_PORT: z.coerce.number().int().min(1).max(65535).default(8087),
  /** What a restart does with unfinished jobs. */
  LETSBE_ON_RESTART: z.enum(["resume", "interrupt"]).default("resume"),
});

async function main(): Promise<void> {
  const parsed = serviceEnv.safeParse(process.env);
  if (!parsed.success) throw new InvalidInputError(zodProblems("environment", parsed.error));
  const env = parsed.data;
  checkOperationEnv(process.env);
  const context = await createContext(process.env, join(__dirname, "..", ".."));
  const jobs = new JobManager({ flow: context.flow, dir: join(context.dataDir, "jobs"), onRestart: env.LETSBE_ON_RESTART });
  const recovered = jobs.recover();
  // A damaged journal file is the operator's to look at; the service starts without it.
  for (const { file, problem } of recovered.damaged) process.stderr.write(`letsbe-service: skipped damaged job file ${file} (moved to ${file}.damaged): ${problem}\n`);
  if (recovered.resumed.length + recovered.interrupted.length + recovered.cancelled.length > 0) {
    process.stderr.write(`letsbe-service: journal recovered: ${recovered.resumed.length} resumed, ${recovered.interrupted.length} interrupted, ${recovered.cancelled.length} cancelled (superseded by a later destroy)\n`);
  }
  const app = buildService({ flow: context.flow, store: context.store, jobs, token: env.LETSBE_API_TOKEN, logger: true });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    // Operations in flight are cancelled cleanly and journaled as interrupted; their event streams end
    // with them, which lets the server close (it waits for open connections).
    void Promise.all([app.close(), jobs.shutdown()]).then(() => process.exit(0), (error: unknown) => {
      process.stderr.write(`letsbe-service: shutdown: ${context.flow.scrub(error instanceof Error ? error.message : String(error))}\n`);
      process.exit(1);
    });
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  await app.listen({ host: env.LETSBE_HOST, port: env.LETSBE_PORT });
}

main().catch((error: unknown) => {
  process.stderr.write(`letsbe-service: ${error instanceof InvalidInputError ? error.problems.map(formatProblem).join("\n") : error instanceof Error ? error.message : String(error)}\n`);
  // Invalid configuration is a usage error (2), as in the CLI.
  process.exitCode = error instanceof InvalidInputError ? 2 : 1;
});
