/** The fake's install hook: where a later stage starts a real host for an installed server. */
import { describe, expect, it } from "vitest";
import { createServer } from "../../components/netcup/lifecycle";
import type { FakeScp, ImageInstall } from "../fakes/scp/server";
import { TEST_KEY, fakeForEachTest, inputsFor, orphans } from "./helpers";

let fake: FakeScp | undefined;
const startFake = fakeForEachTest();

describe("fake SCP install hook", () => {
  it("receives server, image, hostname and keys; the task finishes only once the hook is done", async () => {
    const seen: ImageInstall[] = [];
    let finishedHookAt = 0;
    fake = await startFake({
      taskMs: 0,
      servers: [{ product: "RS 4000 G12" }],
      onImageInstall: async (install) => {
        seen.push(install);
        await new Promise((resolve) => setTimeout(resolve, 150));
        finishedHookAt = Date.now();
      },
    });
    const { id } = await createServer(inputsFor(fake));
    // With zero task time the create would return within a few polls, long before the hook's 150 ms.
    expect(finishedHookAt).toBeGreaterThan(0);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ imageName: "Debian 13.6.0 UEFI amd64", hostname: "nordlicht-studio.de", sshKeys: [TEST_KEY] });
    expect(String(seen[0].server.id)).toBe(id);
    expect(fake.violations).toEqual([]);
  });

  it("a hook that fails ends the install task in ERROR with its reason, and the server stays claimed for the tenant (the install started)", async () => {
    fake = await startFake({ servers: [{ product: "RS 4000 G12" }], onImageInstall: async () => { throw new Error("container did not boot"); } });
    const error = (await createServer(inputsFor(fake)).then(() => undefined, (e: unknown) => e)) as Error;
    expect(error.message).toMatch(/step "install image".*ERROR: container did not boot.*stays claimed for the tenant/);
    const [server] = [...fake.servers.values()];
    expect(orphans(fake, new Map([["nordlicht-studio", String(server.id)]]))).toEqual([]);
    expect(fake.violations).toEqual([]);
  });
});
