// One NetcupServer (the compiled dynamic provider, from LETSBE_REPO's dist/) against the fake SCP:
// the provisioning pair comes from `keyFile` (and `keyFile.pub`), the SSH route from `route`
// ({jump, tunnelAddress}), absent for the public address.
const fs = require("fs");
const pulumi = require("@pulumi/pulumi");
const { NetcupServer } = require(`${process.env.LETSBE_REPO}/dist/components/netcup/provider`);

const config = new pulumi.Config("netcupjump");
const keyFile = config.require("keyFile");
const route = config.getObject("route");
const server = new NetcupServer("server", {
  region: "eu",
  site: "Nuremberg",
  product: "RS 4000 G12",
  owner: "eng-spoke",
  hostname: "eng-spoke.example.net",
  sshPublicKey: fs.readFileSync(`${keyFile}.pub`, "utf8").trim(),
  sshPrivateKey: pulumi.secret(fs.readFileSync(keyFile, "utf8")),
  apiUrl: config.require("apiUrl"),
  tokenUrl: config.require("tokenUrl"),
  refreshToken: config.requireSecret("refreshToken"),
  tuning: { taskPollMs: 20, taskTimeoutMs: 60000, claimSettleMs: 500, backoffBaseMs: 20, backoffMaxMs: 200, maxAttempts: 4 },
  ...(route ? { sshJump: route.jump, sshTunnelAddress: route.tunnelAddress } : {}),
});
exports.serverId = server.serverId;
exports.ipv4 = server.ipv4;
