import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml, YAMLParseError } from "yaml";
import { InputProblem, InvalidInputError, TenantSpec, parseTenantSpec } from "./schema";

export interface LoadedSpec {
  readonly spec: TenantSpec;
  readonly file: string;
}

export interface LoadResult {
  readonly specs: LoadedSpec[];
  readonly problems: InputProblem[];
}

/** Reads every `*.yaml` in `dir`, validating each; one bad file never hides another. */
export function loadTenantSpecs(dir: string): LoadResult {
  const files = readdirSync(dir).filter((name) => /\.ya?ml$/.test(name)).sort();
  const specs: LoadedSpec[] = [];
  const problems: InputProblem[] = [];
  for (const name of files) {
    const file = join(dir, name);
    try {
      specs.push({ spec: parseTenantSpec(parseYamlFile(file), file), file });
    } catch (error) {
      if (error instanceof InvalidInputError) problems.push(...error.problems);
      else throw error;
    }
  }
  const bySlug = new Map<string, string>();
  const unique: LoadedSpec[] = [];
  for (const loaded of specs) {
    const first = bySlug.get(loaded.spec.slug);
    if (first !== undefined) {
      problems.push({ source: loaded.file, path: "slug", message: `"${loaded.spec.slug}" is already used by ${first}` });
      continue;
    }
    bySlug.set(loaded.spec.slug, loaded.file);
    unique.push(loaded);
  }
  return { specs: unique, problems };
}

function parseYamlFile(file: string): unknown {
  const text = readFileSync(file, "utf8");
  try {
    return parseYaml(text, { prettyErrors: true });
  } catch (error) {
    if (error instanceof YAMLParseError) {
      throw new InvalidInputError([{ source: file, path: "", message: `not valid YAML: ${error.message.split("\n")[0]}` }]);
    }
    throw error;
  }
}
