// Stands in for the tenant program where only the stack's config matters: it exports what the engine
// handed it of the flow's keys and of per-stack settings an operator sets (plain and secret).
// @pulumi/pulumi resolves from the repository's node_modules (this folder sits inside the checkout).
const pulumi = require("@pulumi/pulumi");

const config = new pulumi.Config("letsbe-tenant");
const value = (key) => config.get(key) ?? null;

module.exports = {
  tools: JSON.parse(config.require("spec")).tools,
  release: value("release") === null ? null : JSON.parse(value("release")),
  protect: value("protect"),
  hubStack: value("hubStack"),
  backupRcloneConfig: config.getSecret("backupRcloneConfig") ?? null,
};
