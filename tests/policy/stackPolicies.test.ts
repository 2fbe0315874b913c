import { describe, expect, it } from "vitest";
import { dnsSanity } from "../../policy/dnsSanity";
import { oneVpsPerTenant, sharedVpsAcrossStacks } from "../../policy/oneVpsPerTenant";
import { regionAffinity } from "../../policy/regionAffinity";
import { toolsFitTier } from "../../policy/toolsFitTier";
import { TOOL_IDS, tierBudget } from "../../tenants/catalog";
import { Fixture, checkStack, urnOf } from "./helpers";
import { T, composeCopy, composeYaml, hetznerServer, hubReference, primaryIp, record, tenantStack } from "./fixtures";

const replace = (stack: Fixture[], name: string, next: Fixture): Fixture[] => stack.map((f) => (f.name === name ? next : f));
const asResources = (stack: string, fixtures: Fixture[]) =>
  fixtures.map((f) => ({ type: f.type, name: f.name, urn: urnOf({ ...f, stack }), props: f.props }));

describe("one-vps-per-tenant", () => {
  it("passes a tenant stack with one server named for the tenant", async () => {
    expect((await checkStack(oneVpsPerTenant, tenantStack())).messages).toEqual([]);
  });

  it("reports a second server and a server named for another tenant", async () => {
    const two = await checkStack(oneVpsPerTenant, [...tenantStack(), hetznerServer({ name: "acme-bakery-spare" })]);
    expect(two.messages).toEqual(['tenant stack "acme-bakery" declares 2 servers (acme-bakery-server, acme-bakery-spare); exactly one VPS per tenant']);
    const foreign = await checkStack(oneVpsPerTenant, replace(tenantStack(), "acme-bakery-server", hetznerServer({ props: { name: "harbor-legal" } })));
    expect(foreign.messages).toEqual(['server "acme-bakery-server" is named "harbor-legal" with tenant label "acme-bakery"; both must be the stack\'s tenant "acme-bakery"']);
  });

  it("finds a Netcup server or an address claimed by two tenant stacks", () => {
    const netcup = (serverName: string): Fixture => ({ type: T.netcup, name: "server", props: { serverName, region: "eu", product: "RS 2000 G12" } });
    const a = asResources("acme-bakery", [netcup("v2202411000000001"), record("apex-a", { type: "A", content: "100.70.0.1" })]);
    const b = asResources("harbor-legal", [netcup("v2202411000000001"), record("apex-a", { type: "A", content: "100.70.0.2" })]);
    const c = asResources("nordlicht", [netcup("v2202411000000003"), record("apex-a", { type: "A", content: "100.70.0.2" })]);
    const shared = sharedVpsAcrossStacks([{ stack: "acme-bakery", resources: a }, { stack: "harbor-legal", resources: b }, { stack: "nordlicht", resources: c }]);
    expect(shared.map((s) => [s.claim, s.stacks])).toEqual([
      ['pulumi-nodejs:dynamic/netcup:Server serverName "v2202411000000001"', ["acme-bakery", "harbor-legal"]],
      ['address "100.70.0.2"', ["harbor-legal", "nordlicht"]],
    ]);
  });

  it("finds nothing shared between distinct tenants", () => {
    const a = asResources("acme-bakery", tenantStack());
    const b = asResources("harbor-legal", [hetznerServer({ props: { name: "harbor-legal" } })]);
    // A tenant named like another's address resource ("foo-ipv4") claims nothing of it.
    const foo = asResources("foo", [primaryIp("ipv4", { name: "foo-ipv4" })]);
    const fooIpv4 = asResources("foo-ipv4", [hetznerServer({ props: { name: "foo-ipv4" } })]);
    expect(sharedVpsAcrossStacks([{ stack: "acme-bakery", resources: a }, { stack: "harbor-legal", resources: b }, { stack: "foo", resources: foo }, { stack: "foo-ipv4", resources: fooIpv4 }])).toEqual([]);
  });
});

describe("region-affinity", () => {
  it("passes an eu tenant in nbg1", async () => {
    expect((await checkStack(regionAffinity, tenantStack())).messages).toEqual([]);
  });

  it("reports an eu tenant's server in ash and a Netcup server in Manassas", async () => {
    const moved = replace(tenantStack(), "acme-bakery-server", hetznerServer({ props: { location: "ash" } }));
    const outcome = await checkStack(regionAffinity, [...moved, { type: T.netcup, name: "pool-server", props: { region: "eu", site: "Manassas" } }]);
    expect(outcome.messages).toEqual([
      'acme-bakery-server is in Hetzner location "ash", outside the eu region (nbg1, fsn1, hel1)',
      "pool-server is at Netcup site \"Manassas\", not Nuremberg (eu)",
    ]);
  });

  it("takes the region from the referenced hub, and a hub stack's from its name", async () => {
    const usTenant = [hubReference("us"), primaryIp("ipv4", { labels: {} })];
    expect((await checkStack(regionAffinity, usTenant)).messages).toEqual(['acme-bakery-ipv4 is in Hetzner location "nbg1", outside the us region (ash, hil)']);
    const hub = [{ ...hetznerServer({ props: { location: "hil", labels: {} } }), project: "letsbe-hub", stack: "prod-us" }];
    expect((await checkStack(regionAffinity, hub)).messages).toEqual([]);
  });
});

describe("tools-fit-tier", () => {
  it("passes a build tenant on a cpx31 whose compose fits", async () => {
    expect((await checkStack(toolsFitTier, tenantStack())).messages).toEqual([]);
  });

  it("reports a lite tenant on a cpx31 whose compose limits exceed 8 GiB", async () => {
    const lite = replace(tenantStack(), "acme-bakery-server", hetznerServer({ props: { labels: { tenant: "acme-bakery", tier: "lite" } } }));
    const stack = replace(lite, "acme-bakery-compose-file", composeCopy(composeYaml({ nextcloudMemory: "9g" })));
    expect((await checkStack(toolsFitTier, stack)).messages).toEqual([
      "server \"acme-bakery-server\" is a cpx31, but the lite tier runs on cpx21",
      "the compose file's memory limits add up to 9792 MB, more than the lite tier's 8192 MB",
    ]);
  });

  it("reports tools that do not fit the tier the Tenant names", async () => {
    const tenant: Fixture = { type: T.tenant, name: "acme-bakery", props: { tier: "lite", tools: [...TOOL_IDS] } };
    const outcome = await checkStack(toolsFitTier, [tenant, hetznerServer({ props: { serverType: "cpx21", labels: { tenant: "acme-bakery" } } })]);
    const { totalMb } = tierBudget("lite", TOOL_IDS);
    expect(outcome.messages).toEqual([`tools ${TOOL_IDS.join(", ")} need ${totalMb} MB with the LetsBe overhead, more than the lite tier's 8192 MB`]);
  });
});

describe("dns-sanity (advisory)", () => {
  it("passes records that come from the tenant's server and are not proxied", async () => {
    expect((await checkStack(dnsSanity, tenantStack())).messages).toEqual([]);
  });

  it("reports a proxied record and one pointing elsewhere", async () => {
    const stack = [...tenantStack(), record("www", { name: "www.acme-bakery.eu.letsbe.biz", type: "A", content: "203.0.113.7", proxied: true }, false)];
    expect((await checkStack(dnsSanity, stack)).messages).toEqual([
      'record "www.acme-bakery.eu.letsbe.biz" (A) is proxied, but TLS ends on the tenant\'s VPS',
      'record "www.acme-bakery.eu.letsbe.biz" (A) points at 203.0.113.7, which is not an address of this tenant\'s server',
    ]);
  });

  it("compares with the server's addresses once they are known (after an update)", async () => {
    const updated = replace(tenantStack(), "acme-bakery-server", hetznerServer({ props: { ipv4Address: "100.79.230.81", ipv6Address: "2001:db8:1dc4:e34::1" } }));
    expect((await checkStack(dnsSanity, updated)).messages).toEqual([]);
    const wrong = replace(updated, "acme-bakery-apex-a", record("apex-a", { name: "acme-bakery.eu.letsbe.biz", type: "A", content: "100.79.230.99" }));
    expect((await checkStack(dnsSanity, wrong)).messages).toEqual(['record "acme-bakery.eu.letsbe.biz" (A) points at 100.79.230.99, which is not an address of this tenant\'s server']);
  });
});
