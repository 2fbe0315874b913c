/** Issue 14: the order flow admits an order only after the tenant program's hub rules; a corrected resubmission is used. */
import { describe, expect, it } from "vitest";
import { InvalidInputError, parseTenantSpec } from "../../tenants/schema";
import { parseOrder } from "../../automation/orders/schema";
import { TenantRecord } from "../../automation/orders/store";
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

/** Issue 13 part 2: an order's domain against the platform's names and the fleet's record. */
describe("order flow: admission of domains that cannot collide", () => {
  const ZONE = "0c4d8e2f6a1b3c5d7e9f0a2b4c6d8e0f";
  const RULE = "no tenant domain may equal, contain or sit inside another tenant's";
  const active = (slug: string, domain: string, status: TenantRecord["status"] = "active"): TenantRecord => ({
    slug, orderId: `ord-${slug}`, status, updatedAt: "2026-11-01T00:00:00Z",
    spec: parseTenantSpec({ slug, domain, cloudflareZoneId: ZONE, region: "eu", tier: "build", provider: "hetzner", tools: ["nextcloud"], contactEmail: "a@b.example", createdAt: "2026-11-01" }, "record"),
  });
  const refusal = (error: unknown) => {
    expect(error).toBeInstanceOf(InvalidInputError);
    return (error as InvalidInputError).problems.map((p) => [p.source, p.path, p.message]);
  };

  it.each([
    ["shop.acme.example", "sits inside"],
    ["acme.example", "equals"],
  ])("refuses %j, which %s another tenant's, naming both tenants and orders, and creates nothing", async (domain, relation) => {
    const { flow, store, workspace } = await simulatedFlow();
    await store.put(active("acme", "acme.example"));
    const order = parseOrder(orderInput("shop", {}, { domain, cloudflareZoneId: ZONE }));
    expect(refusal(await flow.admit(order).catch((e: unknown) => e))).toEqual([[
      "order ord-shop", "tenant.domain", `domain "${domain}" of tenant "shop" ${relation} "acme.example" of tenant "acme" (order ord-acme): ${RULE}`,
    ]]);
    await expect(flow.provision(order)).rejects.toBeInstanceOf(InvalidInputError);
    expect(await store.get("shop")).toBeUndefined();
    expect(workspace.runs).toEqual([]);
  });

  it("refuses a domain containing another tenant's", async () => {
    const { flow, store } = await simulatedFlow();
    await store.put(active("shop", "shop.acme.example"));
    const order = parseOrder(orderInput("acme", {}, { domain: "acme.example", cloudflareZoneId: ZONE }));
    expect(refusal(await flow.admit(order).catch((e: unknown) => e))).toEqual([[
      "order ord-acme", "tenant.domain", `domain "acme.example" of tenant "acme" contains "shop.acme.example" of tenant "shop" (order ord-shop): ${RULE}`,
    ]]);
  });

  it("admits a destroyed tenant's domain, a label-wise neighbour, and the tenant's own resubmission", async () => {
    const { flow, store } = await simulatedFlow();
    await store.put(active("old", "old.example", "destroyed"));
    await store.put(active("acme", "acme.example"));
    await expect(flow.admit(parseOrder(orderInput("new", {}, { domain: "old.example", cloudflareZoneId: ZONE })))).resolves.toBeUndefined();
    await expect(flow.admit(parseOrder(orderInput("myacme", {}, { domain: "myacme.example", cloudflareZoneId: ZONE })))).resolves.toBeUndefined();
    await expect(flow.admit(parseOrder(orderInput("acme", {}, { domain: "acme.example", cloudflareZoneId: ZONE })))).resolves.toBeUndefined();
  });

  it("lets only one of two orders racing for overlapping domains in", async () => {
    const { flow, store } = await simulatedFlow();
    const [a, b] = await Promise.allSettled([
      flow.provision(parseOrder(orderInput("acme", {}, { domain: "acme.example", cloudflareZoneId: ZONE }))),
      flow.provision(parseOrder(orderInput("shop", {}, { domain: "shop.acme.example", cloudflareZoneId: ZONE }))),
    ]);
    expect(a.status === "fulfilled" && a.value.ok).toBe(true);
    expect(b.status).toBe("rejected");
    expect(refusal((b as PromiseRejectedResult).reason)[0]!.slice(0, 2)).toEqual(["order ord-shop", "tenant.domain"]);
    expect((await store.list()).map((r) => r.slug)).toEqual(["acme"]);
  });

  it.each([
    ["eu.letsbe.biz", 'equals the tenant base domain "eu.letsbe.biz"'],
    ["hub.eu.letsbe.biz", 'takes "hub", a name reserved for the platform'],
    ["a.b.eu.letsbe.biz", "has 2 labels under the tenant base domain"],
  ])("refuses %j under the base domain of the hub's committed config", async (domain, rule) => {
    const { flow, store } = await simulatedFlow();
    const order = parseOrder(orderInput("platform", {}, { domain }));
    const problems = refusal(await flow.admit(order).catch((e: unknown) => e));
    expect(problems.map((p) => p.slice(0, 2))).toEqual(problems.map(() => ["order ord-platform", "tenant.domain"]));
    expect(problems[0]![2]).toContain(`domain "${domain}" of tenant "platform" ${rule}`);
    await expect(flow.provision(order)).rejects.toBeInstanceOf(InvalidInputError);
    expect(await store.get("platform")).toBeUndefined();
  });
});

