/**
 * What every vendor fake shares: openapi-backend over the vendor's description (routing and request
 * validation, all errors), a plain Ajv holding the same document for bodies and answers, and one
 * format for Ajv's errors.
 */
import Ajv from "ajv";
import addFormats from "ajv-formats";
import { OpenAPIBackend, type Operation } from "openapi-backend";

type Json = Record<string, unknown>;
export type AjvErrors = ReadonlyArray<{ instancePath?: string; message?: string }> | null | undefined;

export interface OpenApiTools {
  readonly api: OpenAPIBackend;
  /** The description under `schemaId`, for `$ref: "<schemaId>#/..."`. */
  readonly ajv: Ajv;
  match(method: string, path: string): Operation | undefined;
  format(errors: AjvErrors): string[];
}

export async function openApiTools(spec: Json, options: { schemaId: string; strict: boolean; formats?: (ajv: Ajv) => void }): Promise<OpenApiTools> {
  const api = new OpenAPIBackend({
    definition: spec as never,
    strict: options.strict,
    quick: false,
    validate: true,
    customizeAjv: (ajv) => {
      addFormats(ajv as never);
      options.formats?.(ajv as never);
      ajv.opts.allErrors = true;
      return ajv;
    },
  });
  await api.init();
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  options.formats?.(ajv);
  ajv.addSchema(spec, options.schemaId);
  return {
    api,
    ajv,
    match: (method, path) => api.router.matchOperation({ method: method.toLowerCase(), path, headers: {} }) || undefined,
    format: (errors) => (errors ?? []).map((e) => `${e.instancePath || "(root)"} ${e.message ?? "invalid"}`),
  };
}
