/** The kept description and the fake's readings of it: each reading is needed, and none lets more through. */
import Ajv from "ajv";
import { describe, expect, it } from "vitest";
import { SERVED_OPERATIONS } from "../fakes/hetzner/operations";
import { closeRequestObjects, loadRawSpec, nullableAllOf, upperCaseRanges } from "../fakes/hetzner/spec";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const OPS = ["get", "post", "put", "delete"];
const operations = (spec: Json) => Object.values(spec.paths as Json).flatMap((item: Json) => OPS.filter((m) => item[m]).map((m) => item[m] as Json));

describe("Hetzner description subset", () => {
  it("holds exactly the served operations, each with its responses", () => {
    const ops = operations(loadRawSpec());
    expect(ops.map((op) => op.operationId).sort()).toEqual([...SERVED_OPERATIONS].sort());
    for (const op of ops) expect(Object.keys(op.responses)).toContain("4xx");
  });

  it("4xx ranges become 4XX, which OpenAPI 3.0 requires", () => {
    const spec = loadRawSpec() as Json;
    upperCaseRanges(spec);
    const keys = operations(spec).flatMap((op) => Object.keys(op.responses));
    expect(keys).not.toContain("4xx");
    expect(keys).toContain("4XX");
  });

  it("allOf + nullable: Ajv cannot compile the action schema as written, and accepts a null error once read as null-or-schema", () => {
    const raw = loadRawSpec() as Json;
    const check = (spec: Json) => {
      const ajv = new Ajv({ strict: false });
      ajv.addSchema(spec, "h");
      return ajv.compile({ $ref: "h#/components/schemas/action" });
    };
    const done = { id: 1, command: "create_server", status: "success", progress: 100, started: "2026-01-01T00:00:00Z", finished: "2026-01-01T00:00:01Z", resources: [], error: null };
    expect(() => check(raw)).toThrow(/"nullable" cannot be used without "type"/);
    const read = check(nullableAllOf(raw) as Json);
    expect(read(done)).toBe(true);
    // Still no other type than null or the error object.
    expect(read({ ...done, error: "failed" })).toBe(false);
  });

  it("closing request objects refuses a misspelt field the description leaves open", () => {
    const raw = loadRawSpec() as Json;
    const body = { name: "n", server_type: "cpx31", image: "debian-13", public_net: { ipv4_enabled: true } };
    const check = (spec: Json) => {
      const ajv = new Ajv({ strict: false });
      ajv.addSchema(spec, "h");
      return ajv.compile({ $ref: "h#/components/schemas/create_server_request" })(body);
    };
    expect(check(raw)).toBe(true);
    closeRequestObjects(raw);
    expect(check(raw)).toBe(false);
  });
});
