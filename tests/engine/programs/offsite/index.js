// A tenant's off-site credential as components/backup/offsite.ts makes it (the compiled component,
// from LETSBE_REPO's dist/), the stack name as the tenant's slug; with `host` set, the offsite
// stage on that host too, as the Tenant component adds it after the base stages.
const pulumi = require("@pulumi/pulumi");
const { createOffsiteCredential, createOffsiteStage } = require(`${process.env.LETSBE_REPO}/dist/components/backup/offsite`);

const config = new pulumi.Config();
const credential = createOffsiteCredential("offsite", { storageBoxId: Number(config.require("storageBoxId")), slug: pulumi.getStack() });
const host = config.get("host");
if (host) {
  const stage = createOffsiteStage("offsite-stage", {
    connection: { host, port: 22, user: "root", privateKey: config.requireSecret("privateKey") },
    identity: "engine-offsite-host",
    credential,
    dependsOn: [],
  });
  exports.stageStdout = stage.stdout;
}

exports.subaccountId = credential.subaccount.id;
exports.username = credential.user;
exports.server = credential.host;
exports.homeDirectory = credential.homeDirectory;
exports.password = credential.password;
