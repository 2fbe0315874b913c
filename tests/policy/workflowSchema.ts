/**
 * A compact JSON schema of the GitHub Actions workflow syntax subset Gitea Actions runs and
 * these workflows use. Unknown keys are errors, so a misspelt key fails here, not in CI.
 */
const stringMap = { type: "object", additionalProperties: { type: ["string", "number", "boolean"] } };
const stringOrList = { oneOf: [{ type: "string" }, { type: "array", items: { type: "string" }, minItems: 1 }] };
const permissionLevel = { enum: ["read", "write", "none"] };
const permissions = {
  oneOf: [
    { enum: ["read-all", "write-all"] },
    { type: "object", propertyNames: { enum: ["actions", "checks", "contents", "deployments", "issues", "packages", "pull-requests", "statuses"] }, additionalProperties: permissionLevel },
  ],
};
const concurrency = {
  oneOf: [
    { type: "string" },
    { type: "object", required: ["group"], additionalProperties: false, properties: { group: { type: "string" }, "cancel-in-progress": { type: ["boolean", "string"] } } },
  ],
};
const branchFilter = {
  type: "object",
  additionalProperties: false,
  properties: { branches: { type: "array", items: { type: "string" } }, paths: { type: "array", items: { type: "string" } }, types: { type: "array", items: { type: "string" } } },
};

const step = {
  type: "object",
  additionalProperties: false,
  oneOf: [{ required: ["uses"], not: { required: ["run"] } }, { required: ["run"], not: { required: ["uses"] } }],
  properties: {
    id: { type: "string", pattern: "^[A-Za-z_][A-Za-z0-9_-]*$" },
    name: { type: "string" },
    if: { type: "string" },
    uses: { type: "string", pattern: "^[^@\\s]+@[^@\\s]+$" },
    run: { type: "string", minLength: 1 },
    with: stringMap,
    env: stringMap,
    shell: { type: "string" },
    "working-directory": { type: "string" },
    "continue-on-error": { type: ["boolean", "string"] },
    "timeout-minutes": { type: "number" },
  },
};

const job = {
  type: "object",
  additionalProperties: false,
  required: ["runs-on", "steps"],
  properties: {
    name: { type: "string" },
    "runs-on": stringOrList,
    needs: stringOrList,
    if: { type: "string" },
    environment: { oneOf: [{ type: "string" }, { type: "object", required: ["name"], additionalProperties: false, properties: { name: { type: "string" }, url: { type: "string" } } }] },
    permissions,
    concurrency,
    env: stringMap,
    outputs: { type: "object", additionalProperties: { type: "string" } },
    "timeout-minutes": { type: "number" },
    "continue-on-error": { type: ["boolean", "string"] },
    strategy: {
      type: "object",
      additionalProperties: false,
      properties: {
        "fail-fast": { type: "boolean" },
        "max-parallel": { type: "number" },
        matrix: { oneOf: [{ type: "string" }, { type: "object", minProperties: 1 }] },
      },
    },
    steps: { type: "array", minItems: 1, items: step },
  },
};

export const workflowSchema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  type: "object",
  additionalProperties: false,
  required: ["on", "jobs"],
  properties: {
    name: { type: "string" },
    on: {
      type: "object",
      additionalProperties: false,
      minProperties: 1,
      properties: {
        pull_request: { oneOf: [{ type: "null" }, branchFilter] },
        push: { oneOf: [{ type: "null" }, branchFilter] },
        workflow_dispatch: { oneOf: [{ type: "null" }, { type: "object" }] },
        schedule: {
          type: "array",
          minItems: 1,
          items: { type: "object", required: ["cron"], additionalProperties: false, properties: { cron: { type: "string", pattern: "^(\\S+\\s+){4}\\S+$" } } },
        },
      },
    },
    env: stringMap,
    permissions,
    concurrency,
    jobs: { type: "object", minProperties: 1, propertyNames: { pattern: "^[A-Za-z_][A-Za-z0-9_-]*$" }, additionalProperties: job },
  },
} as const;
