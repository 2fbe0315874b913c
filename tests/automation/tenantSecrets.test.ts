/**
 * What the order flow hands every tenant stack: fleet-wide secrets from its environment, never a
 * per-tenant one (the off-site backup credential), and no Hub registration token at all (each
 * stack makes its own).
 */
import { describe, expect, it } from "vitest";
import { readSecrets } from "../../automation/context";
import { parseOrder } from "../../automation/orders/schema";
import { InvalidInputError } from "../../tenants/schema";
import { orderInput, simulatedFlow } from "./support";

const FLEET = {
  LETSBE_SECRET_PROVISIONING_PRIVATE_KEY: "key-S3CR3T",
};

describe("the order flow's secrets", () => {
  it("needs no registration token from its environment", () => {
    expect(readSecrets({ ...FLEET })).toEqual({ "letsbe-tenant:provisioningPrivateKey": "key-S3CR3T" });
  });

  it("hands no stack a fleet-wide DNS token, even one left in its environment: each stack mints its own", () => {
    expect(readSecrets({ ...FLEET, LETSBE_SECRET_CLOUDFLARE_DNS_TOKEN: "cf-S3CR3T" })).toEqual({ "letsbe-tenant:provisioningPrivateKey": "key-S3CR3T" });
  });

  it("refuses a per-tenant secret in its environment, naming the variable and the rule", () => {
    for (const name of ["LETSBE_SECRET_BACKUP_RCLONE_CONFIG", "LETSBE_SECRET_BACKUP_RCLONE_CONFIG_FILE"]) {
      let error: unknown;
      try {
        readSecrets({ ...FLEET, [name]: "[offsite]\ntype = s3\n" });
      } catch (e) {
        error = e;
      }
      expect(error, name).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).problems).toEqual([expect.objectContaining({
        source: "environment", path: "LETSBE_SECRET_BACKUP_RCLONE_CONFIG", message: expect.stringMatching(/per-tenant secret.*pulumi config set --secret -s <slug>/),
      })]);
    }
  });

  it("never copies a per-tenant secret it was handed into a tenant stack's config", async () => {
    const { flow } = await simulatedFlow({}, { secrets: { "letsbe-tenant:provisioningPrivateKey": "key-S3CR3T", "letsbe-tenant:backupRcloneConfig": "[offsite]\ntype = s3\n" } });
    const order = parseOrder(orderInput("acme-bakery"));
    const config = flow.stackConfig({ slug: "acme-bakery", orderId: order.orderId, spec: order.spec, status: "active", updatedAt: "2026-12-01T00:00:00Z" });
    expect(config["letsbe-tenant:provisioningPrivateKey"]).toEqual({ value: "key-S3CR3T", secret: true });
    expect(Object.keys(config)).not.toContain("letsbe-tenant:backupRcloneConfig");
  });
});
