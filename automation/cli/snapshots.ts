/**
 * `letsbe fleet snapshots [--dry-run] [--keep N] [--gap S] [--parallel N] [--status-file F] [--json]`
 * `letsbe tenant snapshots <slug>` and `letsbe tenant revert <slug> --snapshot NAME --confirm <slug>`. They speak to the providers
 * only (no Pulumi backend, no workspace): `LETSBE_SECRET_NETCUP_REFRESH_TOKEN`,
 * `LETSBE_SECRET_HCLOUD_TOKEN` (or their `_FILE` forms). Exit 0 done, 1 a snapshot or revert
 * failed (the status file says which), 2 usage.
 */
import type { Command } from "commander";
import { z } from "zod";
import { InvalidInputError, SLUG_PATTERN } from "../../tenants/inputs";
import { providersFromEnv } from "../snapshots/providers";
import { RevertError, findTarget, revertTenant } from "../snapshots/revert";
import { type TenantResult, runFailed, runSnapshots } from "../snapshots/run";
import { DEFAULT_STATUS_FILE, statusDocument, writeStatus } from "../snapshots/status";
import { SNAPSHOT_PREFIX, errorText } from "../snapshots/types";
import { parseFlags, wholeNumber } from "./flags";
import type { CliIo } from "./index";

const snapshotFlags = z.object({
  keep: wholeNumber(1, 20),
  gap: wholeNumber(0, 3600),
  parallel: wholeNumber(1, 64),
  statusFile: z.string().trim().min(1, "must name a file").refine((f) => !f.startsWith("-") && !f.endsWith("/"), "must name a file"),
});

const revertFlags = z.object({
  slug: z.string().regex(SLUG_PATTERN, "must match ^[a-z][a-z0-9-]{1,30}[a-z0-9]$"),
  snapshot: z.string().startsWith(SNAPSHOT_PREFIX, `must name one of the job's snapshots (${SNAPSHOT_PREFIX}...)`).max(255),
  confirm: z.string(),
});

function line(r: TenantResult): string {
  const removed = r.removed.length > 0 ? `, ${r.status === "would-take" ? "would remove" : "removed"} ${r.removed.join(" ")}` : "";
  const what = r.status === "failed" ? `FAILED: ${r.error ?? ""}` : r.status === "skipped" ? `skipped: ${r.snapshot ?? ""} is today's` : `${r.status === "would-take" ? "would take" : "took"} ${r.snapshot ?? ""}${removed}`;
  return `${r.slug.padEnd(32)} ${r.provider.padEnd(7)} ${r.group.padEnd(22)} ${what} (kept ${r.kept})\n`;
}

export function registerSnapshotCommands(program: Command, io: CliIo, setCode: (code: number) => void): void {
  const fleet = program.commands.find((c) => c.name() === "fleet");
  const tenant = program.commands.find((c) => c.name() === "tenant");
  if (!fleet || !tenant) throw new Error("snapshot commands register after `fleet` and `tenant`");

  fleet.command("snapshots")
    .description("take today's snapshot of every tenant server (staggered by site), keep the newest N")
    .option("--dry-run", "run the providers' checks and print what would be taken and removed; change nothing")
    .option("--keep <n>", "snapshots kept per server (1-20)", "3")
    .option("--gap <seconds>", "wait between two snapshots of the same site or datacenter (0-3600)", "60")
    .option("--parallel <n>", "sites or datacenters snapshotted at once (1-64)", "4")
    .option("--status-file <file>", "where the status for the Hub's monitoring goes", DEFAULT_STATUS_FILE)
    .option("--json", "print the status document instead of lines")
    .action(async (opts: { dryRun?: boolean; keep: string; gap: string; parallel: string; statusFile: string; json?: boolean }) => {
      const flags = parseFlags("fleet snapshots", snapshotFlags, { keep: opts.keep, gap: opts.gap, parallel: opts.parallel, statusFile: opts.statusFile });
      const providers = providersFromEnv(io.env);
      const report = await runSnapshots(providers, {
        keep: flags.keep, gapMs: flags.gap * 1000, parallel: flags.parallel, dryRun: opts.dryRun === true,
        ...(opts.json ? {} : { onResult: (r: TenantResult) => io.out(line(r)) }),
      });
      for (const p of report.providerErrors) io.err(`letsbe: fleet snapshots: ${p.provider}: ${p.error}\n`);
      // A dry run reports but never overwrites what the monitoring reads.
      if (!opts.dryRun) writeStatus(flags.statusFile, report, flags.keep);
      if (opts.json) {
        io.out(`${JSON.stringify(statusDocument(report, flags.keep), null, 2)}\n`);
      }
      const failed = report.results.filter((r) => r.status === "failed").length;
      io.out(`snapshots: ${report.results.length} tenant(s), ${failed} failed${opts.dryRun ? " (dry run: nothing changed)" : `; status in ${flags.statusFile}`}\n`);
      setCode(runFailed(report) ? 1 : 0);
    });

  tenant.command("snapshots <slug>")
    .description("list the daily snapshots a tenant's server has, oldest first")
    .action(async (slug: string) => {
      if (!SLUG_PATTERN.test(slug)) throw new InvalidInputError([{ source: "tenant snapshots", path: "<slug>", message: `"${slug}" must match ${SLUG_PATTERN.source}` }]);
      const providers = providersFromEnv(io.env);
      try {
        const { provider, target } = await findTarget(providers, slug);
        const snapshots = await provider.list(target);
        io.out(`${slug}: server ${target.serverId} (${target.provider}, ${target.group}), ${snapshots.length} snapshot(s)\n`);
        for (const s of snapshots) io.out(`  ${s.name}  ${s.createdAt}\n`);
        setCode(0);
      } catch (error) {
        if (error instanceof RevertError && error.usage) throw new InvalidInputError([{ source: "tenant snapshots", path: "", message: error.message }]);
        io.err(`letsbe: tenant snapshots ${slug}: ${errorText(error)}\n`);
        setCode(1);
      }
    });

  tenant.command("revert <slug>")
    .description("put a tenant's server disk back to one of its daily snapshots (data since then is lost)")
    .requiredOption("--snapshot <name>", "the snapshot (`tenant snapshots <slug>` lists them)")
    .requiredOption("--confirm <slug>", "repeat the slug to confirm")
    .action(async (slug: string, opts: { snapshot: string; confirm: string }) => {
      if (!SLUG_PATTERN.test(slug)) throw new InvalidInputError([{ source: "tenant revert", path: "<slug>", message: `"${slug}" must match ${SLUG_PATTERN.source}` }]);
      const flags = parseFlags("tenant revert", revertFlags, { slug, snapshot: opts.snapshot, confirm: opts.confirm });
      if (flags.confirm !== flags.slug) throw new InvalidInputError([{ source: "tenant revert", path: "--confirm", message: `must repeat the slug "${flags.slug}"` }]);
      const providers = providersFromEnv(io.env);
      try {
        const { target, snapshot } = await revertTenant(providers, flags.slug, flags.snapshot);
        io.out(`${flags.slug}: server ${target.serverId} (${target.provider}) reverted to ${snapshot.name} of ${snapshot.createdAt}\n`);
        setCode(0);
      } catch (error) {
        if (error instanceof RevertError && error.usage) throw new InvalidInputError([{ source: "tenant revert", path: "", message: error.message }]);
        io.err(`letsbe: tenant revert ${flags.slug}: ${errorText(error)}\n`);
        setCode(1);
      }
    });
}
