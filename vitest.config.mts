import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    exclude: ["tests/host/**", "tests/engine/**", "node_modules/**", "dist/**"],
    // The Pulumi runtime is process-global state: one file per process, files in parallel.
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The JSON lets .ci/run close with one plain "N passed, N failed" line for both tiers.
    reporters: ["default", ["json", { outputFile: ".cache/vitest/unit.json" }]],
  },
});
