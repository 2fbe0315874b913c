/**
 * The Hub's metrics over HTTP, as a MetricsSource. Contract (JSON, bearer token):
 *   POST {base}/v1/fleet/heartbeats  {slugs}          -> {fresh, total}
 *   POST {base}/v1/fleet/approvals   {slugs, since}   -> {routed, failed}   (since: ISO time)
 * Answers are validated; a broken answer stops the rollout rather than passing silently.
 */
import { z } from "zod";
import { MetricsSource } from "./health";

const heartbeatsSchema = z.strictObject({ fresh: z.number().int().min(0), total: z.number().int().min(0) })
  .refine((b) => b.fresh <= b.total, { message: "fresh must not exceed total" });
const approvalsSchema = z.strictObject({ routed: z.number().int().min(0), failed: z.number().int().min(0) })
  .refine((a) => a.failed <= a.routed, { message: "failed must not exceed routed" });

export interface HubMetricsOptions {
  /** Base URL of the Hub API, e.g. `https://hub.eu.letsbe.biz/api`. */
  readonly baseUrl: string;
  /** Bearer token (secret). */
  readonly token: string;
  /** Per request, ms. Default - 15 000. */
  readonly timeoutMs?: number;
  /** Converts the rollout clock's time to epoch ms. Default - identity (wall clock). */
  readonly toEpochMs?: (clockMs: number) => number;
}

export class HubMetricsSource implements MetricsSource {
  constructor(private readonly options: HubMetricsOptions) {}

  async heartbeats(slugs: readonly string[]) {
    return this.post("/v1/fleet/heartbeats", { slugs }, heartbeatsSchema);
  }

  async approvalRouting(slugs: readonly string[], sinceMs: number) {
    const since = new Date((this.options.toEpochMs ?? ((ms: number) => ms))(sinceMs)).toISOString();
    return this.post("/v1/fleet/approvals", { slugs, since }, approvalsSchema);
  }

  private async post<T>(path: string, body: unknown, schema: z.ZodType<T>): Promise<T> {
    const url = `${this.options.baseUrl.replace(/\/$/, "")}${path}`;
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${this.options.token}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 15_000),
    });
    if (!response.ok) throw new Error(`Hub metrics ${path} answered ${response.status}`);
    const parsed = schema.safeParse(await response.json());
    if (!parsed.success) throw new Error(`Hub metrics ${path}: unexpected answer: ${parsed.error.issues[0]?.message ?? "invalid"}`);
    return parsed.data;
  }
}
