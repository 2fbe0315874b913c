import { RecordedResource } from "./mockRuntime";
import { Violation } from "./types";

export interface JudgedStack {
  readonly project: string;
  readonly stack: string;
  readonly resources: readonly RecordedResource[];
  readonly outputs: Record<string, unknown>;
}

/** Applies the policy pack to one planned stack. */
export async function judgeStack(stack: JudgedStack): Promise<Violation[]> {
  void stack;
  return [];
}
