/** Resources as a tenant stack declares them (type tokens and input shapes of the real SDKs). */
import * as pulumi from "@pulumi/pulumi";
import { TOOLS, imageRef, SIDECAR_IMAGES, DEFAULT_RELEASE } from "../../tenants/catalog";
import { Fixture, urnOf } from "./helpers";

export const T = {
  server: "hcloud:index/server:Server",
  firewall: "hcloud:index/firewall:Firewall",
  primaryIp: "hcloud:index/primaryIp:PrimaryIp",
  netcup: "pulumi-nodejs:dynamic/netcup:Server",
  dns: "cloudflare:index/dnsRecord:DnsRecord",
  container: "docker:index/container:Container",
  remoteImage: "docker:index/remoteImage:RemoteImage",
  command: "command:remote:Command",
  copy: "command:remote:CopyToRemote",
  tenant: "letsbe:tenant:Tenant",
  stackRef: "pulumi:pulumi:StackReference",
} as const;

const labels = (over: Record<string, string> = {}) => ({ tenant: "acme-bakery", region: "eu", tier: "build", group: "canary", "managed-by": "letsbe", ...over });

export const hetznerServer = (over: Partial<Fixture> & { props?: Record<string, unknown> } = {}): Fixture => ({
  type: T.server,
  name: "acme-bakery-server",
  protect: true,
  ...over,
  props: { name: "acme-bakery", serverType: "cpx31", image: "debian-13", location: "nbg1", labels: labels(), ...over.props },
});

export const primaryIp = (family: "ipv4" | "ipv6", over: Record<string, unknown> = {}): Fixture => ({
  type: T.primaryIp,
  name: `acme-bakery-${family}`,
  protect: true,
  props: { name: `acme-bakery-${family}`, type: family, location: "nbg1", labels: labels(), ...over },
});

export const hubReference = (region = "eu"): Fixture => ({
  type: T.stackRef, name: `letsbe/letsbe-hub/prod-${region}`, props: { name: `letsbe/letsbe-hub/prod-${region}` },
});

export const record = (suffix: string, props: Record<string, unknown>, dependsOnServer = true): Fixture => ({
  type: T.dns,
  name: `acme-bakery-${suffix}`,
  props: { zoneId: "3f2a9c41d8e07b5a6c1e4f90b2d73a58", ttl: 300, proxied: false, ...props },
  dependencies: dependsOnServer ? [urnOf(hetznerServer())] : [],
});

const pinned = (tool: keyof typeof TOOLS) => imageRef(TOOLS[tool].image);

/** A compose file as the Tenant renders it: the mail server's mail ports public, everything else on 127.0.0.1 (nginx runs on the host). */
export function composeYaml(over: { nextcloudImage?: string; nextcloudPorts?: string[]; nextcloudMemory?: string } = {}): string {
  return [
    "name: letsbe",
    "services:",
    "  stalwart:",
    `    image: ${pinned("stalwart")}`,
    "    ports: [\"127.0.0.1:3011:8080\", \"25:25\", \"465:465\", \"587:587\", \"993:993\"]",
    "    deploy: { resources: { limits: { memory: 64m } } }",
    "  openclaw:",
    `    image: ${imageRef(DEFAULT_RELEASE.openclaw)}`,
    "    ports: [\"127.0.0.1:18789:18789\"]",
    "    deploy: { resources: { limits: { memory: 256m } } }",
    "  nextcloud:",
    `    image: ${over.nextcloudImage ?? pinned("nextcloud")}`,
    `    ports: ${JSON.stringify(over.nextcloudPorts ?? ["127.0.0.1:3023:80"])}`,
    `    deploy: { resources: { limits: { memory: ${over.nextcloudMemory ?? "512m"} } } }`,
    "  nextcloud-db:",
    `    image: ${imageRef(SIDECAR_IMAGES.postgres)}`,
    "    deploy: { resources: { limits: { memory: 256m } } }",
    "",
  ].join("\n");
}

/** The compose file on its way to the host, as CrossGuard sees a CopyToRemote's asset. */
export const composeCopy = (yaml: string = composeYaml()): Fixture => ({
  type: T.copy,
  name: "acme-bakery-compose-file",
  props: { source: new pulumi.asset.StringAsset(yaml), remotePath: "/opt/letsbe/compose.yaml", connection: { host: "100.64.0.1", user: "root", privateKey: "k" } },
});

/** A compose applied by a Command whose script carries the file in a heredoc. */
export const composeHeredoc = (yaml: string): Fixture => ({
  type: T.command,
  name: "acme-bakery-compose",
  props: { create: `set -eu\ncat > /opt/letsbe/compose.yaml <<'YAML'\n${yaml}YAML\ndocker compose up -d --wait\n`, connection: { host: "100.64.0.1" } },
});

/** A whole, healthy tenant stack. */
export function tenantStack(): Fixture[] {
  return [
    hubReference(),
    { type: T.tenant, name: "acme-bakery", props: {} },
    primaryIp("ipv4"),
    primaryIp("ipv6"),
    hetznerServer(),
    record("apex-a", { name: "acme-bakery.eu.letsbe.biz", type: "A", content: "100.79.230.81" }),
    record("apex-aaaa", { name: "acme-bakery.eu.letsbe.biz", type: "AAAA", content: "2001:db8:1dc4:e34::1" }),
    composeCopy(),
  ];
}
