import { it } from "vitest";

/**
 * Tests that build on each other: after one step fails, later steps stop at once, naming it,
 * instead of piling up noise against a host in an unknown state.
 */
export function sequentialSteps(): { step(name: string, body: () => Promise<void>): void; failedStep(): string | undefined } {
  let failed: string | undefined;
  return {
    step(name, body) {
      it(name, async () => {
        if (failed) throw new Error(`skipped: "${failed}" failed before`);
        try {
          await body();
        } catch (error) {
          failed = name;
          throw error;
        }
      });
    },
    failedStep: () => failed,
  };
}
