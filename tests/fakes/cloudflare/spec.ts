/**
 * The excerpt of Cloudflare's API description the fake serves (./openapi.json, each part naming its
 * origin in `x-source`) and its validator: requests (path, query, body) and the fake's own answers.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { type Operation } from "openapi-backend";
import { openApiTools } from "../openapi";

type Json = Record<string, unknown>;

/** The JSON stays in the source tree: found from the TypeScript source and from the compiled copy under dist/. */
function specFile(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, "tests", "fakes", "cloudflare", "openapi.json");
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`openapi.json of the Cloudflare fake not found above ${__dirname}`);
  }
}

export function loadSpec(): Json {
  return JSON.parse(readFileSync(specFile(), "utf8")) as Json;
}

export interface CfRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

export interface CfValidator {
  match(method: string, path: string): Operation | undefined;
  validateRequest(op: Operation, request: CfRequest): string[];
  validateResponse(op: Operation, status: number, body: unknown): string[];
}

type Errors = ReadonlyArray<{ instancePath?: string; message?: string; params?: unknown }> | null | undefined;

const format = (errors: Errors): string[] =>
  (errors ?? []).map((e) => `${e.instancePath || "(root)"} ${e.message ?? "invalid"}${e.params ? ` ${JSON.stringify(e.params)}` : ""}`);

let cached: Promise<CfValidator> | undefined;

/** Built once per process. */
export function createValidator(): Promise<CfValidator> {
  cached ??= buildValidator(loadSpec());
  return cached;
}

async function buildValidator(spec: Json): Promise<CfValidator> {
  const { api, ajv, match } = await openApiTools(spec, { schemaId: "cf", strict: true });
  const failure = ajv.compile({ $ref: "cf#/components/schemas/api-response-common-failure" });

  return {
    match,
    validateRequest: (op, request) => {
      const problems: string[] = [];
      const declared = new Set(((op.parameters ?? []) as Array<{ in: string; name: string }>).filter((p) => p.in === "query").map((p) => p.name));
      for (const key of new Set(request.query.keys())) if (!declared.has(key)) problems.push(`query parameter "${key}" is not in the description`);
      const bodySpec = op.requestBody as { required?: boolean; content?: Record<string, unknown> } | undefined;
      const contentType = (request.headers["content-type"] ?? "").split(";")[0].trim();
      if (request.body !== undefined && !bodySpec) problems.push("the operation takes no request body");
      if (request.body === undefined && bodySpec?.required) problems.push("request body is required");
      if (request.body !== undefined && bodySpec?.content && !(contentType in bodySpec.content)) problems.push(`content-type "${contentType}" is not application/json`);
      const query: Record<string, string | string[]> = {};
      for (const key of new Set(request.query.keys())) {
        const all = request.query.getAll(key);
        query[key] = all.length > 1 ? all : all[0];
      }
      const result = api.validator.validateRequest(
        { method: request.method.toLowerCase(), path: request.path, query, headers: request.headers, body: request.body },
        op as never,
      );
      if (!result.valid) problems.push(...format(result.errors as Errors));
      return problems;
    },
    validateResponse: (op, status, body) => {
      if (status >= 400) return failure(body) ? [] : format(failure.errors).map((e) => `failure envelope: ${e}`);
      const declared = (op.responses ?? {}) as Record<string, unknown>;
      if (!declared[String(status)]) return [`status ${status} is not declared`];
      const result = api.validator.validateResponse(body, op as never, status);
      return result.valid ? [] : format(result.errors as Errors);
    },
  };
}
