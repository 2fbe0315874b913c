import { defineConfig } from "vitest/config";

/** The engine tier: the built pulumi CLI with its plugins on a local estate; one file at a time. */
export default defineConfig({
  test: {
    include: ["tests/engine/**/*.test.ts"],
    setupFiles: ["tests/engine/lib/setup.ts"],
    pool: "forks",
    fileParallelism: false,
    testTimeout: 900_000,
    hookTimeout: 900_000,
    reporters: ["verbose", ["json", { outputFile: ".cache/vitest/engine.json" }]],
  },
});
