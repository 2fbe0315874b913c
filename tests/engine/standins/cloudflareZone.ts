/**
 * `cloudflare.Zone` of the stand-in: the zone calls pulumi-cloudflare v6 makes (POST /zones,
 * GET and DELETE /zones/{id}), answered by Cloudflare or the fake. Inputs are ZoneArgs as
 * node_modules/@pulumi/cloudflare/zone.d.ts declares them; outputs carry the v6 names the API
 * answers (nameServers, status, activatedOn...). A change of account or name replaces the zone, as
 * in the real provider; other changes (paused, type, vanityNameServers) are not carried out.
 */
import { z } from "zod";
import { unwrapAll } from "./config";
import { Props, TypeHandler } from "./generic";
import { call, notFound } from "./cloudflare";

const ID = /^[0-9a-f]{32}$/;

const zoneInputs = z.object({
  account: z.object({ id: z.string().regex(ID, "account.id must be 32 hex digits").optional() }).strict(),
  name: z.string().min(1).max(253),
  paused: z.boolean().optional(),
  type: z.enum(["full", "partial", "secondary", "internal"]).optional(),
  vanityNameServers: z.array(z.string()).optional(),
}).strict();

const zoneAnswer = z.object({
  id: z.string().regex(ID),
  name: z.string(),
  status: z.string(),
  paused: z.boolean(),
  type: z.string(),
  name_servers: z.array(z.string()),
  account: z.object({ id: z.string().optional(), name: z.string().optional() }),
  created_on: z.string(),
  modified_on: z.string(),
  activated_on: z.string().nullable().optional(),
  development_mode: z.number().optional(),
});

function readInputs(inputs: Props): z.infer<typeof zoneInputs> {
  const checked = zoneInputs.safeParse(unwrapAll(inputs));
  if (!checked.success) throw new Error(`cloudflare Zone: ${checked.error.issues.map((i) => `${i.path.join(".") || "inputs"}: ${i.message}`).join("; ")}`);
  return checked.data;
}

function parseZone(result: unknown, what: string): z.infer<typeof zoneAnswer> {
  const checked = zoneAnswer.safeParse(result);
  if (!checked.success) throw new Error(`Cloudflare ${what}: the answer is not a zone: ${checked.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`);
  return checked.data;
}

function outputsOf(zone: z.infer<typeof zoneAnswer>): Props {
  return {
    id: zone.id,
    name: zone.name,
    status: zone.status,
    paused: zone.paused,
    type: zone.type,
    nameServers: zone.name_servers,
    account: { id: zone.account.id ?? "" },
    createdOn: zone.created_on,
    modifiedOn: zone.modified_on,
    activatedOn: zone.activated_on ?? "",
    developmentMode: zone.development_mode ?? 0,
  };
}

const zonePath = (id?: string) => `/zones${id === undefined ? "" : `/${encodeURIComponent(id)}`}`;

export const zoneHandler: TypeHandler = {
  replaceOn: ["account", "name"],
  async create(_urn, inputs) {
    const args = readInputs(inputs);
    const body = { account: args.account, name: args.name, ...(args.type === undefined ? {} : { type: args.type }) };
    const created = parseZone(await call("POST", zonePath(), body), "create zone");
    return { id: created.id, outs: outputsOf(created) };
  },
  async delete(id) {
    try {
      await call("DELETE", zonePath(id));
    } catch (error) {
      if (!notFound(error)) throw error;
    }
  },
  async read(id, _urn, props) {
    try {
      return { ...props, ...outputsOf(parseZone(await call("GET", zonePath(id)), "read zone")) };
    } catch (error) {
      if (notFound(error)) return undefined;
      throw error;
    }
  },
};
