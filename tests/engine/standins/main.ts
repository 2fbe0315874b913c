/**
 * Entry point of the stand-in provider plugins (`pulumi-resource-<name>` launchers written by
 * `npm run engine`): the released plugins are Go modules the module proxy here does not serve, so
 * these serve the same resource tokens through @pulumi/pulumi's provider server. Usage:
 * `node main.js <plugin> <version> <engine-address>`.
 */
import { dirname } from "node:path";
import { main } from "@pulumi/pulumi/provider";
import { setProviderConfig } from "./config";
import { standInFor } from "./registry";

interface ConfigureCall { request: { getArgs(): { toJavaScript(): Record<string, unknown> } | undefined } }
type Impl = Record<string, unknown> & { configure: (call: ConfigureCall, callback: unknown) => void };

/** Captures Configure's args before the SDK's server answers it (it keeps none of them). */
function captureConfigure(): void {
  const grpcPath = require.resolve("@grpc/grpc-js", { paths: [dirname(require.resolve("@pulumi/pulumi"))] });
  const grpc = require(grpcPath) as { Server: { prototype: { addService: (service: unknown, impl: Impl) => void } } };
  const addService = grpc.Server.prototype.addService;
  grpc.Server.prototype.addService = function (this: unknown, service: unknown, impl: Impl) {
    const configure = impl.configure.bind(impl);
    impl.configure = (call, callback) => {
      setProviderConfig(call.request.getArgs()?.toJavaScript() ?? {});
      configure(call, callback);
    };
    return addService.call(this, service, impl);
  };
}

const [plugin, version, ...rest] = process.argv.slice(2);
if (!plugin || !version) {
  console.error("usage: main.js <plugin> <version> <engine-address>");
  process.exit(2);
}
captureConfigure();
main(standInFor(plugin, version), rest).catch((error: unknown) => {
  console.error(`stand-in ${plugin}: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
