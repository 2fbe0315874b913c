/**
 * Policies that hold (issue 12 part 7), each with a passing and a violating case: names grant no
 * exception from internals-internal, no-public-ssh follows a moved SSH port on Hetzner as it does
 * in ufw, and values unknown at preview are judged as the descriptions say rather than stopping
 * the policy.
 */
import * as pulumi from "@pulumi/pulumi";
import { unknownCheckingProxy } from "@pulumi/policy";
import { describe, expect, it } from "vitest";
import { runUnderMocks } from "../../automation/plan/mockRuntime";
import { createHetznerVps } from "../../components/hetzner/server";
import { dnsSanity } from "../../policy/dnsSanity";
import { internalsInternal } from "../../policy/internalsInternal";
import { noPublicSsh } from "../../policy/noPublicSsh";
import { TOOLS, imageRef } from "../../tenants/catalog";
import { T, composeCopy, hetznerServer, record, tenantStack } from "./fixtures";
import { Fixture, checkResource, checkStack, urnOf } from "./helpers";

/** What CrossGuard hands a policy for a value a preview cannot know (the engine's unknown sentinel). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const asPreview = (props: Record<string, unknown>) => unknownCheckingProxy(props) as Record<string, unknown>;

const MAIL_IMAGE = imageRef(TOOLS.stalwart.image);
const OTHER = imageRef(TOOLS.nextcloud.image);
const compose = (services: Record<string, { image: string; ports: string[] }>) => composeCopy([
  "name: letsbe", "services:",
  ...Object.entries(services).flatMap(([name, s]) => [`  ${name}:`, `    image: ${s.image}`, `    ports: ${JSON.stringify(s.ports)}`]),
  "",
].join("\n"));

describe("internals-internal grants nothing by name", () => {
  it("passes the catalog's mail server on the mail ports, its web port on 127.0.0.1", async () => {
    const outcome = await checkResource(internalsInternal, compose({ stalwart: { image: MAIL_IMAGE, ports: ["127.0.0.1:3011:8080", "25:25", "[::]:993:993"] } }));
    expect(outcome.messages).toEqual([]);
  });

  it("reports a service named nginx, an image named nginx, and a service named like the mail tool, published publicly", async () => {
    const outcome = await checkResource(internalsInternal, compose({
      nginx: { image: OTHER, ports: ["443:443"] },
      web: { image: `docker.io/evil/nginx:1.27@sha256:${"a".repeat(64)}`, ports: ["80:80"] },
      stalwart: { image: OTHER, ports: ["25:25"] },
    }));
    expect(outcome.messages.map((m) => m.split(";")[0])).toEqual([
      'compose service "nginx" publishes "443:443" on 0.0.0.0',
      'compose service "web" publishes "80:80" on 0.0.0.0',
      'compose service "stalwart" publishes "25:25" on 0.0.0.0',
    ]);
  });

  it("reports the mail server image on a port that is not a mail port", async () => {
    const outcome = await checkResource(internalsInternal, compose({ stalwart: { image: MAIL_IMAGE, ports: ["8080:8080"] } }));
    expect(outcome.messages).toEqual(['compose service "stalwart" publishes "8080:8080" on 0.0.0.0; only the mail server image may publish, and only the mail ports; everything else binds 127.0.0.1']);
  });

  it("reports a docker container named nginx published publicly, and passes one on 127.0.0.1", async () => {
    const container = (ip?: string): Fixture => ({ type: T.container, name: "nginx", project: "letsbe-hub", stack: "prod-eu", props: { name: "nginx", image: "nginx:1.27", ports: [{ internal: 80, external: 80, ...(ip ? { ip } : {}) }] } });
    expect((await checkResource(internalsInternal, container())).messages).toEqual([`container "nginx" publishes port 80 on 0.0.0.0; only the mail server image may publish, and only the mail ports; everything else binds 127.0.0.1`]);
    expect((await checkResource(internalsInternal, container("127.0.0.1"))).messages).toEqual([]);
  });

  it("at preview, counts an image not known yet as no mail server, and leaves a port not known yet to the update", async () => {
    const container = (image: unknown, external: unknown): Fixture => ({ type: T.container, name: "mail", props: asPreview({ name: "mail", image, ports: [{ internal: 25, external }] }) });
    expect((await checkResource(internalsInternal, container(UNKNOWN, 25))).messages).toHaveLength(1);
    expect((await checkResource(internalsInternal, container(MAIL_IMAGE, 25))).messages).toEqual([]);
    expect((await checkResource(internalsInternal, container(OTHER, UNKNOWN))).messages).toEqual([]);
  });
});

describe("no-public-ssh follows the configured SSH port on Hetzner", () => {
  const firewall = (rules: unknown[], labels: Record<string, string> = {}): Fixture => ({ type: T.firewall, name: "acme-bakery-firewall", props: { name: "acme-bakery-firewall", labels, rules } });
  const rule = (port: string, sourceIps: string[], description?: string) => ({ direction: "in", protocol: "tcp", port, sourceIps, ...(description ? { description } : {}) });

  it("passes the firewall the component makes for sshPort 2222", async () => {
    const { resources } = await runUnderMocks(() => {
      const parent = new pulumi.ComponentResource("letsbe:test:Parent", "p");
      createHetznerVps("acme", {
        name: "acme", serverType: "cpx21", location: "nbg1", image: "debian-13",
        sshPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHJ0ZXN0a2V5dGVzdGtleXRlc3RrZXl0ZXN0a2V5 k", managementCidrs: ["198.51.100.10/32"], sshPort: 2222, labels: {},
      }, parent);
      return {};
    }, { project: "letsbe-tenant", stack: "acme" });
    const made = resources.find((r) => r.type === T.firewall)!;
    expect((await checkResource(noPublicSsh, { type: T.firewall, name: made.name, props: made.plainInputs })).messages).toEqual([]);
  });

  it("reports the labelled SSH port opened to everyone, which a 22-only check let through", async () => {
    const outcome = await checkResource(noPublicSsh, firewall([rule("443", ["0.0.0.0/0"]), rule("2222", ["::/0"])], { "ssh-port": "2222" }));
    expect(outcome.messages).toEqual(['firewall "acme-bakery-firewall" rule 1 opens port 2222 (SSH 2222) to ::/0']);
  });

  it("reports a rule described as SSH opened to everyone even without the label", async () => {
    const outcome = await checkResource(noPublicSsh, firewall([rule("2200", ["0.0.0.0/0"], "ssh from management")]));
    expect(outcome.messages).toEqual(['firewall "acme-bakery-firewall" rule 0 opens port 2200 (SSH 2200) to 0.0.0.0/0']);
  });

  it("reports ufw's SSH port on a web port, which is public on every host", async () => {
    const stage = (port: string): Fixture => ({ type: T.command, name: "acme-bakery-host-firewall", props: { create: `LB_STAGE=firewall LB_MGMT_CIDRS='198.51.100.10/32' LB_SSH_PORT='${port}' LB_PUBLIC_TCP_PORTS='' bash firewall.sh` } });
    expect((await checkResource(noPublicSsh, stage("443"))).messages).toEqual(["acme-bakery-host-firewall: host firewall publishes the SSH port 443 to everyone (80, 443 or LB_PUBLIC_TCP_PORTS)"]);
    expect((await checkResource(noPublicSsh, stage("2222"))).messages).toEqual([]);
  });

  it("at preview, counts a port not known yet as SSH and leaves sources not known yet to the update", async () => {
    const preview = (port: unknown, sourceIps: unknown): Fixture => ({ ...firewall([]), props: asPreview({ name: "fw", rules: [{ direction: "in", protocol: "tcp", port, sourceIps }] }) });
    expect((await checkResource(noPublicSsh, preview(UNKNOWN, ["::/0"]))).messages).toEqual(['firewall "acme-bakery-firewall" rule 0 opens port not known yet (SSH) to ::/0']);
    expect((await checkResource(noPublicSsh, preview(UNKNOWN, ["198.51.100.10/32"]))).messages).toEqual([]);
    expect((await checkResource(noPublicSsh, preview("22", UNKNOWN))).messages).toEqual([]);
  });
});

describe("dns-sanity at preview", () => {
  const server = "acme-bakery-server";
  const previewServer = (): Fixture => ({ ...hetznerServer(), props: asPreview({ ...hetznerServer().props, ipv4Address: UNKNOWN, ipv6Address: UNKNOWN }) });
  const previewRecord = (fromServer: boolean): Fixture => {
    const base = record("apex-a", { name: "acme-bakery.eu.letsbe.biz", type: "A", content: UNKNOWN }, fromServer);
    return { ...base, props: asPreview(base.props) };
  };
  const stack = (fromServer: boolean) => [
    ...tenantStack().filter((f) => f.name !== server && f.name !== "acme-bakery-apex-a"), previewServer(), previewRecord(fromServer),
  ];

  it("passes a record whose address is not known yet when it comes from the tenant's server", async () => {
    const outcome = await checkStack(dnsSanity, stack(true));
    expect(outcome.messages).toEqual([]);
  });

  it("reports a record whose address is not known yet and does not come from the tenant's server", async () => {
    const outcome = await checkStack(dnsSanity, stack(false));
    expect(outcome.messages).toEqual(['record "acme-bakery.eu.letsbe.biz" (A) has content not known at preview that does not come from this tenant\'s server or primary IP']);
    expect(outcome.urns).toEqual([urnOf(record("apex-a", {}, false))]);
  });
});
