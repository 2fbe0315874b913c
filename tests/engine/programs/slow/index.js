// A bootstrap step that takes a while, so a test can stop the service while the CLI runs it.
// @pulumi/pulumi resolves from the repository's node_modules (this folder sits inside the checkout).
const pulumi = require("@pulumi/pulumi");

const slow = {
  async create() {
    await new Promise((resolve) => setTimeout(resolve, 8000));
    return { id: "bootstrapped", outs: {} };
  },
};

class Bootstrap extends pulumi.dynamic.Resource {
  constructor(name) {
    super(slow, name, {}, {}, "host", "Bootstrap");
  }
}

new Bootstrap("slow-host-bootstrap");
