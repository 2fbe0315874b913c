/**
 * How the production gate learns that verify passed, end to end over the analyzer protocol: the
 * pack the Pulumi CLI runs reads the verification record named by LETSBE_PINS_RECORD (CI runs
 * `letsbe pins verify` first, in the same checkout) and lets a production Tenant through only
 * when the record vouches for this very lock.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { RunningPack, analyzeRequest, call, diagnostics, ensurePackBuilt, startPack, urnOf } from "../policy/analyzerClient";

const LOCK = join(__dirname, "..", "..", "tenants", "images.lock.json");
const dir = mkdtempSync(join(tmpdir(), "letsbe-pins-gate-"));
const IMAGE = "docker:index/remoteImage:RemoteImage";
/** A hub image the lock holds (Pulumi.prod-eu.yaml's current hub-web-api, unverified). */
const HUB_IMAGE = "code.letsbe.solutions/letsbe/hub-web-api:2026.11.3";
let pack: RunningPack | undefined;

beforeAll(() => {
  ensurePackBuilt();
});
afterEach(async () => {
  await pack?.stop();
  pack = undefined;
  delete process.env.LETSBE_PINS_RECORD;
});

async function gateFindings(record: string) {
  process.env.LETSBE_PINS_RECORD = record; // the pack's process inherits it, as from CI's shell
  pack = await startPack();
  const urn = urnOf("prod-eu", "letsbe-hub", IMAGE, "hub-web-api-image");
  const found = diagnostics(await call(pack.client, "analyze", analyzeRequest({ type: IMAGE, name: "hub-web-api-image", urn, props: { name: HUB_IMAGE } })));
  return found.filter((d) => d.policyName === "pins-verified-for-production");
}

describe("pins-verified-for-production under the analyzer protocol", () => {
  it("stops a prod hub image that the lock holds as mandatory when no verify record exists", async () => {
    const found = await gateFindings(join(dir, "missing.json"));
    expect(found).toHaveLength(1);
    expect(found[0]!.enforcementLevel).toBe(1); // MANDATORY
    expect(found[0]!.message).toContain(`no verification record at ${join(dir, "missing.json")}`);
  });

  it("lets it through with a fresh record of this lock's sha256, and not with one of another lock", async () => {
    const sha = createHash("sha256").update(readFileSync(LOCK)).digest("hex");
    const record = (lockSha256: string) => {
      const file = join(dir, `${lockSha256.slice(0, 8)}.json`);
      writeFileSync(file, JSON.stringify({ recordVersion: 1, lockFile: LOCK, lockSha256, verifiedAt: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"), images: 35, client: "skopeo version 1.9.3" }));
      return file;
    };
    expect(await gateFindings(record(sha))).toEqual([]);
    await pack?.stop();
    pack = undefined;
    const other = await gateFindings(record("ab".repeat(32)));
    expect(other).toHaveLength(1);
    expect(other[0]!.message).toContain(`verified a lock with sha256 ${"ab".repeat(32)}, but `);
  });
});
