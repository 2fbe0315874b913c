// One remote.Command per stack, connected as the config's `probe` says: pinned to a given key, or to the
// key a first Command records (as components/host createBaseStages does), directly or through a jump host.
// The command leaves a marker file and prints the SSH client address the host saw.
// @pulumi/* resolve from the repository's node_modules (this folder sits inside the checkout).
const fs = require("fs");
const pulumi = require("@pulumi/pulumi");
const command = require("@pulumi/command");

const config = new pulumi.Config("hostkey");
const probe = config.requireObject("probe");
const privateKey = pulumi.secret(fs.readFileSync(config.require("keyFile"), "utf8"));
const limit = probe.dialErrorLimit === undefined ? {} : { dialErrorLimit: probe.dialErrorLimit };
const proxy = probe.proxy ? { host: probe.proxy.host, user: "root", privateKey, hostKey: probe.proxy.hostKey, ...limit } : undefined;
const base = { host: probe.host, user: "root", privateKey, ...limit, ...(proxy ? { proxy } : {}) };

let hostKey = probe.hostKey;
if (probe.recordCommand) {
  const record = new command.remote.Command("record", { connection: base, create: probe.recordCommand });
  hostKey = record.stdout;
  exports.recorded = record.stdout;
}
const connection = hostKey === undefined ? base : { ...base, hostKey };
const run = new command.remote.Command("probe", {
  connection,
  create: `touch /root/${probe.marker} && echo "$SSH_CONNECTION"`,
});
exports.sshConnection = run.stdout;
