/**
 * What every stand-in shares: inputs pass Check unchanged, Diff compares the inputs the engine sends
 * with the ones recorded at create (kept under `__inputs`, since the provider API hands Diff only the
 * old outputs), and a resource type a stand-in does not carry out fails with a message naming it.
 */
import type { CheckResult, CreateResult, DiffResult, Provider, ReadResult, UpdateResult } from "@pulumi/pulumi/provider";

export type Props = Record<string, unknown>;

/** How one resource type is carried out; absent methods fall back to the generic behaviour. */
export interface TypeHandler {
  /** Input names whose change replaces the resource (the real provider's ForceNew fields). `*` means all. */
  readonly replaceOn?: readonly string[];
  create?(urn: string, inputs: Props): Promise<{ id: string; outs: Props }>;
  update?(id: string, urn: string, olds: Props, news: Props): Promise<Props>;
  delete?(id: string, urn: string, props: Props): Promise<void>;
  read?(id: string, urn: string, props: Props): Promise<Props | undefined>;
}

/** A URN's own type (the last of its type chain) and name. */
export function urnParts(urn: string): { type: string; name: string } {
  const parts = urn.split("::");
  const chain = parts[2] ?? "";
  return { type: chain.split("$").at(-1) ?? chain, name: parts.slice(3).join("::") };
}

export const typeOf = (urn: string): string => urnParts(urn).type;

function recordedInputs(olds: Props): Props {
  const recorded = olds.__inputs;
  return recorded && typeof recorded === "object" ? (recorded as Props) : olds;
}

export function changedKeys(olds: Props, news: Props): string[] {
  const keys = new Set([...Object.keys(olds), ...Object.keys(news)]);
  return [...keys].filter((k) => k !== "__inputs" && JSON.stringify(olds[k]) !== JSON.stringify(news[k])).sort();
}

export function standInProvider(plugin: string, version: string, handlers: Readonly<Record<string, TypeHandler>>): Provider {
  const handlerFor = (urn: string): TypeHandler | undefined => handlers[typeOf(urn)];
  const notCarriedOut = (verb: string, urn: string): Error =>
    new Error(`stand-in ${plugin} ${version} does not ${verb} ${typeOf(urn)} (${urn}): the real plugin cannot be built here, see README "The engine"`);
  return {
    version,
    async check(_urn: string, _olds: Props, news: Props): Promise<CheckResult> {
      return { inputs: news };
    },
    async diff(_id: string, urn: string, olds: Props, news: Props): Promise<DiffResult> {
      const changed = changedKeys(recordedInputs(olds), news);
      const replaceOn = handlerFor(urn)?.replaceOn ?? [];
      const replaces = replaceOn.includes("*") ? changed : changed.filter((k) => replaceOn.includes(k));
      return { changes: changed.length > 0, replaces, deleteBeforeReplace: false };
    },
    async create(urn: string, inputs: Props): Promise<CreateResult> {
      const handler = handlerFor(urn);
      if (!handler?.create) throw notCarriedOut("create", urn);
      const { id, outs } = await handler.create(urn, inputs);
      return { id, outs: { ...inputs, ...outs, __inputs: inputs } };
    },
    async update(id: string, urn: string, olds: Props, news: Props): Promise<UpdateResult> {
      const handler = handlerFor(urn);
      if (!handler?.update) throw notCarriedOut("update", urn);
      const outs = await handler.update(id, urn, olds, news);
      return { outs: { ...news, ...outs, __inputs: news } };
    },
    async delete(id: string, urn: string, props: Props): Promise<void> {
      const handler = handlerFor(urn);
      if (!handler?.delete) throw notCarriedOut("delete", urn);
      await handler.delete(id, urn, props);
    },
    async read(id: string, urn: string, props?: Props): Promise<ReadResult> {
      const handler = handlerFor(urn);
      const current = handler?.read ? await handler.read(id, urn, props ?? {}) : props;
      if (!current) return {};
      return { id, props: current, inputs: recordedInputs(current) };
    },
  };
}
