/**
 * The operations the fake implements, by spec operation (`METHOD /path/{param}`). Requests have
 * been validated against the spec and authenticated before they get here; answers are validated
 * after. Operations of the spec the fake does not implement answer 501 and count as a violation.
 */
import { USER_ID, imageFlavours } from "./model";
import type { FakeScp, Reply } from "./server";
import { routeSnapshots } from "./snapshots";

type Body = Record<string, unknown> | undefined;

const notFound = (what: string): Reply => ({ status: 404, body: { code: "error.notfound", message: `${what} not found.` } });
const invalid = (field: string, message: string): Reply => ({ status: 422, body: { code: "validation.error", message: "Validation failed.", errors: [{ field, message }] } });

export function routeRequest(fake: FakeScp, operationId: string, _specPath: string, path: string, query: URLSearchParams, body: unknown): Reply {
  const segments = path.split("/").filter(Boolean); // api, v1, ...
  const serverId = segments[2] === "servers" && segments[3] ? Number(segments[3]) : undefined;
  const server = serverId !== undefined ? fake.servers.get(serverId) : undefined;
  const data = body as Body;
  const snapshotReply = routeSnapshots(fake, operationId, server, serverId, decodeURIComponent(segments[5] ?? ""), body);
  if (snapshotReply) return snapshotReply;

  switch (operationId) {
    case "GET /api/v1/servers":
      return { status: 200, body: fake.listServers(query) };

    case "GET /api/v1/servers/{serverId}":
      if (!server) return notFound(`Entity Server with id ${serverId}`);
      return { status: 200, body: fake.detail(server, query.get("loadServerLiveInfo") !== "false") };

    case "PATCH /api/v1/servers/{serverId}": {
      if (!server) return { status: 404, body: { code: "error.notfound", message: `Entity Server with id ${serverId} not found.` } };
      if (data && typeof data.nickname === "string") {
        fake.setNickname(server, data.nickname);
        return { status: 200 };
      }
      if (data && typeof data.hostname === "string") {
        if (fake.busy(server.id)) return { status: 400, body: { code: "server.task.running", message: "Another task is running on this server." } };
        return { status: 202, body: fake.taskAnswer(fake.startHostnameChange(server, data.hostname)) };
      }
      fake.violations.push(`PATCH ${path}: attribute ${Object.keys(data ?? {}).join(",")} is valid but not implemented by the fake`);
      return { status: 501, body: { code: "fake.unimplemented", message: "Not implemented by the fake." } };
    }

    case "GET /api/v1/servers/{serverId}/imageflavours":
      if (!server) return notFound(`Entity Server with id ${serverId}`);
      return { status: 200, body: imageFlavours() };

    case "POST /api/v1/servers/{serverId}/image": {
      if (!server) return { status: 404, body: { code: "error.notfound", message: `Entity Server with id ${serverId} not found.` } };
      const setup = (data ?? {}) as { imageFlavourId?: number; hostname?: string | null; sshKeyIds?: number[] | null };
      if (setup.imageFlavourId === undefined) return invalid("imageFlavourId", "must not be null");
      if (!imageFlavours().some((f) => f.id === setup.imageFlavourId)) return invalid("imageFlavourId", `image flavour ${setup.imageFlavourId} is not available for this server`);
      const unknownKey = (setup.sshKeyIds ?? []).find((id) => !fake.sshKeys.some((k) => k.id === id));
      if (unknownKey !== undefined) return invalid("sshKeyIds", `SSH key ${unknownKey} does not exist`);
      if (fake.busy(server.id)) return { status: 400, body: { code: "server.task.running", message: "Another task is running on this server." } };
      return { status: 202, body: fake.taskAnswer(fake.startImageInstall(server, { imageFlavourId: setup.imageFlavourId, hostname: setup.hostname, sshKeyIds: setup.sshKeyIds })) };
    }

    case "GET /api/v1/tasks/{uuid}": {
      const task = fake.tasks.get(segments[3] ?? "");
      if (!task) return notFound(`Entity Task with uuid ${segments[3]}`);
      return { status: 200, body: fake.taskAnswer(task) };
    }

    case "GET /api/v1/users/{userId}/ssh-keys":
    case "POST /api/v1/users/{userId}/ssh-keys": {
      if (Number(segments[3]) !== USER_ID) return { status: 403, body: { code: "error.forbidden", message: "Access denied." } };
      if (operationId.startsWith("GET")) return { status: 200, body: fake.sshKeys.map((k) => ({ ...k })) };
      const key = data as { name: string; key: string };
      if (!/^(ssh-(ed25519|rsa)|ecdsa-sha2-nistp\d+) [A-Za-z0-9+/=]+/.test(key.key)) return invalid("key", "is not a valid SSH public key");
      const created = fake.addSshKey(key.name, key.key);
      return { status: 201, body: { ...created }, headers: { location: `/api/v1/users/${USER_ID}/ssh-keys/${created.id}` } };
    }

    case "POST /api/v1/rdns/ipv4": {
      const entry = data as { ip: string; rdns: string };
      if (![...fake.servers.values()].some((s) => s.ipv4 === entry.ip)) return invalid("ip", `${entry.ip} does not belong to this account`);
      fake.rdns.set(entry.ip, entry.rdns);
      return { status: 200 };
    }

    case "GET /api/v1/rdns/ipv4/{ip}": {
      const rdns = fake.rdns.get(segments[4] ?? "");
      return rdns === undefined ? { status: 404, body: { code: "error.notfound", message: "Resource not found" } } : { status: 200, body: { rdns } };
    }

    case "DELETE /api/v1/rdns/ipv4/{ip}":
      fake.rdns.delete(segments[4] ?? "");
      return { status: 204 };

    default:
      fake.violations.push(`${operationId}: valid SCP operation, not implemented by the fake`);
      return { status: 501, body: { code: "fake.unimplemented", message: "Not implemented by the fake." } };
  }
}
