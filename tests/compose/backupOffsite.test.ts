/**
 * The daily backup's off-site settings reach the host through the layout stage: the remote as
 * a parameter, its rclone config as a secret on standard input only.
 */
import { describe, expect, it } from "vitest";
import { HostParams, STAGE_SECRETS, planStage, renderSecretsFile } from "../../components/host/stages";

const params: HostParams = { hostname: "acme", domain: "acme.example.net", managementCidrs: ["198.51.100.0/24"], acmeEmail: "ops@example.net" };
const RCLONE = "[offsite]\ntype = s3\nsecret_access_key = never-on-a-command-line\n";

describe("the backup's off-site settings in the layout stage", () => {
  it("passes the remote as a parameter when one is set, and nothing otherwise", () => {
    expect(planStage("layout", { ...params, backupRemote: "offsite:letsbe-backups/acme" }).command).toContain("LB_BACKUP_REMOTE='offsite:letsbe-backups/acme' ");
    expect(planStage("layout", params).command).not.toContain("LB_BACKUP_REMOTE");
    expect(planStage("layout", { ...params, backupRemote: "offsite:a" }).trigger).not.toBe(planStage("layout", params).trigger);
  });

  it("hands the rclone config to the layout stage alone, on stdin", () => {
    const holders = Object.entries(STAGE_SECRETS).filter(([, names]) => names?.includes("BACKUP_RCLONE_CONFIG")).map(([stage]) => stage);
    expect(holders).toEqual(["layout"]);
    const plan = planStage("layout", { ...params, backupRemote: "offsite:a" });
    expect(plan.command).not.toContain("never-on-a-command-line");
    expect(renderSecretsFile({ REGISTRATION_TOKEN: "r", BACKUP_RCLONE_CONFIG: RCLONE }, plan.secrets))
      .toBe(`REGISTRATION_TOKEN=${Buffer.from("r").toString("base64")}\nBACKUP_RCLONE_CONFIG=${Buffer.from(RCLONE).toString("base64")}\n`);
  });
});
