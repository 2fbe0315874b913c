import { defineConfig } from "vitest/config";

/** The real-host tier: the host stages on Debian 13 host containers over SSH; one file at a time, long steps. */
export default defineConfig({
  test: {
    include: ["tests/host/**/*.test.ts"],
    // Started before the first file and stopped after the last; the files only find it running.
    globalSetup: ["tests/lib/dockerEngine.global.ts"],
    pool: "forks",
    fileParallelism: false,
    testTimeout: 900_000,
    hookTimeout: 900_000,
    // The JSON lets .ci/run close with one plain "N passed, N failed" line for both tiers.
    reporters: ["verbose", ["json", { outputFile: ".cache/vitest/host.json" }]],
  },
});
