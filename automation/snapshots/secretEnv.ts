import { readFileSync } from "node:fs";

/** `LETSBE_SECRET_<NAME>` or the contents of the file `LETSBE_SECRET_<NAME>_FILE` names (one trailing newline dropped). */
export function readSecretEnv(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const direct = env[`LETSBE_SECRET_${name}`];
  if (direct) return direct;
  const file = env[`LETSBE_SECRET_${name}_FILE`];
  return file ? readFileSync(file, "utf8").replace(/\r?\n$/, "") || undefined : undefined;
}
