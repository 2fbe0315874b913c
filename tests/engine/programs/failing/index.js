// A bootstrap step that fails the way a host's can: the provider's message quotes the stack's secrets in
// forms the engine's own masking (exact values only) misses: a token cut short, a key quoted line by line.
// The test checks that the reason the Hub gets names the resource and carries none of them.
// @pulumi/pulumi resolves from the repository's node_modules (this folder sits inside the checkout).
const pulumi = require("@pulumi/pulumi");

const config = new pulumi.Config("letsbe-tenant");

const refusing = {
  async create(inputs) {
    const quoted = inputs.key.trim().split("\n").map((line) => `  > ${line}`).join("\n");
    throw new Error(`sign-up refused for token ${inputs.token.slice(0, 24)}…\nthe key sent was:\n${quoted}`);
  },
};

class Bootstrap extends pulumi.dynamic.Resource {
  constructor(name, props) {
    super(refusing, name, props, {}, "host", "Bootstrap");
  }
}

new Bootstrap("failing-host-signup", {
  token: config.requireSecret("registrationToken"),
  key: config.requireSecret("provisioningPrivateKey"),
});
