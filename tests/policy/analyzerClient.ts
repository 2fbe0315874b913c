/**
 * Starts the pack the way the Pulumi CLI does (`run-policy-pack <engine> <pack dir>` in a child
 * process, which serves the analyzer on 127.0.0.1 and prints its port) and speaks to it with the
 * analyzer protocol shipped in @pulumi/pulumi/proto.
 */
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll } from "vitest";
import { repoRoot } from "../../automation/repoRoot";

/* eslint-disable @typescript-eslint/no-explicit-any */
const protoDir = dirname(require.resolve("@pulumi/pulumi/proto/analyzer_pb"));
export const analyzerPb: any = require("@pulumi/pulumi/proto/analyzer_pb");
const analyzerRpc: any = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
// The Struct and Empty the generated code was built against (its own google-protobuf copy).
const structPb: any = require(require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [protoDir] }));
const emptyPb: any = require(require.resolve("google-protobuf/google/protobuf/empty_pb", { paths: [protoDir] }));

/** The repository (found upward, so this also works compiled under dist/). */
export const ROOT = repoRoot(__dirname);
const PACK_DIR = join(ROOT, "policy");
/** What the CLI loads: the pack folder's package.json main, built into the folder by `npm run build`. */
const PACK_BIN = join(PACK_DIR, "bin");
const PACK_MAIN = join(PACK_BIN, "policy", "index.js");

/**
 * Compiles the repository when the pack's JavaScript is missing or older than a source. tsc
 * emits even when files elsewhere fail to type-check (their errors are the type-check's
 * business), so only errors in the pack's own files, or no pack at all, are fatal here.
 */
export function ensurePackBuilt(): void {
  const sources = readdirSync(PACK_DIR, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));
  const stale = sources.some((f) => {
    const js = join(PACK_BIN, "policy", f.replace(/\.ts$/, ".js"));
    return !existsSync(js) || statSync(js).mtimeMs < statSync(join(PACK_DIR, f)).mtimeMs;
  });
  if (!stale) return;
  const tsc = spawnSync(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", join(PACK_DIR, "tsconfig.json")], { encoding: "utf8" });
  const packErrors = `${tsc.stdout}${tsc.stderr}`.split("\n").filter((line) => line.startsWith("policy/"));
  if (!existsSync(PACK_MAIN) || packErrors.length > 0) throw new Error(`could not build the policy pack:\n${packErrors.join("\n")}`);
  // As npm run build does: the pack carries the lock, for use outside a checkout.
  copyFileSync(join(ROOT, "tenants", "images.lock.json"), join(PACK_BIN, "tenants", "images.lock.json"));
}

export interface RunningPack {
  readonly port: number;
  readonly client: any;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/** Spawns the pack as the CLI's analyzer host does and waits for the port it prints. */
export function startPack(): Promise<RunningPack> {
  const runner = join(ROOT, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack");
  // The engine address is the CLI's; a policy pack does not call back, so any address serves.
  const child = spawn(process.execPath, [runner, "127.0.0.1:0", PACK_DIR], { cwd: PACK_DIR, stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    const timer = setTimeout(() => fail(new Error(`the pack printed no port within 30 s; stderr: ${err}`)), 30_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill();
      reject(error);
    };
    child.stderr.on("data", (chunk: Buffer) => { err += chunk.toString(); });
    child.once("exit", (code) => fail(new Error(`the pack exited with ${code} before serving; stderr: ${err}`)));
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /^(\d+)\s*$/m.exec(out);
      if (!match) return;
      clearTimeout(timer);
      child.removeAllListeners("exit");
      const port = Number(match[1]);
      const client = new analyzerRpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
      resolve({
        port,
        client,
        process: child,
        stop: () => new Promise<void>((done) => {
          client.close();
          if (child.exitCode !== null) return done();
          child.once("exit", () => done());
          child.kill();
        }),
      });
    });
  });
}

export function call<T>(client: any, method: string, request: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    client[method](request, (error: Error | null, response: T) => (error ? reject(error) : resolve(response)));
  });
}

/** The parts of `AnalyzerInfo` the tests read. */
export interface AnalyzerInfo {
  getName(): string;
  getPoliciesList(): { getName(): string; getEnforcementlevel(): number }[];
}

export const empty = (): unknown => new emptyPb.Empty();

export interface WireResource {
  readonly type: string;
  readonly name: string;
  readonly props: Record<string, unknown>;
  readonly protect?: boolean;
  readonly parent?: string;
  readonly dependencies?: readonly string[];
  /** Default - `urn:pulumi:<stack>::<project>::<type>::<name>`. */
  readonly urn?: string;
}

export function urnOf(stack: string, project: string, type: string, name: string): string {
  return `urn:pulumi:${stack}::${project}::${type}::${name}`;
}

function options(resource: WireResource): unknown {
  const opts = new analyzerPb.AnalyzerResourceOptions();
  opts.setProtect(resource.protect ?? false);
  if (resource.parent) opts.setParent(resource.parent);
  return opts;
}

export function analyzeRequest(resource: WireResource & { urn: string }): unknown {
  const req = new analyzerPb.AnalyzeRequest();
  req.setType(resource.type);
  req.setName(resource.name);
  req.setUrn(resource.urn);
  req.setProperties(structPb.Struct.fromJavaScript(resource.props));
  req.setOptions(options(resource));
  return req;
}

export function analyzeStackRequest(resources: readonly (WireResource & { urn: string })[]): unknown {
  const req = new analyzerPb.AnalyzeStackRequest();
  req.setResourcesList(resources.map((r) => {
    const res = new analyzerPb.AnalyzerResource();
    res.setType(r.type);
    res.setName(r.name);
    res.setUrn(r.urn);
    res.setProperties(structPb.Struct.fromJavaScript(r.props));
    res.setOptions(options(r));
    if (r.parent) res.setParent(r.parent);
    res.setDependenciesList([...(r.dependencies ?? [])]);
    return res;
  }));
  return req;
}

export interface Diagnostic {
  readonly policyName: string;
  readonly message: string;
  readonly urn: string;
  readonly enforcementLevel: number;
}

export function diagnostics(response: any): Diagnostic[] {
  return response.getDiagnosticsList().map((d: any) => ({
    policyName: d.getPolicyname(),
    message: d.getMessage(),
    urn: d.getUrn(),
    enforcementLevel: d.getEnforcementlevel(),
  }));
}

export function notApplicable(response: any): { policyName: string; reason: string }[] {
  return response.getNotApplicableList().map((n: any) => ({ policyName: n.getPolicyName(), reason: n.getReason() }));
}

/** The built pack served for the enclosing suite (started before its tests, stopped after). */
export function servedPack(): () => RunningPack {
  let pack: RunningPack | undefined;
  beforeAll(async () => {
    ensurePackBuilt();
    pack = await startPack();
  });
  afterAll(async () => {
    await pack?.stop();
  });
  return () => {
    if (!pack) throw new Error("the policy pack is not running (servedPack() registers it for the suite)");
    return pack;
  };
}
