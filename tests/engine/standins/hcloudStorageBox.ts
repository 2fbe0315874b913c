/**
 * `hcloud` stand-in, StorageBoxSubaccount: the requests terraform-provider-hcloud's
 * storageboxsubaccount resource makes to the Hetzner API (`hcloud:endpointHetzner`, default
 * https://api.hetzner.com/v1; the token is `hcloud:token`), each action polled at
 * /storage_boxes/actions/{id}. Create sends the access settings with every flag the program
 * leaves out as false (the provider's schema defaults); a `locked` answer is retried, as the
 * provider does, since a box runs one subaccount action at a time. The id is the subaccount's;
 * `storageBoxId` replaces; the password is a secret output and never read back (the API has none).
 */
import { z } from "zod";
import { configValue, secret, unwrapAll } from "./config";
import { Props, TypeHandler } from "./generic";
import { HcloudError, hetznerRequest } from "./hcloudRequest";

export const DEFAULT_HETZNER_ENDPOINT = "https://api.hetzner.com/v1";
const POLL_MS = 50;
const ACTION_TIMEOUT_MS = 10 * 60_000;
const LOCKED_RETRIES = 10;

const action = z.object({ id: z.number(), command: z.string(), status: z.enum(["running", "success", "error"]), error: z.object({ code: z.string(), message: z.string() }).nullable() });
const access = z.object({ reachable_externally: z.boolean(), readonly: z.boolean(), samba_enabled: z.boolean(), ssh_enabled: z.boolean(), webdav_enabled: z.boolean() });
const subaccount = z.object({
  id: z.number(), storage_box: z.number(), username: z.string(), name: z.string(), description: z.string(), home_directory: z.string(), server: z.string(),
  access_settings: access, labels: z.record(z.string(), z.string()),
});
type Subaccount = z.infer<typeof subaccount>;

const accessInputs = z.object({
  reachableExternally: z.boolean().optional(), readonly: z.boolean().optional(), sambaEnabled: z.boolean().optional(), sshEnabled: z.boolean().optional(), webdavEnabled: z.boolean().optional(),
}).strict();
const inputsSchema = z.object({
  storageBoxId: z.number().int().positive(), homeDirectory: z.string().min(1), password: z.string().min(1), name: z.string().optional(), description: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(), accessSettings: accessInputs.optional(),
}).passthrough();
type Inputs = z.infer<typeof inputsSchema>;

function parseInputs(raw: Props): Inputs {
  const result = inputsSchema.safeParse(unwrapAll(raw));
  if (!result.success) throw new Error(`hcloud StorageBoxSubaccount: ${result.error.issues.map((i) => `${i.path.join(".") || "(inputs)"} ${i.message}`).join("; ")}`);
  return result.data;
}

function request<T>(method: string, path: string, schema: z.ZodType<T>, body?: unknown): Promise<T> {
  return hetznerRequest(configValue("endpointHetzner", "HCLOUD_HETZNER_ENDPOINT") ?? DEFAULT_HETZNER_ENDPOINT, method, path, schema, body);
}

/** A call that may meet the box's running action: `locked` is tried again, anything else fails. */
async function unlocked<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof HcloudError) || error.code !== "locked" || attempt >= LOCKED_RETRIES) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 100 * 2 ** attempt)));
    }
  }
}

async function settle(started: z.infer<typeof action>): Promise<void> {
  const deadline = Date.now() + ACTION_TIMEOUT_MS;
  let current = started;
  while (current.status === "running") {
    if (Date.now() > deadline) throw new Error(`hcloud storage box action ${current.id} (${current.command}) still running after ${ACTION_TIMEOUT_MS / 60_000} min`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    current = (await request("GET", `/storage_boxes/actions/${current.id}`, z.object({ action }))).action;
  }
  if (current.status === "error") throw new Error(`hcloud storage box action ${current.id} (${current.command}) failed: ${current.error?.code ?? "error"}: ${current.error?.message ?? ""}`);
}

const oneAction = z.object({ action });
const path = (box: number, id: string) => `/storage_boxes/${box}/subaccounts/${id}`;

/** The provider's access settings body: every flag, false unless the program sets it. */
export function accessBody(a: Inputs["accessSettings"]): z.infer<typeof access> {
  return {
    reachable_externally: a?.reachableExternally ?? false, readonly: a?.readonly ?? false, samba_enabled: a?.sambaEnabled ?? false,
    ssh_enabled: a?.sshEnabled ?? false, webdav_enabled: a?.webdavEnabled ?? false,
  };
}

/** pulumi-hcloud's StorageBoxSubaccount outputs from an API subaccount (the password is not in it). */
export function subaccountOutputs(s: Subaccount): Props {
  const a = s.access_settings;
  return {
    storageBoxId: s.storage_box, username: s.username, name: s.name, description: s.description, homeDirectory: s.home_directory, server: s.server, labels: { ...s.labels },
    accessSettings: { reachableExternally: a.reachable_externally, readonly: a.readonly, sambaEnabled: a.samba_enabled, sshEnabled: a.ssh_enabled, webdavEnabled: a.webdav_enabled },
  };
}

const get = async (box: number, id: string) => (await request("GET", path(box, id), z.object({ subaccount }))).subaccount;

export const storageBoxSubaccountHandler: TypeHandler = {
  replaceOn: ["storageBoxId"],
  async create(_urn, raw) {
    const inputs = parseInputs(raw);
    const body = {
      home_directory: inputs.homeDirectory, password: inputs.password, description: inputs.description ?? "", labels: inputs.labels ?? {},
      access_settings: accessBody(inputs.accessSettings), ...(inputs.name !== undefined ? { name: inputs.name } : {}),
    };
    const created = await unlocked(() => request("POST", `/storage_boxes/${inputs.storageBoxId}/subaccounts`, z.object({ action, subaccount: z.object({ id: z.number() }) }), body));
    await settle(created.action);
    const id = String(created.subaccount.id);
    return { id, outs: { ...subaccountOutputs(await get(inputs.storageBoxId, id)), password: secret(inputs.password) } };
  },
  async read(id, _urn, props) {
    const recorded = parseInputs((props.__inputs ?? props) as Props);
    try {
      const outs = subaccountOutputs(await get(recorded.storageBoxId, id));
      return { ...props, ...outs };
    } catch (error) {
      if (error instanceof HcloudError && error.status === 404) return undefined;
      throw error;
    }
  },
  async update(id, _urn, oldOuts, rawNews) {
    const olds = parseInputs((oldOuts.__inputs ?? oldOuts) as Props);
    const news = parseInputs(rawNews);
    const box = news.storageBoxId;
    const run = async (op: string, body: unknown) => settle((await unlocked(() => request("POST", `${path(box, id)}/actions/${op}`, oneAction, body))).action);
    if (olds.homeDirectory !== news.homeDirectory) await run("change_home_directory", { home_directory: news.homeDirectory });
    if (olds.password !== news.password) await run("reset_subaccount_password", { password: news.password });
    if (JSON.stringify(accessBody(olds.accessSettings)) !== JSON.stringify(accessBody(news.accessSettings))) await run("update_access_settings", accessBody(news.accessSettings));
    // As the provider: the update call always comes last, to read fresh data back.
    const updated = await request("PUT", path(box, id), z.object({ subaccount }), {
      ...(news.name !== undefined ? { name: news.name } : {}), description: news.description ?? "", labels: news.labels ?? {},
    });
    return { ...subaccountOutputs(updated.subaccount), password: secret(news.password) };
  },
  async delete(id, _urn, props) {
    const recorded = parseInputs((props.__inputs ?? props) as Props);
    try {
      await settle((await unlocked(() => request("DELETE", path(recorded.storageBoxId, id), oneAction))).action);
    } catch (error) {
      if (!(error instanceof HcloudError && error.status === 404)) throw error;
    }
  },
};

export const storageBoxHandlers: Readonly<Record<string, TypeHandler>> = {
  "hcloud:index/storageBoxSubaccount:StorageBoxSubaccount": storageBoxSubaccountHandler,
};
