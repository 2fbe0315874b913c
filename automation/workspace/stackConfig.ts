/**
 * Stack config with no secret on a command line: the SDK's `setAllConfig` passes every value as a
 * `key=value` argument of `pulumi config set-all`, readable in `ps` by every user of the machine.
 * Plain values still go that way; each secret goes to `pulumi config set --secret` on its stdin.
 */
import { execFile } from "node:child_process";
import type { Stack } from "@pulumi/pulumi/automation";
import { FLOW_STATED_CONFIG } from "../../contracts/tenantStack";
import type { StackConfig } from "./types";

/**
 * An operation's work folder is new, with no stack config file: the stack's recorded config (its last
 * deployment's, secrets provider included, as `pulumi config refresh` restores it) comes back first, so
 * what an operator or an earlier run set on the stack (`hubStack`, `images`, endpoints, a per-stack
 * secret) outlives the operation; the flow's own keys the operation leaves out are removed.
 */
export async function restoreRecordedConfig(stack: Stack, config: StackConfig): Promise<void> {
  if ((await stack.history(1, 1, false)).length === 0) return;
  const recorded = await stack.refreshConfig();
  const stale = FLOW_STATED_CONFIG.filter((key) => key in recorded && !(key in config));
  if (stale.length > 0) await stack.removeAllConfig([...stale]);
}

export async function setStackConfig(stack: Stack, config: StackConfig, env: Readonly<Record<string, string>>): Promise<void> {
  const entries = Object.entries(config);
  const plain = Object.fromEntries(entries.filter(([, v]) => !v.secret).map(([key, v]) => [key, { value: v.value }]));
  if (Object.keys(plain).length > 0) await stack.setAllConfig(plain);
  for (const [key, v] of entries) {
    if (v.secret) await setSecretFromStdin(stack, key, v.value, env);
  }
}

function setSecretFromStdin(stack: Stack, key: string, value: string, env: Readonly<Record<string, string>>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile("pulumi", ["config", "set", "--secret", key, "--stack", stack.name, "--non-interactive"], {
      cwd: stack.workspace.workDir, env: { ...env }, encoding: "utf8",
    }, (error, _stdout, stderr) => {
      // The CLI's refusal names the key and rule, never the value (it came on stdin).
      if (error) reject(new Error(`pulumi config set --secret ${key} (stack ${stack.name}) failed: ${stderr.trim() || error.message}`));
      else resolve();
    });
    // The CLI drops one trailing newline of what it reads; this one, so the value arrives exactly.
    child.stdin?.end(`${value}\n`);
  });
}
