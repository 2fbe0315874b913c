/**
 * `npm run estate -- up [--tenants DIR] | status [--json] | pulumi ARGS... | down`: the local estate
 * for people. `up` starts the daemon (daemon.ts) if it is not running and brings up the hubs and the
 * tenants of DIR with the built CLI; `pulumi` runs that CLI with the estate's environment.
 * Exit codes: 0 done, 1 an operation failed, 2 usage, 3 the estate is not up.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Command, CommanderError } from "commander";
import { InvalidInputError } from "../../../tenants/schema";
import { requireFolder } from "../../../automation/cli/flags";
import { LOG_FILE, STATE_FILE, estateTenantSpecs } from "./model";

const EXIT = { ok: 0, failed: 1, usage: 2, notUp: 3 } as const;
const STARTUP_LIMIT_MS = 30 * 60_000; // a cold machine builds the host image first
class NotUpError extends Error {}

interface Daemon { readonly pid: number; readonly port: number }

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

function running(): Daemon | undefined {
  if (!existsSync(STATE_FILE)) return undefined;
  const daemon = JSON.parse(readFileSync(STATE_FILE, "utf8")) as Daemon;
  return alive(daemon.pid) ? daemon : undefined;
}

function requireRunning(): Daemon {
  const daemon = running();
  if (!daemon) throw new NotUpError("the estate is not up (run `npm run estate -- up`)");
  return daemon;
}

async function startDaemon(): Promise<Daemon> {
  const log = openSync(LOG_FILE, "a");
  const child = spawn(process.execPath, [join(__dirname, "daemon.js")], { detached: true, stdio: ["ignore", log, log] });
  child.unref();
  process.stderr.write(`estate: starting the daemon (pid ${child.pid}, log ${LOG_FILE})\n`);
  const started = Date.now();
  while (Date.now() - started < STARTUP_LIMIT_MS) {
    const daemon = running();
    if (daemon && daemon.pid === child.pid) return daemon;
    if (child.pid === undefined || !alive(child.pid)) throw new Error(`the estate daemon stopped while starting; see ${LOG_FILE}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`the estate daemon did not come up within ${STARTUP_LIMIT_MS / 60_000} min; see ${LOG_FILE}`);
}

/** POSTs an operation and copies its lines to stdout; true when the daemon's last line says ok. */
async function operate(daemon: Daemon, path: string, body: unknown): Promise<boolean> {
  const res = await fetch(`http://127.0.0.1:${daemon.port}${path}`, { method: "POST", body: JSON.stringify(body), signal: AbortSignal.timeout(6 * 3_600_000) });
  const text = await res.text();
  process.stdout.write(text);
  return res.ok && /^result: ok$/m.test(text);
}

async function up(tenantsDir: string | undefined): Promise<number> {
  requireFolder("estate up", "--tenants", tenantsDir);
  estateTenantSpecs(tenantsDir); // bad specs are refused before anything starts
  const daemon = running() ?? await startDaemon();
  return (await operate(daemon, "/up", { tenantsDir })) ? EXIT.ok : EXIT.failed;
}

async function status(json: boolean): Promise<number> {
  const daemon = requireRunning();
  const res = await fetch(`http://127.0.0.1:${daemon.port}/status`);
  if (!res.ok) throw new Error(`the daemon could not report: ${(await res.text()).trim()}`);
  const report = await res.json() as {
    stacks: Array<{ name: string; resources: number; lastResult: string | null }>; hosts: Array<{ name: string; address: string }>;
  };
  if (json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return EXIT.ok;
  }
  for (const s of report.stacks) process.stdout.write(`stack ${s.name}: ${s.resources} resources, last update ${s.lastResult ?? "none"}\n`);
  for (const h of report.hosts) process.stdout.write(`host ${h.name} at ${h.address}\n`);
  return EXIT.ok;
}

async function pulumi(args: readonly string[]): Promise<number> {
  const daemon = requireRunning();
  const { env, hubDir, tenantDir, tenants } = await (await fetch(`http://127.0.0.1:${daemon.port}/env`)).json() as {
    env: Record<string, string>; hubDir: string; tenantDir: string; tenants: string[];
  };
  // The hub's checkout (with its stack config) unless -s/--stack names a tenant stack.
  const stack = stackArg(args);
  const cwd = stack !== undefined && (stack.includes("letsbe-tenant/") || tenants.includes(stack)) ? tenantDir : hubDir;
  const result = spawnSync("pulumi", [...args], { cwd, env: { ...process.env, ...env }, stdio: "inherit" });
  return result.status ?? EXIT.failed;
}

function stackArg(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "-s" || arg === "--stack") return args[i + 1];
    if (arg.startsWith("--stack=")) return arg.slice("--stack=".length);
  }
  return undefined;
}

async function down(): Promise<number> {
  const daemon = running();
  if (!daemon) {
    process.stdout.write("the estate is not up; nothing to stop\n");
    return EXIT.ok;
  }
  const ok = await operate(daemon, "/down", {});
  if (!ok) return EXIT.failed;
  for (let i = 0; i < 120 && alive(daemon.pid); i++) await new Promise((r) => setTimeout(r, 1000));
  if (alive(daemon.pid)) {
    process.stderr.write(`estate: the daemon (pid ${daemon.pid}) did not stop; see ${LOG_FILE}\n`);
    return EXIT.failed;
  }
  return EXIT.ok;
}

export async function main(argv: readonly string[]): Promise<number> {
  let code: number = EXIT.ok;
  const program = new Command("estate").exitOverride().showHelpAfterError()
    .description("the local estate: fakes of the clouds, host containers, a registry, a file backend, and the real pulumi CLI");
  program.command("up").description("start the estate if needed, then bring up the hubs and each tenant spec in DIR")
    .option("--tenants <dir>", "folder of tenant specs (default: tests/engine/estate/tenants)")
    .action(async (opts: { tenants?: string }) => { code = await up(opts.tenants); });
  program.command("status").description("each stack (resources, last update) and host").option("--json", "as JSON")
    .action(async (opts: { json?: boolean }) => { code = await status(opts.json ?? false); });
  program.command("pulumi").description("run the built pulumi CLI with the estate's environment")
    .allowUnknownOption().helpOption(false).argument("[args...]")
    .action(async (args: string[]) => { code = await pulumi(args); });
  program.command("down").description("destroy every stack, stop what the estate started, remove its files")
    .action(async () => { code = await down(); });
  try {
    await program.parseAsync([...argv], { from: "user" });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (error instanceof InvalidInputError) {
      process.stderr.write(`${error.message}\n`);
      return EXIT.usage;
    }
    if (error instanceof NotUpError) {
      process.stderr.write(`estate: ${error.message}\n`);
      return EXIT.notUp;
    }
    process.stderr.write(`estate: ${(error as Error).message}\n`);
    return EXIT.failed;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
