/** Searching stored state for test secrets: every file's text, and each secret in pieces a leak would keep. */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

export function readTree(dir: string): string {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(join(e.parentPath, e.name), "utf8"))
    .join("\n");
}

/** The whole value, and for a multi-line one (a private key) each line long enough to be unmistakable. */
export function secretFragments(value: string): string[] {
  const lines = value.split("\n").map((l) => l.trim()).filter((l) => l.length >= 16 && !l.startsWith("-----"));
  return [value, ...lines];
}
