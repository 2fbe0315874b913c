/**
 * Stack config through the real CLI with no secret on any command line: every process's argv is
 * read from /proc while the config is written. The SDK's own setAllConfig is watched the same way,
 * and shows the leak the workspace avoids.
 */
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { setStackConfig } from "../../automation/workspace/stackConfig";
import { engineEnv, type EngineEnv } from "./lib/engine";
import { ed25519Pair } from "../fixtures/ed25519";

// The key is generated per run: no key material is kept in the repository.
const PRIVATE_KEY = ed25519Pair().private;
const KEY_LINE = PRIVATE_KEY.split("\n")[1];
const SECRETS = {
  "letsbe-tenant:provisioningPrivateKey": `${PRIVATE_KEY}\n`,
  "letsbe-tenant:registrationToken": "  reg-token-argv-test-5d1c  ",
};
const PLAIN = { "letsbe-tenant:tools": "uptime_kuma" };
let engine: EngineEnv;

/** Every argv seen on the machine while `body` runs, polled from /proc. */
async function watchArgv(body: () => Promise<void>): Promise<string[]> {
  const seen = new Set<string>();
  let done = false;
  const poll = async () => {
    while (!done) {
      for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
        try {
          seen.add(readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" "));
        } catch { /* the process ended */ }
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  const polling = poll();
  try {
    await body();
  } finally {
    done = true;
    await polling;
  }
  return [...seen];
}

async function freshStack(name: string): Promise<Stack> {
  const workDir = mkdtempSync(join(tmpdir(), "letsbe-config-args-"));
  return LocalWorkspace.createOrSelectStack({ stackName: name, workDir }, {
    workDir, envVars: engine.env, projectSettings: { name: "letsbe-tenant", runtime: "nodejs" },
  });
}

const leaks = (argv: readonly string[]) => argv.filter((line) => line.includes("reg-token-argv-test-5d1c") || line.includes(KEY_LINE));

beforeAll(() => {
  engine = engineEnv();
});

describe("stack config and process arguments", () => {
  it("the SDK's setAllConfig puts each secret on the CLI's command line", async () => {
    const stack = await freshStack("sdk-set-all");
    const config = Object.fromEntries(Object.entries(SECRETS).map(([k, value]) => [k, { value, secret: true }]));
    const argv = await watchArgv(() => stack.setAllConfig(config));
    expect(leaks(argv).length).toBeGreaterThan(0);
  });

  it("the workspace's setStackConfig puts no secret on any command line, and every value arrives exactly", async () => {
    const stack = await freshStack("workspace-config");
    const config = {
      ...Object.fromEntries(Object.entries(SECRETS).map(([k, value]) => [k, { value, secret: true }])),
      ...Object.fromEntries(Object.entries(PLAIN).map(([k, value]) => [k, { value }])),
    };
    const argv = await watchArgv(() => setStackConfig(stack, config, engine.env));
    expect(argv.some((line) => line.includes("config set --secret letsbe-tenant:registrationToken"))).toBe(true);
    expect(leaks(argv)).toEqual([]);
    for (const [key, value] of Object.entries(SECRETS)) {
      const got = await stack.getConfig(key);
      expect(got, key).toEqual({ value, secret: true });
    }
    expect((await stack.getConfig("letsbe-tenant:tools")).value).toBe("uptime_kuma");
    const file = readFileSync(join(stack.workspace.workDir, "Pulumi.workspace-config.yaml"), "utf8");
    expect(file).not.toContain("reg-token-argv-test-5d1c");
  });
});
