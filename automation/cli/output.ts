/** Standard streams for the CLIs: a reader that went away (`| head`) ends output quietly, not with a stack trace. */

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
