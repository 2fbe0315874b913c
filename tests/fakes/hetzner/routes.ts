/**
 * Dispatch by the description's operationId. Requests have been validated and authenticated
 * before they get here; answers are validated after.
 */
import { actionBody, primaryIpBody, firewallBody, sshKeyBody, type FakeRule } from "./model";
import * as net from "./network-ops";
import { routeImages } from "./image-ops";
import { routeStorageBoxes } from "./storage-ops";
import { type FakeHetzner, type Reply, apiError } from "./server";
import { type CreateServerBody, body as serverJson, changeServerProtection, changeType, createServer, deleteServer, notFound, powerAction, updateServer } from "./server-ops";

type Data = Record<string, unknown>;

export function routeRequest(fake: FakeHetzner, operation: string, path: string, input: unknown, query = new URLSearchParams()): Reply {
  const segments = path.split("/").filter(Boolean);
  const id = Number(segments[1]);
  const data = (input ?? {}) as Data;
  const imageReply = routeImages(fake, operation, id, query, data);
  if (imageReply) return imageReply;
  const storageReply = routeStorageBoxes(fake, operation, segments, data);
  if (storageReply) return storageReply;

  if (operation === "get_action") {
    const action = fake.actions.get(id);
    return action ? { status: 200, body: { action: actionBody(action) } } : notFound("action", id);
  }
  if (operation === "create_server") return createServer(fake, data as unknown as CreateServerBody);
  if (operation === "create_primary_ip") return net.createPrimaryIp(fake, data as unknown as net.CreatePrimaryIpBody);
  if (operation === "create_firewall") return net.createFirewall(fake, data as unknown as Parameters<typeof net.createFirewall>[1]);
  if (operation === "create_ssh_key") return net.createSshKey(fake, data as unknown as Parameters<typeof net.createSshKey>[1]);

  switch (segments[0]) {
    case "servers": {
      const server = fake.servers.get(id);
      if (!server) return notFound("server", id);
      switch (operation) {
        case "get_server": return { status: 200, body: { server: serverJson(fake, server) } };
        case "replace_server": return updateServer(fake, server, data as { name?: string; labels?: Record<string, string> });
        case "delete_server": return deleteServer(fake, server);
        case "power_on_server": return powerAction(fake, server, "start_server");
        case "power_off_server": return powerAction(fake, server, "stop_server");
        case "shutdown_server": return powerAction(fake, server, "shutdown_server");
        case "change_server_protection": return changeServerProtection(fake, server, data as { delete?: boolean; rebuild?: boolean });
        case "change_type_of_server": return changeType(fake, server, data as { server_type: string; upgrade_disk: boolean });
        case "get_action_for_server": {
          const action = fake.actions.get(Number(segments[3]));
          if (!action || !action.resources.some((r) => r.type === "server" && r.id === id)) return notFound("action", segments[3] ?? "");
          return { status: 200, body: { action: actionBody(action) } };
        }
      }
      break;
    }
    case "primary_ips": {
      const ip = fake.primaryIps.get(id);
      if (!ip) return notFound("primary_ip", id);
      switch (operation) {
        case "get_primary_ip": return { status: 200, body: { primary_ip: primaryIpBody(ip) } };
        case "replace_primary_ip": return net.updatePrimaryIp(fake, ip, data as { name?: string; labels?: Record<string, string>; auto_delete?: boolean });
        case "delete_primary_ip": return net.deletePrimaryIp(fake, ip);
        case "assign_primary_ip_to_resource": return net.assignPrimaryIp(fake, ip, Number(data.assignee_id));
        case "unassign_primary_ip_from_resource": return net.unassignPrimaryIp(fake, ip);
        case "change_primary_ip_protection": return net.changePrimaryIpProtection(fake, ip, { delete: data.delete === true });
      }
      break;
    }
    case "firewalls": {
      const firewall = fake.firewalls.get(id);
      if (!firewall) return notFound("firewall", id);
      const applyTo = (data.apply_to ?? data.remove_from ?? []) as Parameters<typeof net.applyOrRemove>[2];
      switch (operation) {
        case "get_firewall": return { status: 200, body: { firewall: firewallBody(firewall) } };
        case "replace_firewall": return net.updateFirewall(fake, firewall, data as { name?: string; labels?: Record<string, string> });
        case "delete_firewall": return net.deleteFirewall(fake, firewall);
        case "set_rules": return net.setRules(fake, firewall, (data.rules ?? []) as FakeRule[]);
        case "apply_to_resources": return net.applyOrRemove(fake, firewall, applyTo, true);
        case "remove_from_resources": return net.applyOrRemove(fake, firewall, applyTo, false);
      }
      break;
    }
    case "ssh_keys": {
      const key = fake.sshKeys.get(id);
      if (!key) return notFound("ssh_key", id);
      if (operation === "get_ssh_key") return { status: 200, body: { ssh_key: sshKeyBody(key) } };
      if (operation === "delete_ssh_key") {
        fake.sshKeys.delete(id);
        return { status: 204 };
      }
      break;
    }
  }
  fake.violations.push(`${operation} (${path}) is in the description but not served by the fake`);
  return apiError(501, "not_implemented", `${operation} is not served by the fake`);
}
