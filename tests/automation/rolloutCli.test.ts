/** Issue 12 part 5: `fleet rollout` without the Hub's metrics only when told so, and says so. */
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EXIT, runCli } from "../../automation/cli/index";
import { PlainProgress } from "../../automation/cli/progress";
import { FileJournal } from "../../automation/rollout/journal";
import { SIMULATED_BACKEND } from "./simulatedBackend";

const IMAGE = `code.letsbe.solutions/letsbe/openclaw:2026.3.1@sha256:${"ab".repeat(32)}`;
const ROLLOUT = ["fleet", "rollout", "--channel", "openclaw", "--image", IMAGE, "--bake", "0"];

function cli() {
  const dataDir = mkdtempSync(join(tmpdir(), "letsbe-rollout-cli-"));
  const out: string[] = [];
  const err: string[] = [];
  const sink = { write: (s: string) => { out.push(s); return true; } } as unknown as NodeJS.WritableStream;
  const io = {
    out: (s: string) => void out.push(s), err: (s: string) => void err.push(s),
    env: {
      LETSBE_DATA_DIR: dataDir, CI: "1",
      LETSBE_SECRET_PROVISIONING_PRIVATE_KEY: "key-S3CR3T", LETSBE_SECRET_REGISTRATION_TOKEN: "reg-S3CR3T",
    } as NodeJS.ProcessEnv,
    progress: () => new PlainProgress(sink),
    backend: SIMULATED_BACKEND,
  };
  return { dataDir, out, err, run: (...argv: string[]) => runCli(argv, io) };
}

describe("fleet rollout and the metrics source", () => {
  it("without --metrics-url or --no-metrics exits 2 naming the missing setting, and writes no journal", async () => {
    const c = cli();
    expect(await c.run("tenant", "up", "sandbox-eu")).toBe(EXIT.ok);
    expect(await c.run(...ROLLOUT)).toBe(EXIT.usage);
    expect(c.err.join("")).toBe(
      "fleet rollout: --metrics-url: required: the Hub metrics API the heartbeat and approval-routing stop rules read (or --no-metrics to judge tenant outputs only)\n",
    );
    expect(existsSync(join(c.dataDir, "rollouts"))).toBe(false);
  });

  it("--no-metrics rolls out, says so in its output and records it in the journal", async () => {
    const c = cli();
    expect(await c.run("tenant", "up", "sandbox-eu")).toBe(EXIT.ok);
    c.out.length = 0;
    expect(await c.run(...ROLLOUT, "--no-metrics")).toBe(EXIT.ok);
    const out = c.out.join("");
    expect(out).toContain("--no-metrics: heartbeat and approval-routing rules are not checked, only tenant outputs");
    expect(out).toContain("rollout openclaw-2026.3.1: completed; 1 moved, 0 failed, 0 rolled back (without metrics)\n");
    const start = new FileJournal(join(c.dataDir, "rollouts", "openclaw-2026.3.1.jsonl")).read()[0];
    expect(start).toMatchObject({ t: "start", metrics: "none" });
  });

  it("--no-metrics with --metrics-url exits 2 naming --no-metrics", async () => {
    const c = cli();
    expect(await c.run(...ROLLOUT, "--no-metrics", "--metrics-url", "https://hub.example/api")).toBe(EXIT.usage);
    expect(c.err.join("")).toBe("fleet rollout: --no-metrics: contradicts --metrics-url: give one of them\n");
  });

  it("a dry run needs neither: it judges nothing", async () => {
    const c = cli();
    expect(await c.run("tenant", "up", "sandbox-eu")).toBe(EXIT.ok);
    expect(await c.run(...ROLLOUT, "--dry-run")).toBe(EXIT.ok);
    expect(existsSync(join(c.dataDir, "rollouts"))).toBe(false);
  });
});
