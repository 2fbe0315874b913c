/** Issue 14: the order flow admits an order only after the tenant program's hub rules; a corrected resubmission is used. */
import { describe, expect, it } from "vitest";
import { InvalidInputError } from "../../tenants/schema";
import { parseOrder } from "../../automation/orders/schema";
import { orderInput, simulatedFlow } from "./support";

describe("order flow: admission", () => {
  it("refuses an order whose off-platform domain lacks a cloudflareZoneId, and records nothing for the slug", async () => {
    const { flow, store, workspace } = await simulatedFlow();
    const order = parseOrder(orderInput("zone-less", {}, { domain: "zone-less.example" }));
    const refused = await flow.admit(order).then(() => undefined, (error: unknown) => error);
    expect(refused).toBeInstanceOf(InvalidInputError);
    expect((refused as InvalidInputError).problems.map((p) => [p.source, p.path])).toEqual([["order ord-zone-less", "tenant.cloudflareZoneId"]]);
    await expect(flow.provision(order)).rejects.toBeInstanceOf(InvalidInputError);
    expect(await store.get("zone-less")).toBeUndefined();
    expect(workspace.runs).toEqual([]);
  });

  it("admits a domain under the region's platform domain without a zone id", async () => {
    const { flow } = await simulatedFlow();
    await expect(flow.admit(parseOrder(orderInput("on-platform")))).resolves.toBeUndefined();
  });

  it("a resubmitted order whose tenant never came up runs with the corrected spec, not the old one", async () => {
    const { flow, store } = await simulatedFlow({ fault: (op, _slug, call) => (op === "up" && call === 1 ? { kind: "fail", message: "first attempt broke" } : undefined) }, { attempts: 1 });
    const first = await flow.provision(parseOrder(orderInput("fix-me", {}, { tools: ["nextcloud"] })));
    expect(first.ok).toBe(false);
    expect((await store.get("fix-me"))?.provisionedAt).toBeUndefined();
    const second = await flow.provision(parseOrder(orderInput("fix-me", {}, { tools: ["nextcloud", "ghost"] })));
    expect(second.ok).toBe(true);
    expect((await store.get("fix-me"))?.spec.tools).toEqual(["nextcloud", "ghost"]);
  });
});
