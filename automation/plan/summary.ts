import { PlanReport, PlannedStack } from "./types";

/** A readable summary: per stack a resource tree, counts by type, and problems. */
export function formatSummary(report: PlanReport): string {
  const lines: string[] = [];
  for (const stack of report.stacks) lines.push(...formatStack(stack), "");
  if (report.errors.length > 0) {
    lines.push(`Errors (${report.errors.length}):`);
    for (const e of report.errors) lines.push(`  ✗ ${e.source}${e.path ? `: ${e.path}` : ""}: ${e.message}`);
    lines.push("");
  }
  const resources = report.stacks.reduce((n, s) => n + s.resources.length, 0);
  const mandatory = report.stacks.reduce((n, s) => n + s.violations.filter((v) => v.level === "mandatory").length, 0);
  lines.push(`Planned ${report.stacks.length} stack(s), ${resources} resource(s); ${report.errors.length} error(s), ${mandatory} mandatory violation(s).`);
  return lines.join("\n");
}

function formatStack(stack: PlannedStack): string[] {
  const lines = [`${stack.project}/${stack.stack}`];
  const children = new Map<string, PlannedStack["resources"]>();
  for (const r of stack.resources) {
    const key = r.parent ?? "";
    children.set(key, [...(children.get(key) ?? []), r]);
  }
  const visit = (parent: string, depth: number) => {
    for (const r of children.get(parent) ?? []) {
      const marks = [r.protect ? "protected" : "", r.secretPaths.length ? `secrets: ${r.secretPaths.join(", ")}` : ""].filter(Boolean).join("; ");
      lines.push(`${"  ".repeat(depth + 1)}+ ${r.type} ${r.name}${marks ? `  (${marks})` : ""}`);
      visit(r.urn, depth + 1);
    }
  };
  visit("", 0);
  const counts = new Map<string, number>();
  for (const r of stack.resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  if (stack.tunnelAddress) {
    lines.push(`  tunnel address ${stack.tunnelAddress.address}: the plan's own (lowest free in slug order of the region's specs), not a fleet record's`);
  }
  lines.push(`  counts: ${[...counts].sort(([a], [b]) => a.localeCompare(b)).map(([t, n]) => `${t} ×${n}`).join(", ")}`);
  for (const v of stack.violations) lines.push(`  ${v.level === "mandatory" ? "✗" : "!"} [${v.level}] ${v.policy}: ${v.message}${v.urn ? ` (${v.urn})` : ""}`);
  return lines;
}
