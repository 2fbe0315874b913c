/**
 * Command-line flags checked with zod before anything runs: a rejected flag is reported as
 * `<command>: --flag: rule` (exit 2), and no journal, rollout id or record has been touched.
 * Commander hands every value over as text, so the rules here see exactly what was typed.
 */
import { existsSync, statSync } from "node:fs";
import { z } from "zod";
import { InvalidInputError, zodProblems } from "../../tenants/inputs";

/** A whole number written in digits, within [min, max]. */
export function wholeNumber(min: number, max: number): z.ZodType<number, string> {
  const rule = `must be a whole number from ${min} to ${max}`;
  return z.string().trim().regex(/^\d+$/, rule).transform(Number).pipe(z.number().int().min(min, rule).max(max, rule));
}

/** A decimal number written in digits, within [min, max]. */
export function decimalNumber(min: number, max: number, unit: string): z.ZodType<number, string> {
  const rule = `must be a number of ${unit} from ${min} to ${max}`;
  return z.string().trim().regex(/^\d+(\.\d+)?$/, rule).transform(Number).pipe(z.number().min(min, rule).max(max, rule));
}

/** An http(s) URL with a host. */
export const httpUrl = z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" });

/** Parses flags by schema; problems are named `<command>: --<flag>`. */
export function parseFlags<T extends z.ZodType>(command: string, schema: T, values: Record<string, unknown>): z.output<T> {
  const parsed = schema.safeParse(values);
  if (!parsed.success) {
    throw new InvalidInputError(zodProblems(command, parsed.error).map((p) => ({ ...p, path: p.path ? `--${kebab(p.path)}` : p.path })));
  }
  return parsed.data;
}

function kebab(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();
}

/** A folder flag must name an existing folder (not a raw ENOENT from deep inside). */
export function requireFolder(command: string, flag: string, dir: string | undefined): void {
  if (dir === undefined) return;
  if (!existsSync(dir)) throw new InvalidInputError([{ source: command, path: flag, message: `no such folder: ${dir}` }]);
  if (!statSync(dir).isDirectory()) throw new InvalidInputError([{ source: command, path: flag, message: `not a folder: ${dir}` }]);
}

/** Flags of `fleet rollout` that are numbers or URLs. */
export const rolloutFlagsSchema = z.object({
  concurrency: wholeNumber(1, 1000),
  bake: decimalNumber(0, 1440, "minutes"),
  maxFailed: wholeNumber(0, 100_000),
  metricsUrl: httpUrl.optional(),
});

export type RolloutFlags = z.output<typeof rolloutFlagsSchema>;

/** `--workers` of the plan. */
export const planFlagsSchema = z.object({ workers: wholeNumber(1, 256).optional() });

/** A rollout id names its journal file, so it must be a plain file name. */
export const ROLLOUT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
