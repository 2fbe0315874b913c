#!/usr/bin/env node
/**
 * `npm run rehearse -- <letsbe arguments>`: the operator CLI on the simulated workspace (the real tenant
 * program under the mock runtime; nothing is created anywhere, the record stays in LETSBE_DATA_DIR).
 * A test tool, kept out of production: `npm run letsbe` runs on `local` or `remote` only.
 */
import { EXIT, runCli } from "../../automation/cli/index";
import { cliScrubber, quietOnBrokenPipe } from "../../automation/cli/output";
import { SIMULATED_BACKEND } from "./simulatedBackend";

quietOnBrokenPipe();
runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
  backend: SIMULATED_BACKEND,
}).then(
  (code) => { process.exitCode = code; },
  (error: unknown) => {
    process.stderr.write(`letsbe: ${cliScrubber(process.env).scrub(error instanceof Error ? error.message : String(error))}\n`);
    process.exitCode = EXIT.failed;
  },
);
