/**
 * What the engine said went wrong, read from the Automation API's event stream: the resource whose
 * step failed (resOpFailedEvent), its error diagnostics and mandatory policy violations. A failed
 * CLI run then reports that, instead of the CommandError's "code: 255 stdout: Updating (...)".
 */
import { CommandError, ConcurrentUpdateError } from "@pulumi/pulumi/automation";
import type { EngineEvent } from "./types";

export interface FailedResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  /** The step the engine ran on it: create, update, delete, replace, ... */
  readonly op: string;
}

/** A CLI operation that failed, as the engine explained it. Its message may hold secrets: scrub it before it leaves. */
export class EngineOperationError extends Error {
  constructor(
    readonly operation: string,
    readonly slug: string,
    /** The resource whose step failed, when the engine named one. */
    readonly resource: FailedResource | undefined,
    /** The engine's own error text (diagnostics, policy violations), in the order it came. */
    readonly details: readonly string[],
    override readonly cause: unknown,
  ) {
    super(describe(operation, slug, resource, details));
    this.name = "EngineOperationError";
  }
}

function describe(operation: string, slug: string, resource: FailedResource | undefined, details: readonly string[]): string {
  const what = resource ? `${resource.op} of ${resource.type} "${resource.name}" failed` : `${operation} of stack ${slug} failed`;
  return details.length > 0 ? `${what}: ${details.join("; ")}` : what;
}

/** Errors the engine reports for the stack as a whole when something else already said why. */
const GENERIC = /^(update|preview|destroy|refresh) failed$|^\d+ errors? occurred/i;

/** Resource name and type from a URN: `urn:pulumi:<stack>::<project>::<parent$...$type>::<name>`. */
export function resourceOfUrn(urn: string, op = "update"): FailedResource {
  const parts = urn.split("::");
  const types = (parts[2] ?? "").split("$");
  return { urn, type: types[types.length - 1] ?? "", name: parts.slice(3).join("::"), op };
}

/** Collects one operation's failure evidence from its engine events. */
export class EngineDiagnostics {
  private failed: FailedResource | undefined;
  private readonly byResource = new Map<string, string[]>();
  private readonly stackErrors: string[] = [];
  private readonly violations: string[] = [];

  readonly onEvent = (event: EngineEvent): void => {
    const failed = event.resOpFailedEvent?.metadata;
    if (failed && !this.failed) this.failed = { urn: failed.urn, type: failed.type, name: resourceOfUrn(failed.urn).name, op: failed.op };
    const diag = event.diagnosticEvent;
    if (diag && diag.severity === "error") {
      const text = clean(diag.message);
      if (text === "") return;
      if (diag.urn && !isStackUrn(diag.urn)) {
        const list = this.byResource.get(diag.urn) ?? [];
        list.push(text);
        this.byResource.set(diag.urn, list);
      } else if (!GENERIC.test(text)) {
        this.stackErrors.push(text);
      }
    }
    const policy = event.policyEvent;
    if (policy && policy.enforcementLevel === "mandatory") {
      const where = policy.resourceUrn ? ` on ${resourceOfUrn(policy.resourceUrn).type} "${resourceOfUrn(policy.resourceUrn).name}"` : "";
      this.violations.push(`policy ${policy.policyName} (mandatory)${where}: ${clean(policy.message)}`);
    }
  };

  /** The engine's account of a failed run, or the error itself when it is not a CLI failure or the engine said nothing. */
  explain(operation: string, slug: string, error: unknown): unknown {
    if (!(error instanceof CommandError) || error instanceof ConcurrentUpdateError) return error;
    const firstUrn = this.failed?.urn ?? [...this.byResource.keys()][0];
    const resource = this.failed ?? (firstUrn ? resourceOfUrn(firstUrn) : undefined);
    const details = [...(firstUrn ? this.byResource.get(firstUrn) ?? [] : []), ...this.violations, ...this.stackErrors];
    // Nothing in the events (the CLI stopped before the engine ran: backend, passphrase, program install): its own `error:` lines.
    const said = resource || details.length > 0 ? details : cliErrorLines(error.message);
    if (!resource && said.length === 0) return error;
    return new EngineOperationError(operation, slug, resource, said, error);
  }
}

/** The distinct `error: ...` lines of a CLI run's output, as the CommandError carries it. */
export function cliErrorLines(text: string): string[] {
  const lines = [...text.matchAll(/^\s*error: (.+)$/gm)].map((m) => clean(m[1])).filter((line) => line !== "" && !GENERIC.test(line));
  return [...new Set(lines)];
}

function isStackUrn(urn: string): boolean {
  return resourceOfUrn(urn).type === "pulumi:pulumi:Stack";
}

/** The engine's text without its colour directives, ANSI escapes and "error: " prefix, lines kept. */
function clean(message: string): string {
  return message
    .replace(/<\{%[^%]*%\}>/g, "")
    .replace(/\u001b\[[0-9;]*m/g, "")
    .replace(/^\s*error:\s*/i, "")
    .trim();
}
