/** Issue 12: `provision` of a tenant that came up applies the order's spec (it used to ignore it); provider and pins stay. */
import { describe, expect, it } from "vitest";
import { parseOrder } from "../../automation/orders/schema";
import { ReleaseOverride } from "../../tenants/release";
import { orderInput, simulatedFlow } from "./support";

const PINS: ReleaseOverride = { openclaw: { repository: "code.letsbe.solutions/letsbe/openclaw", tag: "2026.3.1", digest: `sha256:${"c".repeat(64)}` } };

describe("order flow: a changed spec of a provisioned tenant", () => {
  it("is applied by the next provision of its order, with the pinned provider and the rollout's pins kept", async () => {
    const { flow, store, workspace } = await simulatedFlow();
    const first = await flow.provision(parseOrder(orderInput("grow-me", {}, { provider: "hetzner", tools: ["nextcloud"] })));
    expect(first.ok).toBe(true);
    expect((await store.get("grow-me"))?.spec.provider).toBe("hetzner");
    expect((await flow.update("grow-me", PINS, "rollout-1")).ok).toBe(true);
    const before = workspace.resources("grow-me").length;

    // The same order, edited: one more tool, and a provider the tenant is not on (its server stays where it is).
    const second = await flow.provision(parseOrder(orderInput("grow-me", {}, { provider: "netcup", tools: ["nextcloud", "ghost"] })));
    expect(second.reason, second.reason).toBeUndefined();
    const record = await store.get("grow-me");
    expect(record?.spec.tools).toEqual(["nextcloud", "ghost"]);
    expect(record?.spec.provider).toBe("hetzner");
    expect(record?.release).toEqual(PINS);
    // The engine saw the new tool: something changed (the old flow ran the old spec again: all `same`).
    expect(Object.keys(second.changes).filter((op) => op !== "same")).not.toEqual([]);
    expect(workspace.resources("grow-me").length).toBeGreaterThanOrEqual(before);
  });
});
