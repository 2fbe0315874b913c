/**
 * Issue 14: the commands the READMEs show run as written. The operator CLI's example session
 * (automation/README.md, `npm run rehearse`: the CLI on the simulated workspace) is replayed command by command, its shown
 * output compared where it is not shortened; the README's first command runs the offline plan.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { runCli } from "../../automation/cli/index";
import { PlainProgress } from "../../automation/cli/progress";
import { SIMULATED_BACKEND } from "./simulatedBackend";

const root = resolve(__dirname, "../..");

interface SessionStep {
  readonly command: string;
  readonly output: string[];
}

/** The `$ ` lines of a fenced console block (with `\` continuations) and the lines shown after each. */
function consoleSteps(markdown: string, heading: string): SessionStep[] {
  const section = markdown.slice(markdown.indexOf(heading));
  const block = /```console\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
  const steps: Array<{ command: string; output: string[] }> = [];
  let continued = false;
  for (const line of block.split("\n")) {
    if (continued) {
      steps[steps.length - 1].command += ` ${line.trim().replace(/\\$/, "").trim()}`;
    } else if (line.startsWith("$ ")) {
      steps.push({ command: line.slice(2).replace(/\\$/, "").trim(), output: [] });
    } else if (line !== "" && steps.length > 0) {
      steps[steps.length - 1].output.push(line);
    }
    continued = line.endsWith("\\");
  }
  return steps;
}

/** `sha256:abab…ab` in the docs stands for 64 hex digits: the shown pair repeated. */
const fillDigest = (text: string) => text.replace(/sha256:([0-9a-f]{2})[0-9a-f]*…[0-9a-f]*/g, (_m, pair: string) => `sha256:${pair.repeat(32)}`);
const normalize = (line: string) => line.replace(/\(\d+ s\)/, "(N s)").trimEnd();

describe("docs: the operator CLI's example session runs as written", () => {
  it("replays every letsbe command of automation/README.md and shows the output it shows", async () => {
    const steps = consoleSteps(readFileSync(join(root, "automation/README.md"), "utf8"), "### Example session");
    const keyFile = join(mkdtempSync(join(tmpdir(), "letsbe-docs-key-")), "letsbe-provisioning");
    writeFileSync(keyFile, "docs-test-provisioning-key\n");
    const env: Record<string, string> = {};
    const vars: Record<string, string> = {};
    let lastCode: number | undefined;
    let ran = 0;
    for (const step of steps) {
      const command = fillDigest(step.command.replace(/\s+#.*$/, "")).replace(/\$([A-Z_]+)/g, (m, name: string) => vars[name] ?? m);
      if (command.startsWith("export ")) {
        for (const [, key, value] of command.slice(7).matchAll(/([A-Z_]+)=(\S+)/g)) {
          // Elided values get stand-ins; the data folder and key file get fresh temporary paths.
          env[key] = key === "LETSBE_DATA_DIR" ? mkdtempSync(join(tmpdir(), "letsbe-docs-"))
            : key.endsWith("_FILE") ? keyFile : value === "…" ? `docs-stand-in-${key.toLowerCase()}` : value;
        }
        continue;
      }
      const assignment = /^([A-Z_]+)=(\S+)$/.exec(command);
      if (assignment) {
        vars[assignment[1]] = assignment[2];
        continue;
      }
      if (command === "echo $?") {
        expect(String(lastCode)).toBe(step.output[0]);
        continue;
      }
      if (!command.startsWith("npm run --silent rehearse -- ")) continue; // the service part needs a port and curl
      const out: string[] = [];
      const sink = { write: (s: string) => { out.push(s); return true; } } as unknown as NodeJS.WritableStream;
      for (const part of command.split("&&").map((p) => p.replace(">/dev/null", "").trim())) {
        const argv = part.replace("npm run --silent rehearse -- ", "").split(/\s+/);
        const err: string[] = [];
        lastCode = await runCli(argv, { out: (s) => void out.push(s), err: (s) => void err.push(s), env, progress: () => new PlainProgress(sink), backend: SIMULATED_BACKEND });
        expect({ command: part, code: lastCode, err: err.join("") }).toEqual({ command: part, code: 0, err: "" });
        ran += 1;
      }
      if (step.command.includes("shortened") || step.output.some((l) => l.includes("…"))) continue;
      const printed = out.join("").split("\n").map(normalize);
      for (const shown of step.output.map(normalize)) expect(printed, `${command}: ${shown}`).toContain(shown);
    }
    expect(ran).toBe(7);
  });
});

describe("docs: the README's first commands", () => {
  it("npm run plan -- --stack prod-eu plans as written (the compiled CLI npm run plan calls)", async () => {
    const block = /## Two commands on a fresh machine\n\n```sh\n([\s\S]*?)```/.exec(readFileSync(join(root, "README.md"), "utf8"))?.[1] ?? "";
    const planLine = block.split("\n").find((l) => l.includes("npm run plan --")) ?? "";
    const args = planLine.replace(/#.*$/, "").split("npm run plan --")[1]?.trim().split(/\s+/) ?? [];
    expect(args).toEqual(["--stack", "prod-eu"]);
    const { stdout } = await promisify(execFile)(process.execPath, [join(root, "dist/automation/plan/cli.js"), ...args], { cwd: root });
    expect(stdout).toMatch(/^letsbe-hub\/prod-eu\n/);
    expect(stdout).toMatch(/Planned \d+ stack\(s\), \d+ resource\(s\); 0 error\(s\), 0 mandatory violation\(s\)\.\n$/);
  });
});
