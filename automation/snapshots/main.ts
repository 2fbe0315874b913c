/**
 * `letsbe-snapshots`: the snapshot job as the hub runs it, i.e. the `fleet snapshots`,
 * `tenant snapshots` and `tenant revert` verbs of `letsbe` and nothing of its Pulumi side, so it
 * bundles into one file with zod and commander inside (./bundle.ts). Same flags, output scrubber
 * and exit codes as `letsbe`: 0 done, 1 a snapshot or revert failed, 2 usage.
 */
import { Command, CommanderError } from "commander";
import { InvalidInputError, formatProblem } from "../../tenants/inputs";
import type { CliIo } from "../cli/index";
import { cliScrubber, quietOnBrokenPipe, scrubbedOutput } from "../cli/output";
import { registerSnapshotCommands } from "../cli/snapshots";

export async function runSnapshotJob(argv: readonly string[], given: CliIo): Promise<number> {
  const io = scrubbedOutput(given, cliScrubber(given.env));
  let code = 0;
  const program = new Command().name("letsbe-snapshots").description("LetsBe daily VPS snapshots (the hub's timer runs `fleet snapshots`)")
    .exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err });
  program.command("fleet").description("the whole fleet");
  program.command("tenant").description("one tenant's server");
  registerSnapshotCommands(program, io, (c) => { code = c; });
  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof InvalidInputError) {
      io.err(`${error.problems.map(formatProblem).join("\n")}\n`);
      return 2;
    }
    throw error;
  }
  return code;
}

if (require.main === module) {
  quietOnBrokenPipe();
  runSnapshotJob(process.argv.slice(2), { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t), env: process.env }).then(
    (code) => { process.exitCode = code; },
    (error: unknown) => {
      process.stderr.write(`letsbe-snapshots: ${cliScrubber(process.env).scrub(error instanceof Error ? error.message : String(error))}\n`);
      process.exitCode = 1;
    },
  );
}
