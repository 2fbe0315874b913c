// Stands in for the tenant program where only the fleet record matters: it exports the record's stack
// config as the engine saw it, and can hold its update open (`holdMs`) so a test can kill the CLI mid-`up`.
// @pulumi/pulumi resolves from the repository's node_modules (this folder sits inside the checkout).
const pulumi = require("@pulumi/pulumi");

const config = new pulumi.Config("letsbe-tenant");
const holdMs = Number(config.get("holdMs") ?? "0");
const release = config.get("release");

module.exports = new Promise((resolve) => setTimeout(resolve, holdMs)).then(() => ({
  spec: JSON.parse(config.require("spec")),
  release: release === undefined ? null : JSON.parse(release),
  hubOrg: config.require("hubOrg"),
}));
