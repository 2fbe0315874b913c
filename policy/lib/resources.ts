/**
 * Helpers the policies share: URNs, stack kinds and regions, the VPS resource types, and a
 * walk over property trees. Policies see plain JSON (CrossGuard unwraps secrets and outputs).
 */
import { UnknownValueError } from "@pulumi/policy";
import { REGIONS, REGION_IDS, RegionId } from "../../tenants/catalog";
import { HUB_PROJECT, TENANT_PROJECT } from "../../tenants/projects";

export const TYPES = {
  hcloudServer: "hcloud:index/server:Server",
  hcloudFirewall: "hcloud:index/firewall:Firewall",
  hcloudPrimaryIp: "hcloud:index/primaryIp:PrimaryIp",
  hcloudVolume: "hcloud:index/volume:Volume",
  netcupServer: "pulumi-nodejs:dynamic/netcup:Server",
  dnsRecord: "cloudflare:index/dnsRecord:DnsRecord",
  cloudflareZone: "cloudflare:index/zone:Zone",
  dockerContainer: "docker:index/container:Container",
  dockerRemoteImage: "docker:index/remoteImage:RemoteImage",
  dockerVolume: "docker:index/volume:Volume",
  remoteCommand: "command:remote:Command",
  copyToRemote: "command:remote:CopyToRemote",
  copyFile: "command:remote:CopyFile",
  tenant: "letsbe:tenant:Tenant",
  stackReference: "pulumi:pulumi:StackReference",
} as const;

/** Resource types that are a tenant's or hub's server. */
export const VPS_TYPES: readonly string[] = [TYPES.hcloudServer, TYPES.netcupServer];

/** Types whose inputs may carry the rendered compose file or scripts. */
export const COMMAND_TYPES: readonly string[] = [TYPES.remoteCommand, TYPES.copyToRemote, TYPES.copyFile];

/** The minimum a policy needs of a resource; both CrossGuard's args and the plan's records fit. */
export interface ResourceLike {
  readonly type: string;
  readonly urn: string;
  readonly name: string;
  readonly props: Record<string, unknown>;
  readonly dependencies?: readonly { readonly urn: string }[];
  readonly propertyDependencies?: Record<string, readonly { readonly urn: string }[]>;
}

export interface UrnParts {
  readonly stack: string;
  readonly project: string;
  readonly type: string;
  readonly name: string;
}

/** `urn:pulumi:<stack>::<project>::<parent$type>::<name>` */
export function parseUrn(urn: string): UrnParts {
  const parts = urn.split("::");
  const stack = (parts[0] ?? "").replace(/^urn:pulumi:/, "");
  const qualified = parts[2] ?? "";
  const type = qualified.split("$").pop() ?? "";
  return { stack, project: parts[1] ?? "", type, name: parts.slice(3).join("::") };
}

export const isTenantStack = (urn: string): boolean => parseUrn(urn).project === TENANT_PROJECT;

/** Tenant stacks are production (each is a paying customer); hub stacks named `prod-*` too. */
export function isProdStack(urn: string): boolean {
  const { project, stack } = parseUrn(urn);
  if (project === TENANT_PROJECT) return true;
  return project === HUB_PROJECT && stack.startsWith("prod-");
}

const asRegion = (value: unknown): RegionId | undefined =>
  typeof value === "string" && (REGION_IDS as readonly string[]).includes(value) ? (value as RegionId) : undefined;

/** Region suffix of a hub stack name (`prod-eu`, `staging-us`). */
export function regionOfHubStack(stack: string): RegionId | undefined {
  return asRegion(stack.split("-").pop());
}

/**
 * The region a stack serves: a hub stack by its name; a tenant stack by the hub it references
 * (`org/letsbe-hub/prod-eu`), else by the region label its resources carry.
 */
export function stackRegion(resources: readonly ResourceLike[]): RegionId | undefined {
  const first = resources[0];
  if (!first) return undefined;
  const { project, stack } = parseUrn(first.urn);
  // A hub stack named by region (prod-eu) says it; others (staging) fall through to labels.
  const hubRegion = project === HUB_PROJECT ? regionOfHubStack(stack) : undefined;
  if (hubRegion) return hubRegion;
  for (const r of resources) {
    if (r.type !== TYPES.stackReference) continue;
    const [, refProject, refStack] = String(r.props.name ?? r.name).split("/");
    if (refProject === HUB_PROJECT && refStack) return regionOfHubStack(refStack);
  }
  for (const r of resources) {
    const labels = r.props.labels as Record<string, unknown> | undefined;
    const region = asRegion(labels?.region) ?? (r.type === TYPES.netcupServer ? asRegion(r.props.region) : undefined);
    if (region) return region;
  }
  return undefined;
}

export function regionLocations(region: RegionId): readonly string[] {
  return REGIONS[region].hetznerLocations;
}

/** Visits every leaf (non-object) value with its dotted path. */
export function forEachLeaf(value: unknown, visit: (path: string, leaf: unknown) => void, path = ""): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => forEachLeaf(item, visit, path ? `${path}.${i}` : String(i)));
  } else if (value !== null && typeof value === "object" && !isAsset(value)) {
    for (const key of Object.keys(value)) {
      forEachLeaf((value as Record<string, unknown>)[key], visit, path ? `${path}.${key}` : key);
    }
  } else {
    visit(path, value);
  }
}

/** A `pulumi.asset.StringAsset` as CrossGuard hands it over (its `text` a promise). */
export function isAsset(value: object): boolean {
  return "text" in value && (value as { text: unknown }).text instanceof Promise;
}

/** Key under which @pulumi/policy's property proxies hand out their target. */
const PROXY_TARGET = "__getSpecialProxyTarget";

/**
 * A property, or undefined when the preview cannot know it yet (a new server's id in a stage's
 * triggers, a password not generated yet on its stdin): it holds nothing to judge now, and reading
 * it would make CrossGuard skip the whole policy for the resource. The update judges it known.
 */
function knownProperty(value: object, key: string | number): unknown {
  try {
    return (value as Record<string | number, unknown>)[key];
  } catch (error) {
    if (error instanceof UnknownValueError) return undefined;
    throw error;
  }
}

/** Every string in a property tree, with its path; asset texts awaited; values unknown at preview left out. */
export async function stringsOf(props: Record<string, unknown>): Promise<{ path: string; text: string }[]> {
  const found: { path: string; text: string }[] = [];
  const pending: Promise<void>[] = [];
  const visit = (value: unknown, path: string): void => {
    if (typeof value === "string") found.push({ path, text: value });
    else if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) visit(knownProperty(value, i), path ? `${path}.${i}` : String(i));
    } else if (value !== null && typeof value === "object") {
      if (isAsset(value)) {
        // Under the analyzer the asset sits behind CrossGuard's unknown-checking proxy, and a
        // proxied promise cannot be awaited: read the proxy's target (the SDK's own escape key).
        const asset = ((value as Record<string, unknown>)[PROXY_TARGET] ?? value) as { text: Promise<unknown> };
        pending.push(asset.text.then((t) => visit(t, `${path}.text`)));
        return;
      }
      for (const key of Object.keys(value)) {
        if (key.startsWith("__")) continue; // `__provider` of dynamic resources, `__defaults`
        // A command's SSH connection holds no image or port, and its host is unknown in the preview
        // of a new server: reading it would make CrossGuard skip the whole policy for the resource.
        if (path === "" && key === "connection") continue;
        visit(knownProperty(value, key), path ? `${path}.${key}` : key);
      }
    }
  };
  visit(props, "");
  await Promise.all(pending);
  return found;
}

/** URNs a resource depends on, all properties together. */
export function dependencyUrns(resource: ResourceLike): Set<string> {
  const urns = new Set((resource.dependencies ?? []).map((d) => d.urn));
  for (const deps of Object.values(resource.propertyDependencies ?? {})) for (const d of deps) urns.add(d.urn);
  return urns;
}
