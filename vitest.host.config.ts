import { defineConfig } from "vitest/config";

/** The real-host tier: a Debian 13 host container over SSH; one file at a time, long steps. */
export default defineConfig({
  test: {
    include: ["tests/host/**/*.test.ts"],
    pool: "forks",
    fileParallelism: false,
    testTimeout: 900_000,
    hookTimeout: 900_000,
    reporters: ["verbose"],
  },
});
