import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml, YAMLParseError } from "yaml";
import { RegionId } from "./catalog";
import { PlatformNames, collisionMessage, domainCollisions, platformDomainProblems } from "./domains";
import { InputProblem, InvalidInputError, TenantSpec, parseTenantSpec } from "./schema";

export interface LoadedSpec {
  readonly spec: TenantSpec;
  readonly file: string;
}

export interface LoadResult {
  readonly specs: LoadedSpec[];
  readonly problems: InputProblem[];
}

export interface LoadOptions {
  /** What is known of each region's hub (base domain, hub name); without it only the platform domains are judged. */
  readonly platform?: (region: RegionId) => PlatformNames;
}

/**
 * Reads every `*.yaml` in `dir`, validating each; one bad file never hides another. Domains are
 * judged across all files at once: a spec whose domain breaks a platform rule, or equals, contains
 * or sits inside the domain of a spec before it (files in name order), is reported and left out.
 */
export function loadTenantSpecs(dir: string, options: LoadOptions = {}): LoadResult {
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
  return { specs: disjointDomains(unique, problems, options), problems };
}

function disjointDomains(specs: readonly LoadedSpec[], problems: InputProblem[], options: LoadOptions): LoadedSpec[] {
  const onPlatform: LoadedSpec[] = [];
  for (const loaded of specs) {
    const found = platformDomainProblems(loaded.spec.slug, loaded.spec.domain, options.platform?.(loaded.spec.region));
    problems.push(...found.map((message) => ({ source: loaded.file, path: "domain", message })));
    if (found.length === 0) onPlatform.push(loaded);
  }
  // A spec refused above claims nothing, so `eu.letsbe.biz` is blamed once, not against every tenant.
  const collisions = domainCollisions(onPlatform.map((l) => ({ tenant: l.spec.slug, domain: l.spec.domain, source: l.file })));
  for (const c of collisions) problems.push({ source: c.claim.source, path: "domain", message: collisionMessage(c) });
  const refused = new Set(collisions.map((c) => c.claim.source));
  return onPlatform.filter((l) => !refused.has(l.file));
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
