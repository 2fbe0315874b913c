/**
 * Entry point of the stand-in provider plugins (`pulumi-resource-<name>` launchers written by
 * `npm run engine`): the released plugins are Go modules the module proxy here does not serve, so
 * these serve the same resource tokens through @pulumi/pulumi's provider server. Usage:
 * `node main.js <plugin> <version> <engine-address>`.
 */
import { main } from "@pulumi/pulumi/provider";
import { standInFor } from "./registry";

const [plugin, version, ...rest] = process.argv.slice(2);
if (!plugin || !version) {
  console.error("usage: main.js <plugin> <version> <engine-address>");
  process.exit(2);
}
main(standInFor(plugin, version), rest).catch((error: unknown) => {
  console.error(`stand-in ${plugin}: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
