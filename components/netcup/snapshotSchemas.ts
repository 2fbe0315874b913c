/**
 * zod schemas of the SCP snapshot answers (and of what a snapshot needs to know about a server),
 * built in a function for the same reason as ./schemas: this code may be serialized into a closure.
 */
import type * as zod from "zod";

export function scpSnapshotSchemas() {
  const { z } = require("zod") as typeof zod;
  const snapshot = z.object({
    name: z.string(),
    uuid: z.string().optional(),
    description: z.string().nullish(),
    disks: z.array(z.string()).default([]),
    creationTime: z.iso.datetime({ offset: true }),
    online: z.boolean().optional(),
  });
  const problem = z.object({ code: z.string().default(""), message: z.string().default("") });
  const server = z.object({
    id: z.number().int(),
    snapshotAllowed: z.boolean().optional(),
    site: z.object({ id: z.number().int().optional(), city: z.string() }).optional(),
    serverLiveInfo: z.object({ uefi: z.boolean().optional(), disks: z.array(z.object({ dev: z.string() })).default([]) }).nullish(),
  });
  return { snapshots: z.array(snapshot), snapshot, problems: z.array(problem), server };
}

export type ScpSnapshot = zod.infer<ReturnType<typeof scpSnapshotSchemas>["snapshot"]>;
export type ScpSnapshotServer = zod.infer<ReturnType<typeof scpSnapshotSchemas>["server"]>;
export type ScpSnapshotProblem = zod.infer<ReturnType<typeof scpSnapshotSchemas>["problems"]>[number];
