import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    exclude: ["tests/host/**", "node_modules/**", "dist/**"],
    // The Pulumi runtime is process-global state: one file per process, files in parallel.
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
