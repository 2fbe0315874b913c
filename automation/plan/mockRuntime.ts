/**
 * Runs a Pulumi program under the SDK's mock runtime and records every registration as the
 * engine would see it: type, name, parent, dependencies, protect, and inputs with secret
 * markers intact. Shared by the offline plan, the tests and the benchmarks.
 */
import * as pulumi from "@pulumi/pulumi";
import * as settings from "@pulumi/pulumi/runtime/settings";
import { MockAnswer, mockState, MockContext } from "./mockState";
import { PlannedResource, SECRET_MARK, UNKNOWN_MARK } from "./types";

const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
const OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export interface StackReferenceValue {
  readonly outputs: Record<string, unknown>;
  readonly secretOutputNames?: readonly string[];
}

export interface MockRunOptions {
  readonly project: string;
  readonly stack: string;
  readonly organization?: string;
  /** Stack config, keys `namespace:key`; values as the CLI would hand them over (strings or JSON). */
  readonly config?: Record<string, unknown>;
  readonly secretConfigKeys?: readonly string[];
  /** Outputs served to `StackReference`s, by full stack name (`org/project/stack`). */
  readonly stackReferences?: Readonly<Record<string, StackReferenceValue>>;
  readonly preview?: boolean;
  /** Receives registrations as they happen; still filled when the program fails. */
  readonly recordInto?: RecordedResource[];
  /**
   * Answers a resource instead of the canned mock state (e.g. by really creating it);
   * `undefined` falls back to the mock. Registrations wait for it, so dependents get its outputs.
   */
  readonly answer?: (args: pulumi.runtime.MockResourceArgs) => Promise<MockAnswer | undefined>;
}

export interface RecordedResource extends PlannedResource {
  /** Inputs with secrets unwrapped: for assertions in tests, never for printing. */
  readonly plainInputs: Record<string, unknown>;
  readonly ignoreChanges: string[];
  readonly deleteBeforeReplace: boolean;
  readonly replaceOnChanges: string[];
  /** The provider reference (`urn::id`) this resource was registered with, if any. */
  readonly provider?: string;
}

export interface MockRunResult {
  readonly resources: RecordedResource[];
  readonly outputs: Record<string, unknown>;
  readonly plainOutputs: Record<string, unknown>;
  readonly secretOutputs: string[];
}

type Program = () => Promise<Record<string, unknown> | void> | Record<string, unknown> | void;

/** One run at a time per process: the SDK's runtime state is global. */
let running: Promise<unknown> = Promise.resolve();

/**
 * A program that throws leaves the SDK's internal promises (the stack's own registration)
 * rejected with the same error; that error is reported by the run, so it is not fatal here.
 */
const reportedErrors = new WeakSet<object>();
let guardInstalled = false;
function installRejectionGuard(): void {
  if (guardInstalled) return;
  guardInstalled = true;
  process.on("unhandledRejection", (reason) => {
    if (reason !== null && typeof reason === "object" && reportedErrors.has(reason)) return;
    throw reason;
  });
}

export function runUnderMocks(program: Program, options: MockRunOptions): Promise<MockRunResult> {
  installRejectionGuard();
  const run = running.then(() => runExclusive(program, options)).catch((error: unknown) => {
    if (error !== null && typeof error === "object") reportedErrors.add(error);
    throw error;
  });
  running = run.catch(() => undefined);
  return run;
}

async function runExclusive(program: Program, options: MockRunOptions): Promise<MockRunResult> {
  const context: MockContext = { stack: options.stack, project: options.project, created: new Map() };
  const stackReferences = options.stackReferences ?? {};
  const mocks: pulumi.runtime.Mocks = {
    newResource(args) {
      if (args.type === "pulumi:pulumi:StackReference") {
        const name = String(args.inputs.name ?? args.name);
        const ref = stackReferences[name];
        if (!ref) throw new Error(`stack reference ${name} is not available to this plan`);
        return { id: name, state: { name, outputs: ref.outputs, secretOutputNames: [...(ref.secretOutputNames ?? [])] } };
      }
      return answerResource(args, context, options.answer);
    },
    call(args) {
      throw new Error(`no mock for function ${args.token}`);
    },
  };
  pulumi.runtime.setAllConfig(stringifyConfig(options.config ?? {}), [...(options.secretConfigKeys ?? [])]);
  await pulumi.runtime.setMocks(mocks, options.project, options.stack, options.preview ?? false, options.organization ?? "");
  const recorded: RecordedResource[] = options.recordInto ?? [];
  interceptRegistrations(recorded);

  // The program's own return value keeps its secrets; the stack's resolved outputs would not.
  let stackOutputs: Record<string, unknown> = {};
  try {
    await pulumi.runtime.runInPulumiStack(async () => {
      stackOutputs = (await program()) ?? {};
      return stackOutputs;
    });
  } finally {
    // Let every registration of this run land on this run's monitor, even when it failed.
    await waitForRPCs().catch(() => undefined);
  }
  const outputs: Record<string, unknown> = {};
  const plainOutputs: Record<string, unknown> = {};
  const secretOutputs: string[] = [];
  for (const [key, value] of Object.entries(stackOutputs)) {
    const { plain, secret } = await resolveValue(value);
    plainOutputs[key] = plain;
    outputs[key] = secret ? SECRET_MARK : redactPlain(plain);
    if (secret) secretOutputs.push(key);
  }
  return { resources: recorded, outputs, plainOutputs, secretOutputs: secretOutputs.sort() };
}

/** Internal in the SDK's typings, but it is what `disconnect` waits on. */
function waitForRPCs(): Promise<void> {
  return (settings as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
}

async function answerResource(
  args: pulumi.runtime.MockResourceArgs,
  context: MockContext,
  answer: MockRunOptions["answer"],
): Promise<MockAnswer> {
  const answered = answer ? await answer(args) : undefined;
  if (!answered) return mockState(args.type, args.name, args.inputs, context);
  context.created.set(answered.id, answered.state);
  return answered;
}

function stringifyConfig(config: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => [key, typeof value === "string" ? value : JSON.stringify(value)]),
  );
}

interface ReadRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getProvider(): string;
  getDependenciesList(): string[];
  getProperties(): { toJavaScript(): Record<string, unknown> } | undefined;
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getProtect(): boolean;
  getProvider(): string;
  getDependenciesList(): string[];
  getIgnorechangesList(): string[];
  getReplaceonchangesList(): string[];
  getDeletebeforereplace(): boolean;
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
}
type Callback = (error: unknown, response: { getUrn(): string } | undefined) => void;

interface Monitor {
  registerResource(req: RegisterRequest, cb: Callback): Promise<void>;
  readResource(req: ReadRequest, cb: Callback): Promise<void>;
}

function interceptRegistrations(recorded: RecordedResource[]): void {
  const monitor = settings.getMonitor() as unknown as Monitor;
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) =>
    register(req, (error, response) => {
      if (!error && response) recorded.push(recordRequest(req, response.getUrn()));
      callback(error, response);
    });
  // Reads (StackReferences, `.get`s) show in a preview too.
  const read = monitor.readResource.bind(monitor);
  monitor.readResource = (req, callback) =>
    read(req, (error, response) => {
      if (!error && response) recorded.push(recordRequest(asRegisterRequest(req), response.getUrn()));
      callback(error, response);
    });
}

function asRegisterRequest(req: ReadRequest): RegisterRequest {
  return {
    getType: () => req.getType(),
    getName: () => req.getName(),
    getParent: () => req.getParent(),
    getCustom: () => true,
    getProtect: () => false,
    getProvider: () => req.getProvider(),
    getDependenciesList: () => req.getDependenciesList(),
    getIgnorechangesList: () => [],
    getReplaceonchangesList: () => [],
    getDeletebeforereplace: () => false,
    getObject: () => req.getProperties(),
  };
}

function recordRequest(req: RegisterRequest, urn: string): RecordedResource {
  const raw = req.getObject()?.toJavaScript() ?? {};
  const secretPaths: string[] = [];
  const inputs = walk(raw, "", secretPaths, true) as Record<string, unknown>;
  const plainInputs = walk(raw, "", [], false) as Record<string, unknown>;
  const parent = req.getParent();
  return {
    urn,
    type: req.getType(),
    name: req.getName(),
    ...(parent ? { parent } : {}),
    dependencies: [...new Set(req.getDependenciesList())].sort(),
    inputs,
    protect: req.getProtect(),
    custom: req.getCustom(),
    secretPaths,
    plainInputs,
    ignoreChanges: req.getIgnorechangesList(),
    deleteBeforeReplace: req.getDeletebeforereplace(),
    replaceOnChanges: req.getReplaceonchangesList(),
    ...(req.getProvider() ? { provider: req.getProvider() } : {}),
  };
}

/** Turns the wire form into plain values, marking (or unwrapping) secrets. */
function walk(value: unknown, path: string, secretPaths: string[], redact: boolean): unknown {
  if (value === UNKNOWN_VALUE) return UNKNOWN_MARK;
  if (Array.isArray(value)) return value.map((item, i) => walk(item, join(path, String(i)), secretPaths, redact));
  if (value === null || typeof value !== "object") return value;
  const obj = value as Record<string, unknown>;
  const sig = obj[SIG_KEY];
  if (sig === SECRET_SIG) {
    secretPaths.push(path);
    return redact ? SECRET_MARK : walk(obj.value, path, [], false);
  }
  if (sig === RESOURCE_SIG) return obj.urn;
  if (sig === OUTPUT_SIG) {
    if (obj.secret === true) {
      secretPaths.push(path);
      if (redact) return SECRET_MARK;
    }
    return "value" in obj ? walk(obj.value, path, secretPaths, redact) : UNKNOWN_MARK;
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(obj).sort()) out[key] = walk(obj[key], join(path, key), secretPaths, redact);
  return out;
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

async function resolveValue(value: unknown): Promise<{ plain: unknown; secret: boolean }> {
  const output = pulumi.output(value) as unknown as { promise(): Promise<unknown>; isSecret: Promise<boolean> };
  const [plain, secret] = await Promise.all([output.promise(), output.isSecret]);
  return { plain, secret };
}

function redactPlain(value: unknown): unknown {
  return value === undefined ? null : value;
}
