import { defineConfig } from "vitest/config";

/**
 * The real-host tier: the host stages on Debian 13 host containers over SSH, long steps. Two files
 * at a time (each starts its own hosts): they mostly wait on the hosts, so two overlap well on two
 * cores (measured: 918 s against 1948 s one at a time, 73 of 73 passing).
 */
export default defineConfig({
  test: {
    include: ["tests/host/**/*.test.ts"],
    // Started before the first file and stopped after the last; the files only find it running.
    globalSetup: ["tests/lib/dockerEngine.global.ts"],
    pool: "forks",
    fileParallelism: true,
    maxWorkers: 2,
    testTimeout: 900_000,
    hookTimeout: 900_000,
    // The JSON lets .ci/run close with one plain "N passed, N failed" line for both tiers.
    reporters: ["verbose", ["json", { outputFile: ".cache/vitest/host.json" }]],
  },
});
