/**
 * The few Hetzner Cloud calls the snapshot job makes, every answer checked with zod: servers by
 * label, snapshot images, actions, rebuild and protection. Errors name the call and Hetzner's
 * error code; the token goes only into the Authorization header.
 */
import { z } from "zod";

const action = z.object({ id: z.number().int(), command: z.string(), status: z.enum(["running", "success", "error"]), error: z.object({ code: z.string(), message: z.string() }).nullish() });
const image = z.object({
  id: z.number().int(), type: z.string(), status: z.enum(["available", "creating", "unavailable"]), description: z.string(),
  created: z.iso.datetime({ offset: true }), labels: z.record(z.string(), z.string()), created_from: z.object({ id: z.number().int(), name: z.string() }).nullable(),
});
const server = z.object({
  id: z.number().int(), name: z.string(), labels: z.record(z.string(), z.string()),
  datacenter: z.object({ name: z.string() }), protection: z.object({ delete: z.boolean(), rebuild: z.boolean() }),
});
const pagination = z.object({ meta: z.object({ pagination: z.object({ next_page: z.number().int().nullable() }) }) });
const errorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

export type HetznerImage = z.infer<typeof image>;
export type HetznerServer = z.infer<typeof server>;
export type HetznerAction = z.infer<typeof action>;

export interface HetznerClientOptions {
  /** API root, e.g. https://api.hetzner.cloud/v1. */
  readonly endpoint: string;
  readonly token: string;
  /** Between action polls, ms. Default - 2000. */
  readonly pollMs?: number;
  /** Longest an action may run, ms. Default - 3 h (a snapshot of a large disk takes long). */
  readonly actionTimeoutMs?: number;
}

export class HetznerClient {
  private readonly pollMs: number;
  private readonly timeoutMs: number;

  constructor(private readonly options: HetznerClientOptions) {
    this.pollMs = options.pollMs ?? 2000;
    this.timeoutMs = options.actionTimeoutMs ?? 3 * 3600_000;
  }

  async servers(labelSelector: string): Promise<HetznerServer[]> {
    return this.pages("/servers", { label_selector: labelSelector }, z.object({ servers: z.array(server) }).and(pagination), (b) => b.servers);
  }

  async server(id: number): Promise<HetznerServer> {
    return (await this.request("GET", `/servers/${id}`, undefined, z.object({ server }))).server;
  }

  async snapshots(labelSelector: string): Promise<HetznerImage[]> {
    return this.pages("/images", { type: "snapshot", label_selector: labelSelector }, z.object({ images: z.array(image) }).and(pagination), (b) => b.images);
  }

  async image(id: number): Promise<HetznerImage> {
    return (await this.request("GET", `/images/${id}`, undefined, z.object({ image }))).image;
  }

  /** Creates a snapshot image and waits for its action. */
  async createSnapshot(serverId: number, description: string, labels: Record<string, string>): Promise<HetznerImage> {
    const answer = await this.request("POST", `/servers/${serverId}/actions/create_image`, { type: "snapshot", description, labels }, z.object({ image, action }));
    await this.waitFor(answer.action, `create_image of server ${serverId}`);
    return this.image(answer.image.id);
  }

  async deleteImage(id: number): Promise<void> {
    await this.request("DELETE", `/images/${id}`, undefined, undefined);
  }

  async rebuild(serverId: number, imageId: number): Promise<void> {
    const answer = await this.request("POST", `/servers/${serverId}/actions/rebuild`, { image: String(imageId) }, z.object({ action }));
    await this.waitFor(answer.action, `rebuild of server ${serverId}`);
  }

  async setRebuildProtection(serverId: number, rebuild: boolean): Promise<void> {
    const answer = await this.request("POST", `/servers/${serverId}/actions/change_protection`, { rebuild }, z.object({ action }));
    await this.waitFor(answer.action, `change_protection of server ${serverId}`);
  }

  private async waitFor(first: HetznerAction, what: string): Promise<void> {
    const deadline = Date.now() + this.timeoutMs;
    let current = first;
    while (current.status === "running") {
      if (Date.now() > deadline) throw new Error(`Hetzner: ${what}: action ${current.id} still running after ${this.timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, this.pollMs));
      current = (await this.request("GET", `/actions/${current.id}`, undefined, z.object({ action }))).action;
    }
    if (current.status === "error") throw new Error(`Hetzner: ${what}: action ${current.id} failed: ${current.error?.code ?? "error"} ${current.error?.message ?? ""}`.trim());
  }

  /** Every page of a list (`meta.pagination.next_page` until null). */
  private async pages<B extends z.infer<typeof pagination>, T>(path: string, query: Record<string, string>, schema: z.ZodType<B>, items: (body: B) => T[]): Promise<T[]> {
    const all: T[] = [];
    for (let page: number | null = 1; page !== null;) {
      const body: B = await this.request("GET", path, undefined, schema, { ...query, page: String(page), per_page: "50" });
      all.push(...items(body));
      page = body.meta.pagination.next_page;
    }
    return all;
  }

  private async request<T>(method: string, path: string, body: unknown, schema: z.ZodType<T> | undefined, query: Record<string, string> = {}): Promise<T> {
    const url = new URL(`${this.options.endpoint.replace(/\/+$/, "")}${path}`);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    const response = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${this.options.token}`, accept: "application/json", ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      throw new Error(`Hetzner: ${method} ${path}: ${response.status} with a body that is not JSON`);
    }
    if (!response.ok) {
      const error = errorBody.safeParse(json);
      throw new Error(`Hetzner: ${method} ${path}: ${response.status} ${error.success ? `${error.data.error.code}: ${error.data.error.message}` : "no error body"}`);
    }
    if (!schema) return undefined as T;
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`Hetzner: ${method} ${path}: answer out of contract at ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}`);
    }
    return parsed.data;
  }
}
