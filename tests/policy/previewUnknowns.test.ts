/**
 * A new server's preview: every host stage carries the server's identity in its triggers, and the
 * layout stage a registration token not generated yet on its stdin, both unknown to CrossGuard.
 * The policies that read compose files still judge what is known (the copied compose file, a
 * command's script) instead of CrossGuard skipping them for the whole resource.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unknownCheckingProxy } from "@pulumi/policy";
import { afterEach, describe, expect, it } from "vitest";
import { internalsInternal } from "../../policy/internalsInternal";
import { pinnedArtifacts } from "../../policy/pinnedArtifacts";
import { pinsVerifiedForProduction } from "../../policy/verifiedPins";
import { RECORD_ENV } from "../../tenants/pins/record";
import { T, composeCopy, composeHeredoc, composeYaml } from "./fixtures";
import { Fixture, checkResource } from "./helpers";

/** @pulumi/policy's sentinel for a string a preview cannot know. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const TRIGGER = "ab".repeat(32);
const asPreview = (f: Fixture, extra: Record<string, unknown>): Fixture => ({ ...f, props: unknownCheckingProxy({ ...f.props, ...extra }) as Record<string, unknown> });

afterEach(() => {
  delete process.env[RECORD_ENV];
});

describe("compose-reading policies on a new server's preview", () => {
  it("the production gate stops the compose copy whose triggers hold the unknown server identity", async () => {
    process.env[RECORD_ENV] = join(mkdtempSync(join(tmpdir(), "letsbe-preview-")), "absent.json");
    const outcome = await checkResource(pinsVerifiedForProduction, asPreview(composeCopy(), { triggers: [TRIGGER, UNKNOWN] }));
    expect(outcome.messages).toHaveLength(1);
    expect(outcome.messages[0]).toMatch(/^production preview\/update without a passing `letsbe pins verify` of .*deploys .*docker\.io\/library\/nextcloud:/);
  });

  it("pinned-artifacts and internals-internal judge the compose file beside unknown triggers and stdin", async () => {
    const bad = composeYaml({ nextcloudImage: "docker.io/library/nextcloud:latest", nextcloudPorts: ["8080:80"] });
    const copy = asPreview(composeCopy(bad), { triggers: [TRIGGER, UNKNOWN] });
    expect((await checkResource(pinnedArtifacts, copy)).messages).toEqual([
      'compose service "nextcloud" (source.text): image "docker.io/library/nextcloud:latest" uses the "latest" tag',
    ]);
    expect((await checkResource(internalsInternal, copy)).messages.map((m) => m.split(";")[0])).toEqual([
      'compose service "nextcloud" publishes "8080:80" on 0.0.0.0',
    ]);
    const command = asPreview({ ...composeHeredoc(bad), type: T.command }, { stdin: UNKNOWN, triggers: [TRIGGER, UNKNOWN] });
    expect((await checkResource(pinnedArtifacts, command)).messages).toHaveLength(1);
  });
});
