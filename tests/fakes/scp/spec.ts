/**
 * The SCP OpenAPI document the fake validates against, and the validator. The published spec
 * disagrees with the live API in a few places the recordings prove; those places are corrected
 * here, each with the recording that shows it, and nothing else is loosened. The test
 * `spec.test.ts` checks that every correction is needed (the raw spec rejects a recording) and
 * sufficient (the corrected spec accepts it).
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { type Operation } from "openapi-backend";
import { openApiTools } from "../openapi";

type Json = Record<string, unknown>;

/** The repository root (works from the TypeScript source and from the compiled copy under dist/). */
export function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = up;
  }
  return dir;
}

export const FIXTURE_DIR = () => join(repoRoot(), "tests", "fixtures", "netcup");

export function loadRawSpec(): Json {
  return JSON.parse(readFileSync(join(FIXTURE_DIR(), "openapi.json"), "utf8")) as Json;
}

export interface Recording {
  readonly file: string;
  readonly method: string;
  readonly url: string;
  readonly status: number;
  readonly requestBody?: unknown;
  readonly responseBody?: unknown;
}

export function loadRecordings(): Recording[] {
  const dir = join(FIXTURE_DIR(), "fixtures");
  return readdirSync(dir).filter((f) => f.endsWith(".json")).sort().map((file) => ({ file, ...(JSON.parse(readFileSync(join(dir, file), "utf8")) as Omit<Recording, "file">) }));
}

let recordingsCache: Recording[] | undefined;

/** One recording (read once per process; callers clone what they change). */
export function recording(file: string): Recording {
  recordingsCache ??= loadRecordings();
  const found = recordingsCache.find((r) => r.file === file);
  if (!found) throw new Error(`recording ${file} not found in ${FIXTURE_DIR()}`);
  return found;
}

export interface SpecCorrection {
  readonly what: string;
  /** Recording that shows the live behaviour. */
  readonly evidence: string;
  apply(spec: Json): void;
}

const schemas = (spec: Json) => (spec.components as { schemas: Record<string, Json & { properties: Record<string, Json>; required?: string[] }> }).schemas;

function makeNullable(spec: Json, schema: string, ...props: string[]): void {
  const target = schemas(spec)[schema];
  for (const prop of props) {
    const current = target.properties[prop];
    // OpenAPI 3.0 ignores siblings of $ref, so a nullable reference is an anyOf with null.
    target.properties[prop] = typeof current.$ref === "string"
      ? { anyOf: [{ $ref: current.$ref }, { type: "string", nullable: true, enum: [null] }] }
      : { ...current, nullable: true };
  }
}

/** Each correction, with the recording that proves the live API does it. */
export const SPEC_CORRECTIONS: readonly SpecCorrection[] = [
  {
    what: "TaskInfo.finishedAt, startedAt and responseError are null while a task runs or when it has no error",
    evidence: "POST_servers_111007_image.json",
    apply: (spec) => makeNullable(spec, "TaskInfo", "finishedAt", "startedAt", "responseError"),
  },
  {
    what: "TaskInfoStep.startedAt and finishedAt are null for steps not started or not finished",
    evidence: "POST_servers_111007_image.json",
    apply: (spec) => makeNullable(spec, "TaskInfoStep", "startedAt", "finishedAt"),
  },
  {
    what: "ServerInterface.vlanId is null on interfaces outside a VLAN",
    evidence: "GET_servers_111007.json",
    apply: (spec) => makeNullable(spec, "ServerInterface", "vlanId"),
  },
  {
    what: "Site has no `name` (only id and city), although the spec lists it as required",
    evidence: "GET_servers_111007.json",
    apply: (spec) => {
      schemas(spec).Site.required = ["city"];
    },
  },
  {
    what: "Snapshot.downloadInfos is null for a snapshot that was never exported",
    evidence: "GET_servers_111007_snapshots_audit-s1.json",
    apply: (spec) => makeNullable(spec, "Snapshot", "downloadInfos"),
  },
  {
    what: "PATCH /servers/{id} takes exactly one attribute: the oneOf branches share no required property, so any body matched several; each branch now requires its one attribute and nothing else",
    evidence: "PATCH_servers_111007.json",
    apply: (spec) => {
      const names = ["ServerStatePatch", "ServerAutostartPatch", "ServerBootorderPatch", "ServerOsOptimizationPatch", "ServerCpuTopologyPatch", "ServerUEFIPatch", "ServerHostnamePatch", "ServerNicknamePatch", "ServerKeyboardLayoutPatch", "ServerSetRootPasswordPatch"];
      for (const name of names) {
        const schema = schemas(spec)[name];
        schema.required = Object.keys(schema.properties);
        schema.additionalProperties = false;
      }
    },
  },
];

/** The spec with the corrections applied and an operationId per operation (the spec has none). */
export function loadCorrectedSpec(corrections: readonly SpecCorrection[] = SPEC_CORRECTIONS): Json {
  const spec = loadRawSpec();
  for (const correction of corrections) correction.apply(spec);
  return withOperationIds(spec);
}

export function withOperationIds(spec: Json): Json {
  for (const [path, item] of Object.entries(spec.paths as Record<string, Record<string, Json>>)) {
    for (const method of ["get", "post", "put", "patch", "delete"]) if (item[method]) item[method].operationId = `${method.toUpperCase()} ${path}`;
  }
  return spec;
}

/** The operations the fake serves; the validator is built for these only (building all ~90 takes seconds). */
export const SERVED_OPERATIONS: readonly string[] = [
  "GET /api/v1/servers", "GET /api/v1/servers/{serverId}", "PATCH /api/v1/servers/{serverId}", "GET /api/v1/servers/{serverId}/imageflavours",
  "POST /api/v1/servers/{serverId}/image", "GET /api/v1/tasks/{uuid}", "GET /api/v1/users/{userId}/ssh-keys", "POST /api/v1/users/{userId}/ssh-keys",
  "POST /api/v1/rdns/ipv4", "GET /api/v1/rdns/ipv4/{ip}", "DELETE /api/v1/rdns/ipv4/{ip}",
  "GET /api/v1/servers/{serverId}/snapshots", "POST /api/v1/servers/{serverId}/snapshots", "POST /api/v1/servers/{serverId}/snapshots:dryrun",
  "GET /api/v1/servers/{serverId}/snapshots/{name}", "DELETE /api/v1/servers/{serverId}/snapshots/{name}", "POST /api/v1/servers/{serverId}/snapshots/{name}/revert",
];

function servedOnly(spec: Json): Json {
  const methods = new Set(["get", "post", "put", "patch", "delete", "head", "options", "trace"]);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [path, item] of Object.entries(spec.paths as Record<string, Record<string, Json>>)) {
    const served = Object.entries(item).filter(([method, op]) => methods.has(method) && SERVED_OPERATIONS.includes(String(op.operationId)));
    if (served.length === 0) continue;
    // Path-level entries (shared `parameters`) stay with the operations.
    paths[path] = { ...Object.fromEntries(Object.entries(item).filter(([key]) => !methods.has(key))), ...Object.fromEntries(served) };
  }
  return { ...spec, paths };
}

/** JSON pointer of a request body schema, as a `$ref` fragment. */
function bodyPointer(path: string, method: string, mediaType: string): string {
  const token = (t: string) => encodeURIComponent(t.replace(/~/g, "~0").replace(/\//g, "~1"));
  return `scp#/${["paths", path, method, "requestBody", "content", mediaType, "schema"].map(token).join("/")}`;
}

export interface SpecValidator {
  /** The operation a method and path (below `/scp-core`) belong to. */
  match(method: string, path: string): Operation | undefined;
  validateRequest(op: Operation, request: { method: string; path: string; query: Record<string, string | string[]>; headers: Record<string, string>; body: unknown }): string[];
  /** Validates a response body for a status; statuses the spec does not list are checked as `ResponseError`. */
  validateResponse(op: Operation, status: number, body: unknown): string[];
}

let defaultValidator: Promise<SpecValidator> | undefined;

/** The validator of the corrected spec (built once per process), or of the spec given. */
export function createValidator(spec?: Json): Promise<SpecValidator> {
  if (spec) return buildValidator(spec);
  defaultValidator ??= buildValidator(loadCorrectedSpec());
  return defaultValidator;
}

async function buildValidator(fullSpec: Json): Promise<SpecValidator> {
  const spec = servedOnly(fullSpec);
  // openapi-backend validates JSON and form bodies only; other JSON media types (merge-patch) go through Ajv here.
  const { api, ajv: plainAjv, match, format } = await openApiTools(spec, { schemaId: "scp", strict: false });
  const responseError = plainAjv.compile(schemas(spec).ResponseError);
  return {
    match,
    validateRequest: (op, request) => {
      const problems: string[] = [];
      const bodySpec = op.requestBody as { content?: Record<string, unknown>; required?: boolean } | undefined;
      const contentType = (request.headers["content-type"] ?? "").split(";")[0].trim();
      if (request.body !== undefined && bodySpec?.content && !(contentType in bodySpec.content)) {
        problems.push(`content-type "${contentType}" is not one the operation accepts (${Object.keys(bodySpec.content).join(", ")})`);
      }
      if (request.body === undefined && bodySpec?.required) problems.push("request body is required");
      const result = api.validator.validateRequest({ method: request.method.toLowerCase(), path: request.path, query: request.query, headers: request.headers, body: request.body }, op as never);
      if (!result.valid) problems.push(...format(result.errors as never));
      if (request.body !== undefined && contentType !== "application/json" && bodySpec?.content && contentType in bodySpec.content) {
        const validate = plainAjv.getSchema(bodyPointer(op.path, op.method, contentType)) ?? plainAjv.compile({ $ref: bodyPointer(op.path, op.method, contentType) });
        if (!validate(request.body)) problems.push(...format(validate.errors).map((e) => `requestBody${e}`));
      }
      return problems;
    },
    validateResponse: (op, status, body) => {
      const declared = (op.responses ?? {}) as Record<string, { content?: Record<string, unknown> }>;
      const entry = declared[String(status)];
      if (!entry) {
        if (body === undefined) return [];
        return responseError(body) ? [] : format(responseError.errors).map((e) => `undeclared status ${status}, body is no ResponseError: ${e}`);
      }
      if (!entry.content) return body === undefined ? [] : [`status ${status} is declared without a body, but one was sent`];
      if (body === undefined) return [`status ${status} is declared with a body, but none was sent`];
      const result = api.validator.validateResponse(body, op as never, status);
      return result.valid ? [] : format(result.errors as never);
    },
  };
}
