/** Issue 14: event lines an operator reads name the resource, not only its type. */
import { describe, expect, it } from "vitest";
import { formatEvent } from "../../automation/cli/tenant";

describe("letsbe: event lines", () => {
  it("names the resource a line is about", () => {
    const line = formatEvent({
      orderId: "o", slug: "acme", state: "PROVISIONING", step: "bootstrap", message: "create command:remote:Command", at: "2026-01-01T00:00:00Z",
      resource: "urn:pulumi:acme::letsbe-tenant::letsbe:tenant:Tenant$command:remote:Command::acme-host-firewall",
    });
    expect(line).toBe("acme  PROVISIONING    bootstrap create command:remote:Command (acme-host-firewall)");
  });

  it("does not repeat a name the message already carries, and leaves lines without a resource alone", () => {
    const base = { orderId: "o", slug: "acme", state: "FULFILLED" as const, step: "outputs" as const, at: "2026-01-01T00:00:00Z" };
    expect(formatEvent({ ...base, message: "tenant ready" })).toBe("acme  FULFILLED       outputs   tenant ready");
    expect(formatEvent({ ...base, message: "server acme-server is up", resource: "urn:pulumi:acme::p::hcloud:index/server:Server::acme-server" }))
      .toBe("acme  FULFILLED       outputs   server acme-server is up");
  });
});
