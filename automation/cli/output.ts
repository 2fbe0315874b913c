/** Standard streams for the CLIs: a reader that went away (`| head`) ends output quietly, not with a stack trace; nothing printed carries a secret. */
import { Scrubber, secretValuesOf } from "../orders/scrub";
import type { Progress } from "./progress";

/**
 * Swallows EPIPE on stdout and stderr. Output stops, the command itself runs to its end:
 * cutting a `tenant up` short because its reader left would leave an operation half done.
 */
export function quietOnBrokenPipe(streams: readonly NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE") return;
      throw error;
    });
  }
}

/**
 * Everything the CLI prints goes through the flow's one scrubber with the secret values of its
 * environment (LETSBE_SECRET_*, their files, backend and cloud tokens): each write is a whole line
 * or message, so a value is never split across two writes.
 */
export function scrubbedOutput<T extends { out: (text: string) => void; err: (text: string) => void }>(io: T, scrubber: Scrubber): T {
  return { ...io, out: (text: string) => io.out(scrubber.scrub(text)), err: (text: string) => io.err(scrubber.scrub(text)) };
}

/** The same for the live progress lines and bar labels (rollout reasons, tenant results). */
export function scrubbedProgress(progress: Progress, scrubber: Scrubber): Progress {
  return {
    line: (text) => progress.line(scrubber.scrub(text)),
    total: (count, label) => progress.total(count, scrubber.scrub(label)),
    tick: () => progress.tick(),
    ...(progress.status ? { status: (label: string) => progress.status?.(scrubber.scrub(label)) } : {}),
    stop: () => progress.stop(),
  };
}

/** The scrubber for a CLI run: every secret value its environment holds. */
export function cliScrubber(env: NodeJS.ProcessEnv): Scrubber {
  return new Scrubber(secretValuesOf(env));
}
