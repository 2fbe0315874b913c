/**
 * The guardrails over the lock: `verified-pins` (advisory, offline plan and CLI) names the
 * unverified images a stack runs; `pins-verified-for-production` (mandatory, CLI only) stops a
 * production preview or update unless `pins verify` passed on this very lock, recently.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { HubReference, planTenantStacks } from "../../automation/plan/planStacks";
import { loadLock } from "../../tenants/pins/lock";
import { RECORD_ENV } from "../../tenants/pins/record";
import { catalogPinProblems } from "../../policy/pinnedArtifacts";
import { isProductionUrn, pinsVerifiedForProduction, productionGateProblem, verifiedPins } from "../../policy/verifiedPins";
import { hubFixture, specFixture } from "../helpers/fixtures";
import { composeCopy } from "../policy/fixtures";
import { checkResource, checkStack } from "../policy/helpers";

const HUB_IMAGE = "code.letsbe.solutions/letsbe/hub-web-api:2026.11.3@sha256:0312b4e1850e29ed36be30f98c2f123fc4aeaf0fb495330b20c8263338a5bc18";
const dir = mkdtempSync(join(tmpdir(), "letsbe-pins-policy-"));

afterEach(() => {
  delete process.env[RECORD_ENV];
});

describe("verified-pins in the offline plan", () => {
  it("reports a tenant's unverified images once, as advisory, and the production gate stays out of the plan", async () => {
    const hub: HubReference = { outputs: { ...hubFixture("eu") }, secretOutputs: [] };
    const [outcome] = await planTenantStacks([specFixture()], { org: "letsbe" }, hub);
    const violations = outcome!.stack!.violations;
    expect(violations.filter((v) => v.policy === "pins-verified-for-production")).toEqual([]);
    const found = violations.filter((v) => v.policy === "verified-pins");
    expect(found).toHaveLength(1);
    expect(found[0]!.level).toBe("advisory");
    const lines = found[0]!.message.split("\n");
    expect(lines[0]).toBe("7 image pin(s) not verified in tenants/images.lock.json (each entry's source says why):");
    expect(lines.slice(1).map((l) => l.replace(/ is unverified \(no digest\)$/, ""))).toEqual([
      "  - code.letsbe.solutions/letsbe/openclaw:2026.2.6-3",
      "  - code.letsbe.solutions/letsbe/safety-wrapper:1.4.2",
      "  - code.letsbe.solutions/letsbe/secrets-proxy:1.1.0",
      "  - docker.io/chatwoot/chatwoot:v4.18.0",
      "  - docker.io/library/nextcloud:34.0.4-apache",
      "  - docker.io/library/postgres:16-alpine",
      "  - docker.io/library/redis:7-alpine",
    ]);
    expect(violations.filter((v) => v.level === "mandatory")).toEqual([]);
  });

  it("names a hub image the lock holds unverified without a digest, and a digest the lock does not hold at all", async () => {
    const worker = "code.letsbe.solutions/letsbe/hub-worker:2026.11.3";
    const other = `code.letsbe.solutions/letsbe/hub-worker@sha256:${"0123456789abcdef".repeat(4)}`;
    const outcome = await checkStack(verifiedPins, [
      { type: "docker:index/remoteImage:RemoteImage", name: "w", props: { name: worker }, stack: "prod-eu", project: "letsbe-hub" },
      { type: "docker:index/remoteImage:RemoteImage", name: "o", props: { name: other }, stack: "prod-eu", project: "letsbe-hub" },
      { type: "docker:index/remoteImage:RemoteImage", name: "s", props: { name: `127.0.0.1:5000/standins/x@sha256:${"fedcba9876543210".repeat(4)}` }, stack: "prod-eu", project: "letsbe-hub" },
    ]);
    expect(outcome.messages).toHaveLength(1);
    const lines = outcome.messages[0]!.split("\n");
    expect(lines[0]).toBe("2 image pin(s) not verified in tenants/images.lock.json (each entry's source says why):"); // sorted
    expect(lines[1]).toBe("  - code.letsbe.solutions/letsbe/hub-worker:2026.11.3 is unverified (no digest)");
    expect(lines[2]).toMatch(/^  - code\.letsbe\.solutions\/letsbe\/hub-worker@sha256:0123\S+ is not in the lock \(it holds code\.letsbe\.solutions\/letsbe\/hub-worker:2026\.11\.2, /);
  });

  it("leaves lock-unverified catalog images to verified-pins, while pinned-artifacts still refuses an image outside the lock", () => {
    expect(catalogPinProblems()).toEqual([]);
    expect(catalogPinProblems({ "tool x": { repository: "docker.io/library/nextcloud", tag: "99.0.0" } }))
      .toEqual(["catalog tool x: image \"docker.io/library/nextcloud:99.0.0\" is not pinned by digest (@sha256:<64 hex>)"]);
  });
});

describe("pins-verified-for-production", () => {
  const lockFile = join(dir, "images.lock.json");
  writeFileSync(lockFile, `${JSON.stringify({ lockVersion: 1, images: [] })}\n`);
  const lock = loadLock(lockFile);
  const record = (over: Record<string, unknown>) => {
    const file = join(dir, `record-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify({ recordVersion: 1, lockFile, lockSha256: lock.sha256, verifiedAt: "2026-12-01T08:00:00Z", images: 0, client: "skopeo version 1.9.3", ...over }));
    return file;
  };
  const now = new Date("2026-12-01T09:00:00Z");

  it("passes with a fresh record of this lock, and names every other case", () => {
    expect(productionGateProblem(lock, now, { recordFile: record({}) })).toBeUndefined();
    const missing = join(dir, "none.json");
    expect(productionGateProblem(lock, now, { recordFile: missing }))
      .toBe(`production preview/update without a passing \`letsbe pins verify\` of ${lockFile}: no verification record at ${missing} (\`letsbe pins verify\` writes it when every pin checks out)`);
    const other = record({ lockSha256: "ab".repeat(32) });
    expect(productionGateProblem(lock, now, { recordFile: other })).toMatch(new RegExp(`verified a lock with sha256 ${"ab".repeat(32)}, but ${lockFile} now has sha256 ${lock.sha256}$`));
    expect(productionGateProblem(lock, now, { recordFile: record({ verifiedAt: "2026-11-29T09:00:00Z" }) })).toMatch(/verify passed at 2026-11-29T09:00:00Z, more than 24 h ago$/);
    expect(productionGateProblem(lock, now, { recordFile: record({ verifiedAt: "2026-11-30T20:00:00Z" }), maxAgeHours: 6 })).toMatch(/more than 6 h ago$/);
    expect(productionGateProblem(lock, now, { recordFile: record({ lockSha256: "short" }) })).toMatch(/: lockSha256: must be 64 lowercase hex digits$/);
  });

  it("knows production: every tenant stack and prod-* hubs, not staging", () => {
    expect(isProductionUrn("urn:pulumi:acme-bakery::letsbe-tenant::letsbe:tenant:Tenant::acme-bakery")).toBe(true);
    expect(isProductionUrn("urn:pulumi:prod-us::letsbe-hub::letsbe:hub:Hub::hub")).toBe(true);
    expect(isProductionUrn("urn:pulumi:staging::letsbe-hub::letsbe:hub:Hub::hub")).toBe(false);
  });

  it("under the CLI reports a production tenant's compose or a prod hub's image without a passing verify, and nothing else", async () => {
    process.env[RECORD_ENV] = join(dir, "absent.json");
    const tenant = await checkResource(pinsVerifiedForProduction, composeCopy());
    expect(tenant.messages).toHaveLength(1);
    expect(tenant.messages[0]).toMatch(new RegExp(`^production preview/update without a passing \`letsbe pins verify\` of .*tenants/images\\.lock\\.json: no verification record at ${join(dir, "absent.json")} .*deploys .*docker\\.io/library/nextcloud:`));
    const image = { type: "docker:index/remoteImage:RemoteImage", name: "hub-web-api-image", props: { name: HUB_IMAGE } };
    expect((await checkResource(pinsVerifiedForProduction, { ...image, stack: "prod-eu", project: "letsbe-hub" })).messages).toHaveLength(1);
    expect((await checkResource(pinsVerifiedForProduction, { ...image, stack: "staging", project: "letsbe-hub" })).messages).toEqual([]);
    // An image the lock does not hold (a per-stack pin by digest, a stand-in) has nothing to verify.
    const standIn = { ...image, props: { name: "127.0.0.1:5000/tools/uptime_kuma:s1@sha256:" + "1f".repeat(32) }, stack: "prod-eu", project: "letsbe-hub" };
    expect((await checkResource(pinsVerifiedForProduction, standIn)).messages).toEqual([]);
    expect((await checkResource(pinsVerifiedForProduction, { type: "hcloud:index/server:Server", name: "s", props: {} })).messages).toEqual([]);
  });

  it("declares itself not applicable in the offline plan, which is no preview or update", async () => {
    const planned = await checkResource(pinsVerifiedForProduction, { ...composeCopy(), secretPaths: [] });
    expect(planned.messages).toEqual([]);
    expect(planned.notApplicable).toBe("the offline plan is no preview or update; verified-pins reports unverified pins there");
  });
});
