/**
 * The Hetzner Cloud description the fake validates against (./openapi.json, a subset of Hetzner's
 * published one, see SOURCE.md) and the validator. Three readings are applied, none loosens:
 * response ranges `4xx`/`5xx` are spelt `4XX`/`5XX` as OpenAPI 3.0 requires (openapi-backend
 * refuses the document otherwise); `allOf` + `nullable` becomes "null or the referenced schema",
 * which Ajv does not read by itself; and request objects are closed (`additionalProperties:
 * false`), since the real API silently ignores a misspelt field and a test should not.
 */
import Ajv, { type ValidateFunction } from "ajv";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Operation } from "openapi-backend";
import { openApiTools } from "../openapi";
import { repoRoot } from "../scp/spec";

type Json = Record<string, unknown>;

export function loadRawSpec(): Json {
  return JSON.parse(readFileSync(join(repoRoot(), "tests", "fakes", "hetzner", "openapi.json"), "utf8")) as Json;
}

/** Rewrites `{allOf: [...], nullable: true}` to `{anyOf: [{allOf: [...]}, {enum: [null]}]}`, everywhere. */
export function nullableAllOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(nullableAllOf);
  if (!value || typeof value !== "object") return value;
  const entries = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, nullableAllOf(v)])) as Json;
  if (Array.isArray(entries.allOf) && entries.nullable === true) {
    const { allOf, nullable: _nullable, ...rest } = entries;
    return { ...rest, anyOf: [{ allOf }, { enum: [null] }] };
  }
  return entries;
}

/** Closes every object schema reachable from the request bodies (through `$ref`s into components). */
export function closeRequestObjects(spec: Json): void {
  const schemas = (spec.components as { schemas: Record<string, Json> }).schemas;
  const seen = new Set<unknown>();
  const close = (schema: unknown): void => {
    if (!schema || typeof schema !== "object" || seen.has(schema)) return;
    seen.add(schema);
    const s = schema as Json;
    if (typeof s.$ref === "string") return close(schemas[s.$ref.replace("#/components/schemas/", "")]);
    if (s.properties && s.additionalProperties === undefined && !s.allOf && !s.anyOf && !s.oneOf) s.additionalProperties = false;
    for (const child of Object.values((s.properties ?? {}) as Json)) close(child);
    close(s.items);
    for (const key of ["allOf", "anyOf", "oneOf"]) for (const child of (s[key] ?? []) as unknown[]) close(child);
  };
  for (const item of Object.values(spec.paths as Record<string, Record<string, Json>>)) {
    for (const op of Object.values(item)) {
      const content = (op.requestBody as { content?: Record<string, { schema?: unknown }> } | undefined)?.content;
      close(content?.["application/json"]?.schema);
    }
  }
}

/** `4xx` -> `4XX` in every operation's responses. */
export function upperCaseRanges(spec: Json): void {
  for (const item of Object.values(spec.paths as Record<string, Record<string, Json>>)) {
    for (const op of Object.values(item)) {
      const responses = op.responses as Record<string, unknown> | undefined;
      if (!responses) continue;
      op.responses = Object.fromEntries(Object.entries(responses).map(([key, value]) => [/^\dxx$/.test(key) ? key.toUpperCase() : key, value]));
    }
  }
}

export function loadSpec(): Json {
  const spec = nullableAllOf(loadRawSpec()) as Json;
  upperCaseRanges(spec);
  closeRequestObjects(spec);
  return spec;
}

export interface RequestParts {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string | string[]>;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

export interface SpecValidator {
  match(method: string, path: string): Operation | undefined;
  validateRequest(op: Operation, request: RequestParts): string[];
  /** Checks an answer against the entry for its status (`201`, or the range `4XX`/`5XX`). */
  validateResponse(op: Operation, status: number, body: unknown): string[];
}

const pointer = (...tokens: string[]) => `hcloud#/${tokens.map((t) => encodeURIComponent(t.replace(/~/g, "~0").replace(/\//g, "~1"))).join("/")}`;

/** Prices are `format: decimal` strings ("1.0000000000"), a format Ajv does not know. */
function addDecimal(ajv: Ajv): void {
  ajv.addFormat("decimal", /^-?\d+(\.\d+)?$/);
}

let defaultValidator: Promise<SpecValidator> | undefined;

/** The validator of ./openapi.json (built once per process). */
export function createValidator(): Promise<SpecValidator> {
  defaultValidator ??= buildValidator(loadSpec());
  return defaultValidator;
}

async function buildValidator(spec: Json): Promise<SpecValidator> {
  const { api, ajv, match, format } = await openApiTools(spec, { schemaId: "hcloud", strict: false, formats: addDecimal });
  const compiled = new Map<string, ValidateFunction>();
  return {
    match,
    validateRequest: (op, request) => {
      const problems: string[] = [];
      const bodySpec = op.requestBody as { content?: Record<string, unknown>; required?: boolean } | undefined;
      const contentType = (request.headers["content-type"] ?? "").split(";")[0].trim();
      if (request.body !== undefined && !bodySpec) problems.push("the operation takes no request body");
      if (request.body !== undefined && bodySpec?.content && contentType !== "application/json") problems.push(`content-type "${contentType}" is not application/json`);
      if (request.body === undefined && bodySpec?.required) problems.push("request body is required");
      const result = api.validator.validateRequest({ method: request.method.toLowerCase(), path: request.path, query: request.query, headers: request.headers, body: request.body }, op as never);
      if (!result.valid) problems.push(...format(result.errors as never));
      return problems;
    },
    validateResponse: (op, status, body) => {
      const declared = (op.responses ?? {}) as Record<string, { content?: Record<string, unknown> }>;
      const key = String(status) in declared ? String(status) : `${Math.floor(status / 100)}XX`;
      const entry = declared[key];
      if (!entry) return [`status ${status} is not declared for ${op.operationId ?? "?"}`];
      if (!entry.content) return body === undefined ? [] : [`status ${status} is declared without a body, but one was sent`];
      if (body === undefined) return [`status ${status} is declared with a body, but none was sent`];
      const ref = pointer("paths", op.path, op.method, "responses", key, "content", "application/json", "schema");
      let validate = compiled.get(ref);
      if (!validate) {
        validate = ajv.compile({ $ref: ref });
        compiled.set(ref, validate);
      }
      return validate(body) ? [] : format(validate.errors);
    },
  };
}
