/**
 * `cloudflare.ApiToken` of the stand-in: the user-token calls pulumi-cloudflare v6 makes
 * (POST /user/tokens, GET and DELETE /user/tokens/{id}), answered by Cloudflare or the fake. The
 * token's `value` comes back only from the create and is kept as a secret output. Difference from
 * the real provider, stated: a change of name or policies replaces the token (the real one updates
 * it in place with PUT, keeping the value).
 */
import { z } from "zod";
import { secret, unwrapAll } from "./config";
import { Props, TypeHandler } from "./generic";
import { CloudflareError, call, notFound } from "./cloudflare";

const policyInput = z.object({
  effect: z.enum(["allow", "deny"]),
  permissionGroups: z.array(z.object({ id: z.string().min(1) }).strict()).min(1),
  // v6 takes resources as a JSON object in a string.
  resources: z.string().transform((text, ctx) => {
    try {
      return z.record(z.string(), z.string()).parse(JSON.parse(text));
    } catch {
      ctx.addIssue({ code: "custom", message: "resources must be a JSON object of resource name to \"*\"" });
      return z.NEVER;
    }
  }),
}).strict();
const tokenInputs = z.object({ name: z.string().min(1).max(120), policies: z.array(policyInput).min(1) }).strict();

const tokenAnswer = z.object({
  id: z.string(),
  name: z.string(),
  status: z.string(),
  issued_on: z.string().optional(),
  modified_on: z.string().optional(),
  value: z.string().optional(),
});

function readInputs(inputs: Props): z.infer<typeof tokenInputs> {
  const checked = tokenInputs.safeParse(unwrapAll(inputs));
  if (!checked.success) throw new Error(`cloudflare ApiToken: ${checked.error.issues.map((i) => `${i.path.join(".") || "inputs"}: ${i.message}`).join("; ")}`);
  return checked.data;
}

function parseToken(result: unknown, what: string): z.infer<typeof tokenAnswer> {
  const checked = tokenAnswer.safeParse(result);
  if (!checked.success) throw new Error(`Cloudflare ${what}: the answer is not an API token: ${checked.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`);
  return checked.data;
}

const tokenPath = (id?: string) => `/user/tokens${id === undefined ? "" : `/${encodeURIComponent(id)}`}`;

export const apiTokenHandler: TypeHandler = {
  replaceOn: ["name", "policies"],
  async create(_urn, inputs) {
    const args = readInputs(inputs);
    const body = {
      name: args.name,
      policies: args.policies.map((p) => ({ effect: p.effect, permission_groups: p.permissionGroups.map((g) => ({ id: g.id })), resources: p.resources })),
    };
    const created = parseToken(await call("POST", tokenPath(), body), "create token");
    if (!created.value) throw new CloudflareError("Cloudflare create token: the answer holds no value", 200, undefined);
    return {
      id: created.id,
      outs: { ...inputs, id: created.id, status: created.status, issuedOn: created.issued_on ?? "", modifiedOn: created.modified_on ?? "", value: secret(created.value) },
    };
  },
  async delete(id) {
    try {
      await call("DELETE", tokenPath(id));
    } catch (error) {
      if (!notFound(error)) throw error;
    }
  },
  async read(id, _urn, props) {
    try {
      const current = parseToken(await call("GET", tokenPath(id)), "read token");
      return { ...props, status: current.status, modifiedOn: current.modified_on ?? "" };
    } catch (error) {
      if (notFound(error)) return undefined;
      throw error;
    }
  },
};
