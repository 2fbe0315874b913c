import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { HUB_SECRET_CONFIG, PROVIDER_SECRET_CONFIG, TENANT_SECRET_CONFIG } from "../../contracts/secrets";

describe("the README's secrets table", () => {
  it("names every secret config key a program reads, so an operator can set them all", () => {
    const readme = readFileSync(join(__dirname, "../../README.md"), "utf8");
    const missing = [...HUB_SECRET_CONFIG, ...TENANT_SECRET_CONFIG, ...PROVIDER_SECRET_CONFIG]
      .map((k) => k.key)
      .filter((key) => !readme.includes(`| \`${key}\` |`));
    expect(missing).toEqual([]);
  });
});
