/**
 * What the CLI prints carries none of its environment's secrets: a token pasted onto the command line
 * comes back in commander's error (and so in a CI log) as [secret], as does a key read from a file.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../../automation/cli/index";
import { FAKE_PRIVATE_KEY } from "../fixtures/keys";

const TOKEN = "hub-registration-S3CR3T-token";

async function run(argv: string[], env: NodeJS.ProcessEnv) {
  let out = "";
  let err = "";
  const code = await runCli(argv, { out: (t) => { out += t; }, err: (t) => { err += t; }, env });
  return { code, text: out + err };
}

describe("letsbe: output scrubbed of the environment's secrets", () => {
  it("prints a token pasted into an unknown option as [secret], and still exits 2", async () => {
    const { code, text } = await run(["tenant", "up", "acme", `--token=${TOKEN}`], { LETSBE_SECRET_REGISTRATION_TOKEN: TOKEN });
    expect(code).toBe(2);
    expect(text).toContain("unknown option '--token=[secret]'");
    expect(text).not.toContain("S3CR3T");
  });

  it("knows the secrets of LETSBE_SECRET_*_FILE files too, line by line", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "letsbe-cli-scrub-")), "key");
    writeFileSync(file, FAKE_PRIVATE_KEY);
    const { text } = await run(["tenant", "up", "acme", "--key=S3CR3T-not-a-key"], { LETSBE_SECRET_PROVISIONING_PRIVATE_KEY_FILE: file });
    expect(text).toContain("unknown option '--key=[secret]'");
    expect(text).not.toContain("S3CR3T");
  });
});
