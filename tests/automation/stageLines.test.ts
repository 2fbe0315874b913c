/** Issue 14: `tenant up` shows the stage it is in by name, with the time each resource took, not a create and a done line each. */
import { describe, expect, it } from "vitest";
import { BASE_STAGES } from "../../components/host/stages";
import { StageLines } from "../../automation/cli/stageLines";
import { OrderEvent } from "../../automation/orders/states";

const urn = (type: string, name: string) => `urn:pulumi:acme::letsbe-tenant::letsbe:tenant:Tenant$${type}::${name}`;
const event = (fields: Partial<OrderEvent> & Pick<OrderEvent, "state" | "step" | "message">): OrderEvent =>
  ({ orderId: "o", slug: "acme", at: "2026-01-01T00:00:00Z", ...fields });

describe("tenant up: stage lines", () => {
  it("prints one line per finished resource with its stage position and seconds, none for its start", () => {
    let clock = 1_000;
    const lines = new StageLines("acme", () => clock);
    const firewall = urn("command:remote:Command", "acme-host-firewall");
    expect(lines.line(event({ state: "PROVISIONING", step: "bootstrap", message: "bootstrap step reached", resource: firewall }))).toBe(
      "acme  PROVISIONING    bootstrap bootstrap step reached (acme-host-firewall)");
    expect(lines.line(event({ state: "PROVISIONING", step: "bootstrap", message: "create command:remote:Command", resource: firewall }))).toBeUndefined();
    expect(lines.label).toBe(`bootstrap 5/${BASE_STAGES.length} firewall`);
    clock += 3_140;
    expect(lines.line(event({ state: "PROVISIONING", step: "bootstrap", message: "done: command:remote:Command", resource: firewall })))
      .toBe(`acme  bootstrap ${`5/${BASE_STAGES.length} firewall`.padEnd(16)} 3.1 s`);
  });

  it("leaves out file uploads and unchanged resources, numbers only bootstrap stages, keeps state and failure lines", () => {
    const lines = new StageLines("acme", () => 0);
    const copy = urn("command:remote:CopyToRemote", "acme-host-system-script");
    lines.line(event({ state: "PROVISIONING", step: "bootstrap", message: "create command:remote:CopyToRemote", resource: copy }));
    expect(lines.line(event({ state: "PROVISIONING", step: "bootstrap", message: "done: command:remote:CopyToRemote", resource: copy }))).toBeUndefined();
    expect(lines.line(event({ state: "PROVISIONING", step: "bootstrap", message: "unchanged: command:remote:Command", resource: urn("command:remote:Command", "acme-host-ssh") }))).toBeUndefined();
    const hcloudFirewall = urn("hcloud:index/firewall:Firewall", "acme-firewall");
    expect(lines.line(event({ state: "PROVISIONING", step: "server", message: "done: hcloud:index/firewall:Firewall", resource: hcloudFirewall })))
      .toBe(`acme  server    ${"firewall".padEnd(16)} 0.0 s`);
    expect(lines.line(event({ state: "FAILED", step: "compose", message: "health gate failed" }))).toBe("acme  FAILED          compose   health gate failed");
  });
});
