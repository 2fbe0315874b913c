/**
 * Rotating the provisioning key never replaces (wipes) a Netcup server: diff marks it an update,
 * and update rewrites root's authorized_keys over SSH, logging in with the key the server trusts
 * (the previous one), then proves the new one logs in. The server's sshd is a stand-in that runs
 * the provider's script in a real shell on a real file.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createServer, diffServer, updateServer, type NetcupServerInputs, type NetcupServerOutputs } from "../../components/netcup/lifecycle";
import type { FakeScp } from "../fakes/scp/server";
import { fakeForEachTest, inputsFor, leaks, loadSerializedProvider } from "./helpers";
import { FakeSshHost } from "./sshHost";
import { ed25519Pair } from "../fixtures/ed25519";

const pair = ed25519Pair;
/** The `type base64` part that identifies a public key. */
const identity = (key: string) => key.trim().split(/\s+/).slice(0, 2).join(" ");

let fake: FakeScp;
const startFake = fakeForEachTest();
let host: FakeSshHost;
const first = pair("provisioning-2026@letsbe");
const second = pair("provisioning-2027@letsbe");

beforeEach(async () => {
  host = await FakeSshHost.start();
  fake = await startFake({
    servers: [{ product: "RS 4000 G12", ipv4: "127.0.0.1" }],
    onImageInstall: async ({ sshKeys }) => host.install(sshKeys),
  });
});
afterEach(async () => {
  await host.stop();
});

function inputs(keys: { public: string; private: string }, overrides: Partial<NetcupServerInputs> = {}): NetcupServerInputs {
  return inputsFor(fake, { sshPublicKey: keys.public, sshPrivateKey: keys.private, sshPort: host.port, ...overrides });
}

async function created(): Promise<{ id: string; outs: NetcupServerOutputs }> {
  const result = await createServer(inputs(first));
  expect(host.authorizedKeys().map(identity)).toEqual([identity(first.public)]);
  return result;
}

describe("provisioning key rotation", () => {
  it("diff: a changed key (public and private) is an update in place, never a replacement", async () => {
    const { outs } = await created();
    expect(diffServer(outs, inputs(second))).toMatchObject({ changes: true, replaces: [], deleteBeforeReplace: false });
    expect(diffServer(outs, inputs(first))).toMatchObject({ changes: false, replaces: [] });
  });

  it("update: authorized_keys holds the new key instead of the old one, other lines kept; no reinstall", async () => {
    const { id, outs } = await created();
    const operatorKey = pair("operator@letsbe").public;
    host.install([first.public, operatorKey]);
    const { outs: updated } = await updateServer(id, outs, inputs(second));
    expect(host.authorizedKeys().map(identity).sort()).toEqual([identity(second.public), identity(operatorKey)].sort());
    // Logged in with the old key to change the file, then with the new one to prove it.
    expect(host.logins.slice(-2)).toEqual([identity(first.public), identity(second.public)]);
    expect(fake.servers.get(Number(id))?.installCount).toBe(1);
    expect(updated).toMatchObject({ sshPublicKey: second.public, sshPrivateKey: second.private, serverId: id });
    // A second rotation starts from what the first recorded.
    const third = pair("provisioning-2028@letsbe");
    await updateServer(id, updated, inputs(third));
    expect(host.authorizedKeys().map(identity).sort()).toEqual([identity(third.public), identity(operatorKey)].sort());
  });

  it("an update repeated after the file was already rotated (old key refused) logs in with the new key and completes", async () => {
    const { id, outs } = await created();
    host.install([second.public]);
    await updateServer(id, outs, inputs(second));
    expect(host.authorizedKeys().map(identity)).toEqual([identity(second.public)]);
  });

  it("without a private key to log in with: a clear error naming the input, no key shown, nothing changed", async () => {
    const { id, outs } = await created();
    const error = await updateServer(id, { ...outs, sshPrivateKey: undefined }, inputs(second, { sshPrivateKey: undefined })).then(() => undefined, (e: unknown) => e as Error);
    expect(error?.message).toMatch(/sshPrivateKey/);
    expect(host.authorizedKeys().map(identity)).toEqual([identity(first.public)]);
    expect(leaks(`${error?.message} ${error?.stack}`, [first.private, second.private, fake.refreshToken])).toEqual([]);
  });

  it("neither key logs in: the update fails naming the server, without showing a key, and the file is untouched", async () => {
    const { id, outs } = await created();
    const stranger = pair("stranger");
    const error = await updateServer(id, { ...outs, sshPrivateKey: stranger.private }, inputs(second, { sshPrivateKey: pair("other").private })).then(() => undefined, (e: unknown) => e as Error);
    expect(error?.message).toContain(outs.serverName);
    expect(host.authorizedKeys().map(identity)).toEqual([identity(first.public)]);
    expect(leaks(`${error?.message} ${error?.stack}`, [stranger.private, second.private])).toEqual([]);
  });

  it("through the serialized provider (as the engine runs it): diff is an update, update rotates over SSH, the private key a secret", async () => {
    const loaded = await loadSerializedProvider(fake, { sshPublicKey: first.public, sshPrivateKey: first.private, sshPort: host.port });
    expect(loaded.registration.secretPaths).toContain("sshPrivateKey");
    expect(JSON.stringify(loaded.registration.inputs)).not.toContain(first.private);
    const { id, outs } = (await loaded.provider.create(loaded.inputs)) as { id: string; outs: NetcupServerOutputs };
    const news = { ...loaded.inputs, sshPublicKey: second.public, sshPrivateKey: second.private };
    expect(await loaded.provider.diff(id, outs, news)).toMatchObject({ changes: true, replaces: [] });
    await loaded.provider.update(id, outs, news);
    expect(host.authorizedKeys().map(identity)).toEqual([identity(second.public)]);
    expect(fake.servers.get(Number(id))?.installCount).toBe(1);
  });
});
