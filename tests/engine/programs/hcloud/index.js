// A tenant's Hetzner resources as components/hetzner/server.ts makes them, unprotected so the test can destroy them.
// @pulumi/* resolve from the repository's node_modules (this folder sits inside the checkout).
const hcloud = require("@pulumi/hcloud");

const labels = { tenant: "engine-hcloud" };
const primaryIp = (type) => new hcloud.PrimaryIp(`t-${type}`, {
  name: `engine-hcloud-${type}`, type, location: "nbg1", assigneeType: "server", autoDelete: false, deleteProtection: false, labels,
});
const ipv4 = primaryIp("ipv4");
const ipv6 = primaryIp("ipv6");

const firewall = new hcloud.Firewall("t-firewall", {
  name: "engine-hcloud-firewall",
  labels,
  rules: [
    { direction: "in", protocol: "tcp", port: "443", sourceIps: ["0.0.0.0/0", "::/0"], description: "https" },
    { direction: "in", protocol: "tcp", port: "22", sourceIps: ["198.51.100.0/24"], description: "ssh from management" },
    { direction: "in", protocol: "icmp", sourceIps: ["0.0.0.0/0", "::/0"], description: "icmp" },
  ],
});

const server = new hcloud.Server("t-server", {
  name: "engine-hcloud",
  serverType: "cpx31",
  image: "debian-13",
  location: "nbg1",
  labels,
  userData: "#cloud-config\ndisable_root: false\n",
  firewallIds: [firewall.id.apply(Number)],
  publicNets: [{ ipv4Enabled: true, ipv4: ipv4.id.apply(Number), ipv6Enabled: true, ipv6: ipv6.id.apply(Number) }],
}, { ignoreChanges: ["userData", "sshKeys"] });

exports.serverId = server.id;
exports.ipv4Address = server.ipv4Address;
exports.ipv6Address = server.ipv6Address;
exports.status = server.status;
exports.primaryIpv4 = ipv4.ipAddress;
exports.primaryIpv6Network = ipv6.ipNetwork;
