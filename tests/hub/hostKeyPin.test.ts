/**
 * Pinned SSH host keys (issue 13 part 5) for every host the base stages configure (tenant and
 * hub): one command records the host key right after install, every other command and copy
 * connects pinned to it, and the recorder's trigger is the server's identity, so a reinstall records anew.
 * That the recorded key is the one the server presents is the real-host tier's (tests/host/hostKey.test.ts).
 */
import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { runUnderMocks } from "../../automation/plan/mockRuntime";
import { renderCompose } from "../../components/compose/render";
import { createHostStages } from "../../components/host";
import { RECORD_HOST_KEY_COMMAND } from "../../components/host/stages";
import { DEFAULT_RELEASE } from "../../tenants/catalog";
import { FAKE_PRIVATE_KEY } from "../fixtures/keys";

const RECORDED = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBrecorded";
const REMOTE = ["command:remote:Command", "command:remote:CopyToRemote"];

async function plan(installedAt = "2026-11-30T08:00:00.000Z") {
  return runUnderMocks(() => {
    const server = new hcloud.Server("acme-server", { serverType: "cpx21", image: "debian-13" });
    createHostStages("acme-host", {
      connection: { host: "203.0.113.7", privateKey: pulumi.secret(FAKE_PRIVATE_KEY) },
      server: { server, serverId: pulumi.output("4711"), installedAt: pulumi.output(installedAt) },
      params: { hostname: "acme", domain: "acme.eu.letsbe.biz", managementCidrs: ["198.51.100.10/32"], acmeEmail: "ops@acme.example" },
      secrets: { cloudflareDnsToken: pulumi.secret("cf"), registrationToken: pulumi.secret("reg") },
      compose: { rendered: renderCompose({ slug: "acme", domain: "acme.eu.letsbe.biz", tools: ["nextcloud"], release: DEFAULT_RELEASE }) },
    });
    return {};
  }, {
    project: "letsbe-tenant",
    stack: "acme",
    // The recorder prints what the host's key file holds; here a made-up key, as the host would.
    answer: async (args) => (args.name === "acme-host-host-key" ? { id: "host-key", state: { ...args.inputs, stdout: `${RECORDED}\n` } } : undefined),
  });
}

describe("host key pinning", () => {
  it("records the key once, first, over the only connection without a pin", async () => {
    const { resources } = await plan();
    const recorder = resources.find((r) => r.name === "acme-host-host-key");
    expect(recorder?.plainInputs.create).toBe(RECORD_HOST_KEY_COMMAND);
    expect((recorder?.plainInputs.connection as Record<string, unknown>).hostKey).toBeUndefined();
    // Its one trigger is the installation: it runs once per install; its dependency on the server orders it first.
    expect(recorder?.plainInputs.triggers).toEqual(["4711@2026-11-30T08:00:00.000Z"]);
    expect(recorder?.dependencies).toContain(resources.find((r) => r.name === "acme-server")?.urn);
  });

  it("pins every other command and copy to the recorded key, and waits for it", async () => {
    const { resources } = await plan();
    const others = resources.filter((r) => REMOTE.includes(r.type) && r.name !== "acme-host-host-key");
    expect(others.length).toBeGreaterThan(20);
    const recorder = resources.find((r) => r.name === "acme-host-host-key")!;
    for (const r of others) expect((r.plainInputs.connection as Record<string, unknown>).hostKey, r.name).toBe(RECORDED);
    const first = resources.find((r) => r.name === "acme-host-system-script");
    expect(first?.dependencies).toContain(recorder.urn);
  });

  it("records anew when the server is reinstalled (a reinstall has new host keys)", async () => {
    const before = (await plan()).resources.find((r) => r.name === "acme-host-host-key");
    const after = (await plan("2026-12-01T09:30:00.000Z")).resources.find((r) => r.name === "acme-host-host-key");
    expect(after?.plainInputs.triggers).toEqual(["4711@2026-12-01T09:30:00.000Z"]);
    expect(after?.plainInputs.triggers).not.toEqual(before?.plainInputs.triggers);
  });
});
