/**
 * Regenerates ./openapi.json: the served operations of Hetzner's published description and every
 * component they reference, nothing else. Usage: `node dist/tests/fakes/hetzner/extract-spec.js <full openapi.json>`.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SERVED_OPERATIONS } from "./operations";

type Json = Record<string, unknown>;

function refsIn(value: unknown, found: Set<string>): void {
  if (Array.isArray(value)) value.forEach((v) => refsIn(v, found));
  else if (value && typeof value === "object") {
    for (const [key, v] of Object.entries(value)) {
      if (key === "$ref" && typeof v === "string") found.add(v.replace("#/components/schemas/", ""));
      else refsIn(v, found);
    }
  }
}

export function extract(full: Json): Json {
  const paths: Record<string, Json> = {};
  for (const [path, item] of Object.entries(full.paths as Record<string, Record<string, Json>>)) {
    for (const [method, op] of Object.entries(item)) {
      if (!SERVED_OPERATIONS.includes(String(op.operationId))) continue;
      // Code samples are long and not part of the contract.
      const { "x-codeSamples": _samples, ...kept } = op;
      paths[path] = { ...(paths[path] ?? {}), [method]: kept };
    }
  }
  const all = (full.components as { schemas: Record<string, unknown> }).schemas;
  const needed = new Set<string>();
  refsIn(paths, needed);
  for (let grew = true; grew;) {
    const before = needed.size;
    for (const name of [...needed]) refsIn(all[name], needed);
    grew = needed.size > before;
  }
  const schemas = Object.fromEntries([...needed].sort().map((name) => [name, all[name]]));
  const { securitySchemes } = full.components as { securitySchemes: unknown };
  // The tags of the kept operations: their text carries rules the schemas do not (the Storage Box password policy).
  const usedTags = new Set(Object.values(paths).flatMap((item) => Object.values(item).flatMap((op) => ((op as Json).tags ?? []) as string[])));
  const tags = ((full.tags ?? []) as Json[]).filter((tag) => usedTags.has(String(tag.name)));
  return { openapi: full.openapi, info: full.info, servers: full.servers, security: full.security, tags, paths, components: { schemas, securitySchemes } };
}

if (require.main === module) {
  const source = process.argv[2];
  if (!source) throw new Error("usage: extract-spec.js <full openapi.json>");
  const subset = extract(JSON.parse(readFileSync(source, "utf8")) as Json);
  writeFileSync(join(__dirname, "..", "..", "..", "..", "tests", "fakes", "hetzner", "openapi.json"), `${JSON.stringify(subset, null, 1)}\n`);
}
