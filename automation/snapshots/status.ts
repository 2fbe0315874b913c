/**
 * `snapshot-status.json`, in the shape of seed 001 §8.3's backup-status.json (`last_run`,
 * `duration_seconds`, a `status`, one entry per item), written whole and renamed into place so a
 * reader never sees half a file. The default place is the hub's backup status folder, which the
 * hub worker (the Hub's monitoring) already mounts read-only at /run/letsbe/hub-backup.
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { BACKUP_STATUS_DIR } from "../../components/hub/services";
import type { RunReport } from "./run";
import { runFailed } from "./run";

export const DEFAULT_STATUS_FILE = `${BACKUP_STATUS_DIR}/snapshot-status.json`;

export function statusDocument(report: RunReport, keep: number): Record<string, unknown> {
  const tenants = Object.fromEntries(report.results.map((r) => [r.slug, {
    provider: r.provider, server_id: r.serverId, group: r.group, status: r.status === "would-take" ? "dry-run" : r.status,
    ...(r.snapshot ? { snapshot: r.snapshot } : {}), removed: r.removed, kept: r.kept, ...(r.error ? { error: r.error } : {}),
    started_at: r.startedAt, finished_at: r.finishedAt,
  }]));
  const failed = report.results.filter((r) => r.status === "failed").map((r) => r.slug);
  return {
    last_run: report.startedAt,
    duration_seconds: Math.round((Date.parse(report.finishedAt) - Date.parse(report.startedAt)) / 1000),
    status: runFailed(report) ? "failed" : "success",
    failed,
    provider_errors: report.providerErrors,
    retention: { keep },
    tenants,
  };
}

export function writeStatus(file: string, report: RunReport, keep: number): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(statusDocument(report, keep), null, 2)}\n`, { mode: 0o644 });
  renameSync(tmp, file);
}
