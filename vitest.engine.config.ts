import { defineConfig } from "vitest/config";

/**
 * The engine tier: the built pulumi CLI with its plugins on a local estate. Two files at a time, each
 * worker's estate in its own address block (VITEST_POOL_ID, tests/engine/lib/estate.ts): most of a
 * scenario waits on hosts and SSH, so two overlap well even on two cores.
 */
export default defineConfig({
  test: {
    include: ["tests/engine/**/*.test.ts"],
    setupFiles: ["tests/engine/lib/setup.ts"],
    // Started before the first file and stopped after the last; the files only find it running.
    globalSetup: ["tests/lib/dockerEngine.global.ts"],
    pool: "forks",
    fileParallelism: true,
    maxWorkers: 2,
    testTimeout: 900_000,
    hookTimeout: 900_000,
    reporters: ["verbose", ["json", { outputFile: ".cache/vitest/engine.json" }]],
  },
});
