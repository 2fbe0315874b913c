/**
 * What every input check shares, apart from the catalog (which reads the image lock when it is
 * loaded): the slug rule and the problem a rejected input is reported as. The snapshot job's
 * bundle (automation/snapshots/bundle.ts) takes these and nothing of the catalog.
 */
import type { z } from "zod";

export const SLUG_PATTERN = /^[a-z][a-z0-9-]{1,30}[a-z0-9]$/;

/** One broken rule of one input: where it came from, which field, what rule. */
export interface InputProblem {
  /** File path, stack config key or order id the input came from. */
  readonly source: string;
  /** Dotted field path, empty for the whole document. */
  readonly path: string;
  readonly message: string;
}

export class InvalidInputError extends Error {
  constructor(readonly problems: readonly InputProblem[]) {
    super(problems.map(formatProblem).join("\n"));
    this.name = "InvalidInputError";
  }
}

export function formatProblem(problem: InputProblem): string {
  return problem.path ? `${problem.source}: ${problem.path}: ${problem.message}` : `${problem.source}: ${problem.message}`;
}

export function zodProblems(source: string, error: z.ZodError): InputProblem[] {
  return error.issues.map((issue) => ({
    source,
    path: issue.path.map(String).join("."),
    message: issue.code === "unrecognized_keys" ? `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(", ")}` : issue.message,
  }));
}
