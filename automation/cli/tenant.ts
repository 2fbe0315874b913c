/** `letsbe tenant up|preview|destroy <slug>`. */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml, YAMLParseError } from "yaml";
import { InvalidInputError, TenantSpec, requiredWhereMissing, tenantSpecSchema, zodProblems } from "../../tenants/schema";
import { AutomationContext } from "../context";
import { formatChanges } from "../orders/flow";
import { Order } from "../orders/schema";
import { repoRoot } from "../repoRoot";
import type { CliIo } from "./index";
import { Progress } from "./progress";
import { StageLines, formatEvent } from "./stageLines";

export { formatEvent };

export interface SpecArgs {
  readonly tenants?: string;
  readonly spec?: string;
}

function specFile(slug: string, args: SpecArgs): string {
  return args.spec ?? join(args.tenants ?? join(repoRoot(), "tenants"), `${slug}.yaml`);
}

function specFileExists(slug: string, args: SpecArgs): boolean {
  return args.spec !== undefined || existsSync(specFile(slug, args));
}

export function loadSpec(slug: string, args: SpecArgs): TenantSpec {
  const file = specFile(slug, args);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new InvalidInputError([{ source: file, path: "", message: `no spec for tenant "${slug}" (looked for this file)` }]);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text, { prettyErrors: true });
  } catch (error) {
    if (error instanceof YAMLParseError) throw new InvalidInputError([{ source: file, path: "", message: `not valid YAML: ${error.message.split("\n")[0]}` }]);
    throw error;
  }
  const parsed = tenantSpecSchema.safeParse(raw);
  if (!parsed.success) throw new InvalidInputError(requiredWhereMissing(zodProblems(file, parsed.error), raw));
  const spec = parsed.data;
  if (spec.slug !== slug) throw new InvalidInputError([{ source: file, path: "slug", message: `"${spec.slug}" but the command names "${slug}"` }]);
  return spec;
}


export async function tenantUp(context: AutomationContext, slug: string, args: SpecArgs, io: CliIo, progress: Progress): Promise<number> {
  const spec = loadSpec(slug, args);
  const existing = await context.store.get(slug);
  // The CLI converges the tenant under the order that created it, if any.
  const orderId = existing?.status === "active" ? existing.orderId : `cli-${slug}`;
  const order: Order = { orderId, spec, providerChoice: spec.provider, allowOverflow: true, ...(existing?.release ? { release: existing.release } : {}) };
  progress.total(5, `${slug} on the ${context.workspace.kind} workspace`);
  let last = "";
  const lines = new StageLines(slug);
  const outcome = await context.flow.provision(order, (event) => {
    const text = lines.line(event);
    if (text !== undefined) progress.line(text);
    progress.status?.(`${slug} ${lines.label}`);
    if (event.state !== last) {
      last = event.state;
      progress.tick();
    }
  });
  progress.stop();
  if (!outcome.ok) {
    io.err(`${slug}: FAILED at ${outcome.failedStep}: ${outcome.reason}\n`);
    return 1;
  }
  io.out(`${slug}: ${formatChanges(outcome.changes)}\n`);
  return 0;
}

export async function tenantPreview(context: AutomationContext, slug: string, args: SpecArgs, io: CliIo): Promise<number> {
  const existing = await context.store.get(slug);
  // The spec file is what is previewed (an edited one in a pull request); a tenant without one in the repo, as recorded.
  const spec = existing?.status === "active" && !specFileExists(slug, args) ? existing.spec : loadSpec(slug, args);
  const outcome = await context.flow.preview(slug, `preview-${slug}`, (event) => {
    if (event.resource) io.out(`${formatEvent(event)}\n`);
  }, spec);
  if (!outcome.ok) {
    io.err(`${slug}: preview FAILED at ${outcome.failedStep}: ${outcome.reason}\n`);
    return 1;
  }
  io.out(`${slug}: would ${formatChanges(outcome.changes)}\n`);
  return 0;
}

export async function tenantDestroy(context: AutomationContext, slug: string, confirmation: string, io: CliIo): Promise<number> {
  const outcome = await context.flow.destroy(slug, confirmation, `destroy-${slug}`, (event) => io.out(`${formatEvent(event)}\n`));
  if (!outcome.ok) {
    io.err(`${slug}: destroy FAILED: ${outcome.reason}\n`);
    return 1;
  }
  return 0;
}
