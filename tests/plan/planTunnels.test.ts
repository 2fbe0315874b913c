/**
 * The plan's own tunnel addresses (spec tenants have no fleet record) and the hub's hcloud:token
 * placeholder for its snapshot job. Expected addresses are worked out by hand: the hub holds the
 * network's first address, spokes take the next ones in slug order.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hubRunOptions } from "../../automation/plan/stackConfig";
import { planTunnelAddresses, plannedHubNetwork } from "../../automation/plan/tunnels";
import { specFixture } from "../helpers/fixtures";

const spec = (slug: string, region: "eu" | "us" = "eu") => specFixture({ slug, region, domain: `${slug}.${region}.letsbe.biz` });

describe("the plan's tunnel addresses", () => {
  it("gives the region's specs the lowest free spoke addresses in slug order, whatever order they come in", () => {
    const specs = [spec("zeta"), spec("alpha"), spec("other", "us"), spec("mid")];
    expect(planTunnelAddresses(specs, "eu", "10.200.0.0/16")).toEqual({ alpha: "10.200.0.2", mid: "10.200.0.3", zeta: "10.200.0.4" });
    expect(planTunnelAddresses(specs, "us", "10.201.0.0/16")).toEqual({ other: "10.201.0.2" });
  });

  it("gives none while the hub has no network", () => {
    expect(planTunnelAddresses([spec("alpha")], "eu", undefined)).toEqual({});
  });

  it("says so when the region's specs outnumber the network", () => {
    // A /30 has two host addresses: the hub's and one spoke's.
    expect(() => planTunnelAddresses([spec("alpha"), spec("beta")], "eu", "10.9.0.0/30")).toThrow("WireGuard network 10.9.0.0/30 is full (1 spokes)");
  });

  it("reads the network a planned hub exports, none when it exports no wireguard", () => {
    expect(plannedHubNetwork({ wireguard: { network: "10.200.0.0/16", port: 51820 } })).toBe("10.200.0.0/16");
    expect(plannedHubNetwork({ region: "eu" })).toBeUndefined();
  });
});

describe("the hub's secret placeholders", () => {
  const root = (snapshots: string) => {
    const dir = mkdtempSync(join(tmpdir(), "letsbe-plan-hub-"));
    writeFileSync(join(dir, "Pulumi.x.yaml"), `config:\n  letsbe-hub:acmeEmail: ssl@letsbe.biz\n${snapshots}`);
    return dir;
  };

  it("holds hcloud:token, as a secret, when the snapshot job lists hetzner", () => {
    const options = hubRunOptions(root("  letsbe-hub:snapshots:\n    providers: [netcup, hetzner]\n"), "x", { org: "letsbe" });
    expect(options.config?.["hcloud:token"]).toBe("placeholder-hcloud-token");
    expect(options.secretConfigKeys).toContain("hcloud:token");
  });

  it("leaves it out when the job lists netcup alone, or there is no job", () => {
    for (const snapshots of ["  letsbe-hub:snapshots:\n    providers: [netcup]\n", ""]) {
      const options = hubRunOptions(root(snapshots), "x", { org: "letsbe" });
      expect(options.config).not.toHaveProperty("hcloud:token");
      expect(options.secretConfigKeys).not.toContain("hcloud:token");
    }
  });
});
