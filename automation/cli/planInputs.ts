/**
 * Input checks around the offline plan that name the file at fault: a broken stack config
 * file, a spec whose file name is not its slug, and (for `tenant:<slug>`) only that
 * tenant's problems rather than every broken spec in the folder.
 */
import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { parse as parseYaml } from "yaml";
import { InputProblem, InvalidInputError } from "../../tenants/schema";
import { repoRoot } from "../repoRoot";

const SPEC_FILE = /\.ya?ml$/;

/** A YAMLParseError from a `Pulumi.<stack>.yaml` becomes an InvalidInputError naming that file. */
export function namedYamlError(error: unknown, stack: string, root: string = repoRoot()): InvalidInputError | undefined {
  if (!(error instanceof Error) || error.name !== "YAMLParseError") return undefined;
  const asked = stack.startsWith("tenant:") ? [] : [`Pulumi.${stack}.yaml`];
  const files = [...asked, ...readdirSync(root).filter((f) => /^Pulumi\..+\.yaml$/.test(f)).sort()];
  for (const file of files) {
    try {
      parseYaml(readFileSync(join(root, file), "utf8"));
    } catch (parseError) {
      if (parseError instanceof Error && parseError.name === "YAMLParseError") {
        return new InvalidInputError([{ source: file, path: "", message: `not valid YAML: ${firstLine(parseError.message)}` }]);
      }
    }
  }
  return new InvalidInputError([{ source: "stack config", path: "", message: `not valid YAML: ${firstLine(error.message)}` }]);
}

function firstLine(text: string): string {
  return text.split("\n")[0] ?? text;
}

function specDir(tenantsDir: string | undefined): string {
  return tenantsDir ?? join(repoRoot(), "tenants");
}

function stem(file: string): string {
  return basename(file).replace(SPEC_FILE, "");
}

/** For `tenant:<slug>`, drops the problems of other spec files: they are not what was asked. */
export function scopeErrors<E extends InputProblem>(errors: readonly E[], stack: string, tenantsDir: string | undefined): E[] {
  if (!stack.startsWith("tenant:")) return [...errors];
  const slug = stack.slice("tenant:".length);
  const dir = specDir(tenantsDir);
  return errors.filter((e) => {
    const isSpecFile = SPEC_FILE.test(e.source) && join(dir, basename(e.source)) === e.source;
    return !isSpecFile || stem(e.source) === slug || e.message.includes(`"${slug}"`);
  });
}

/** A spec's file must be named after its slug (`<slug>.yaml`); tools find specs by that name. */
export function slugFileProblems(stack: string, tenantsDir: string | undefined): InputProblem[] {
  const dir = specDir(tenantsDir);
  const only = stack.startsWith("tenant:") ? stack.slice("tenant:".length) : undefined;
  const problems: InputProblem[] = [];
  for (const name of readdirSync(dir).filter((f) => SPEC_FILE.test(f)).sort()) {
    const file = join(dir, name);
    let raw: unknown;
    try {
      raw = parseYaml(readFileSync(file, "utf8"));
    } catch {
      continue; // a broken file is already reported by the spec loader
    }
    const slug = raw !== null && typeof raw === "object" ? (raw as { slug?: unknown }).slug : undefined;
    if (typeof slug !== "string" || slug === stem(name)) continue;
    if (only !== undefined && slug !== only && stem(name) !== only) continue;
    problems.push({ source: file, path: "slug", message: `"${slug}" but the file is named ${name}: a spec's file name must be <slug>.yaml` });
  }
  return problems;
}
