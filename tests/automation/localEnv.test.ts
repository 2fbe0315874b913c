/**
 * The local workspace's CLI child sees only the environment it is given (and the few variables it
 * needs to run), not this process's tokens. A stand-in `pulumi` on the PATH records its environment.
 */
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalTenantWorkspace } from "../../automation/workspace/local";

const saved = { ...process.env };
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "letsbe-local-env-"));
  // `version` answers the SDK's check; any other command writes its environment and fails.
  writeFileSync(join(dir, "pulumi"), `#!/bin/sh\nif [ "$1" = "version" ]; then echo v3.248.0; exit 0; fi\nenv > ${join(dir, "env")}\necho "error: stand-in" >&2\nexit 1\n`);
  chmodSync(join(dir, "pulumi"), 0o755);
  process.env.PATH = `${dir}:${saved.PATH ?? ""}`;
  process.env.LETSBE_API_TOKEN = "service-api-token-must-stay-in-the-service";
  process.env.LETSBE_SECRET_REGISTRATION_TOKEN = "registration-token-must-stay-too";
  process.env.GITEA_TOKEN = "ci-token-must-stay-too";
});

afterEach(() => {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
});

function childEnv(): Record<string, string> {
  return Object.fromEntries(readFileSync(join(dir, "env"), "utf8").trim().split("\n").map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]));
}

describe("local workspace: the CLI child's environment", () => {
  it("holds what the workspace was given and what the CLI needs to run, none of this process's tokens", async () => {
    const workspace = new LocalTenantWorkspace({
      programDir: dir, workRoot: dir,
      envVars: { PULUMI_BACKEND_URL: `file://${dir}/state`, PULUMI_CONFIG_PASSPHRASE: "given-passphrase" },
    });
    await expect(workspace.preview({ slug: "env-one", config: {} })).rejects.toThrow(/stand-in/);
    const env = childEnv();
    expect(env.PULUMI_BACKEND_URL).toBe(`file://${dir}/state`);
    expect(env.PULUMI_CONFIG_PASSPHRASE).toBe("given-passphrase");
    expect(env.PATH).toBe(process.env.PATH);
    expect(env.HOME).toBe(process.env.HOME);
    for (const name of ["LETSBE_API_TOKEN", "LETSBE_SECRET_REGISTRATION_TOKEN", "GITEA_TOKEN"]) expect(env[name]).toBeUndefined();
    const text = readFileSync(join(dir, "env"), "utf8");
    expect(text).not.toContain("must-stay");
  });

  it("keeps an operator's Pulumi home and network settings, and leaves out the SSH agent and XDG folders", async () => {
    Object.assign(process.env, {
      PULUMI_HOME: "/srv/operator/pulumi-home", PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true", PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES: "^github.com/pulumi=https://mirror.example/",
      SSH_AUTH_SOCK: "/tmp/ssh-agent-of-the-service.sock", XDG_CONFIG_HOME: "/srv/operator/.config", NODE_OPTIONS: "--require /srv/hook.js",
    });
    const workspace = new LocalTenantWorkspace({ programDir: dir, workRoot: dir, envVars: { PULUMI_BACKEND_URL: `file://${dir}/state` } });
    await expect(workspace.preview({ slug: "env-two", config: {} })).rejects.toThrow(/stand-in/);
    const env = childEnv();
    expect(env.PULUMI_HOME).toBe("/srv/operator/pulumi-home");
    expect(env.PULUMI_SKIP_UPDATE_CHECK).toBe("true");
    expect(env.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION).toBe("true");
    expect(env.PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES).toBe("^github.com/pulumi=https://mirror.example/");
    for (const name of ["SSH_AUTH_SOCK", "XDG_CONFIG_HOME", "NODE_OPTIONS"]) expect(env[name]).toBeUndefined();
  });
});
