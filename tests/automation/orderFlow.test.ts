import { describe, expect, it } from "vitest";
import { parseOrder } from "../../automation/orders/schema";
import { collector, orderInput, simulatedFlow } from "./support";

describe("order flow over the simulated workspace", () => {
  it("walks the Hub's order states in order and ends with outputs", async () => {
    const { flow, workspace } = await simulatedFlow();
    const c = collector();
    const outcome = await flow.provision(parseOrder(orderInput("bakery-one")), c.listener);
    console.log(c.events.map((e) => `${e.state} ${e.step} ${e.message} ${e.resource ?? ""}`).join("\n"));
    expect(outcome.ok).toBe(true);
    expect(c.states()).toEqual(["AWAITING_SERVER", "SERVER_READY", "DNS_READY", "PROVISIONING", "FULFILLED"]);
    expect(workspace.resources("bakery-one").length).toBeGreaterThan(3);
  });
});
