// A tenant's off-site credential as components/backup/offsite.ts makes it (the compiled component,
// from LETSBE_REPO's dist/), the stack name as the tenant's slug.
const pulumi = require("@pulumi/pulumi");
const { createOffsiteCredential } = require(`${process.env.LETSBE_REPO}/dist/components/backup/offsite`);

const config = new pulumi.Config();
const credential = createOffsiteCredential("offsite", { storageBoxId: Number(config.require("storageBoxId")), slug: pulumi.getStack() });

exports.subaccountId = credential.subaccount.id;
exports.username = credential.user;
exports.server = credential.host;
exports.homeDirectory = credential.homeDirectory;
exports.password = credential.password;
