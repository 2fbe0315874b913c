/** Which stand-in serves which plugin name. */
import type { Provider } from "@pulumi/pulumi/provider";
import { cloudflareHandlers } from "./cloudflare";
import { TypeHandler, standInProvider } from "./generic";
import { hcloudHandlers } from "./hcloud";
import { commandHandlers } from "./command";
import { randomHandlers } from "./random";

const HANDLERS: Readonly<Record<string, Readonly<Record<string, TypeHandler>>>> = {
  random: randomHandlers,
  command: commandHandlers,
  hcloud: hcloudHandlers,
  cloudflare: cloudflareHandlers,
};

export const STAND_IN_PLUGINS: readonly string[] = Object.keys(HANDLERS);

export function standInFor(plugin: string, version: string): Provider {
  const handlers = HANDLERS[plugin];
  if (!handlers) throw new Error(`no stand-in for plugin "${plugin}" (known: ${STAND_IN_PLUGINS.join(", ")})`);
  return standInProvider(plugin, version, handlers);
}
