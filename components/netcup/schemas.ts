/**
 * zod schemas of the SCP answers the client reads. Built inside a function (and `zod` required
 * there) because this code is serialized into the dynamic provider: a module-level schema object
 * would be captured by value. Fields are the ones the provider uses; unknown fields are dropped,
 * which also drops a task's `result` (it holds the new root password) at the edge.
 * Nullability follows the recorded answers, which send `null` where the spec says nothing.
 */
import type * as zod from "zod";

export function scpSchemas() {
  const { z } = require("zod") as typeof zod;
  const nullableString = z.string().nullish();
  const template = z.object({ id: z.number().int().optional(), name: z.string() }).nullish();
  const serverMinimal = z.object({
    id: z.number().int(),
    name: z.string(),
    hostname: nullableString,
    nickname: nullableString,
    disabled: z.boolean().optional(),
    template,
  });
  const server = serverMinimal.extend({
    site: z.object({ id: z.number().int().optional(), city: z.string() }).optional(),
    ipv4Addresses: z.array(z.object({ id: z.number().int().optional(), ip: z.string() })).default([]),
    ipv6Addresses: z.array(z.object({ networkPrefix: z.string(), networkPrefixLength: z.number().int().optional() })).default([]),
    serverLiveInfo: z.object({ uefi: z.boolean().optional(), state: z.string().optional() }).nullish(),
  });
  const taskState = z.enum(["PENDING", "RUNNING", "FINISHED", "ERROR", "WAITING_FOR_CANCEL", "CANCELED", "ROLLBACK"]);
  const task = z.object({
    uuid: z.string(),
    name: z.string().default("task"),
    state: taskState,
    message: nullableString,
    responseError: z.object({ code: z.string().optional(), message: z.string().optional() }).nullish(),
  });
  const imageFlavour = z.object({
    id: z.number().int(),
    name: z.string(),
    alias: z.string(),
    image: z.object({ id: z.number().int().optional(), name: z.string() }).optional(),
  });
  const sshKey = z.object({ id: z.number().int(), name: z.string(), key: z.string() });
  const errorBody = z.object({
    code: z.string().optional(),
    message: z.string().optional(),
    errors: z.array(z.object({ field: z.string().default(""), message: z.string().default("") })).optional(),
  });
  const tokenAnswer = z.object({ access_token: z.string().min(1), expires_in: z.number().positive().default(300) });
  const tokenError = z.object({ error: z.string().default(""), error_description: z.string().default("") });
  const accessTokenClaims = z.object({ id: z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]) });
  return {
    serverList: z.array(serverMinimal),
    server,
    task,
    imageFlavours: z.array(imageFlavour),
    sshKeys: z.array(sshKey),
    sshKey,
    errorBody,
    tokenAnswer,
    tokenError,
    accessTokenClaims,
  };
}

export type ScpSchemas = ReturnType<typeof scpSchemas>;
export type ScpServerMinimal = zod.infer<ScpSchemas["serverList"]>[number];
export type ScpServer = zod.infer<ScpSchemas["server"]>;
export type ScpTask = zod.infer<ScpSchemas["task"]>;
export type ScpImageFlavour = zod.infer<ScpSchemas["imageFlavours"]>[number];
export type ScpSshKey = zod.infer<ScpSchemas["sshKey"]>;
