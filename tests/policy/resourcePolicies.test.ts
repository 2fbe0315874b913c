import { describe, expect, it } from "vitest";
import { internalsInternal } from "../../policy/internalsInternal";
import { noPublicSsh, portCovers } from "../../policy/noPublicSsh";
import { catalogPinProblems, pinnedArtifacts } from "../../policy/pinnedArtifacts";
import { secretsAreSecret, sensitivePaths } from "../../policy/secretsAreSecret";
import { statefulProtected } from "../../policy/statefulProtected";
import { DEFAULT_RELEASE, imageRef } from "../../tenants/catalog";
import { checkResource } from "./helpers";
import { T, composeCopy, composeHeredoc, composeYaml, hetznerServer, primaryIp } from "./fixtures";
import { FAKE_PRIVATE_KEY } from "../fixtures/keys";

const DIGEST = `@sha256:${"c".repeat(64)}`;

describe("pinned-artifacts", () => {
  it("passes docker images and containers pinned by digest", async () => {
    expect((await checkResource(pinnedArtifacts, { type: T.remoteImage, name: "web", props: { name: `code.letsbe.solutions/letsbe/hub:1.2.0${DIGEST}` }, project: "letsbe-hub", stack: "prod-eu" })).messages).toEqual([]);
    expect((await checkResource(pinnedArtifacts, { type: T.container, name: "web", props: { image: `sha256:${"d".repeat(64)}` }, project: "letsbe-hub", stack: "prod-eu" })).messages).toEqual([]);
  });

  it("reports a remote image by tag only and a container on latest", async () => {
    const image = await checkResource(pinnedArtifacts, { type: T.remoteImage, name: "web", props: { name: "code.letsbe.solutions/letsbe/hub:1.2.0" } });
    expect(image.messages).toEqual(['remote image "web": image "code.letsbe.solutions/letsbe/hub:1.2.0" is not pinned by digest (@sha256:<64 hex>)']);
    const latest = await checkResource(pinnedArtifacts, { type: T.container, name: "db", props: { image: `postgres:latest${DIGEST}` } });
    expect(latest.messages).toEqual([`container "db": image "postgres:latest${DIGEST}" uses the "latest" tag`]);
  });

  it("passes the rendered compose file and reports an unpinned service in it", async () => {
    expect((await checkResource(pinnedArtifacts, composeCopy())).messages).toEqual([]);
    const broken = await checkResource(pinnedArtifacts, composeCopy(composeYaml({ nextcloudImage: "docker.io/library/nextcloud:latest" })));
    expect(broken.messages).toEqual(['compose service "nextcloud" (source.text): image "docker.io/library/nextcloud:latest" uses the "latest" tag']);
  });

  it("finds the compose file in a command's heredoc", async () => {
    const broken = await checkResource(pinnedArtifacts, composeHeredoc(composeYaml({ nextcloudImage: "nextcloud:29" })));
    expect(broken.messages).toEqual(['compose service "nextcloud" (create (heredoc YAML)): image "nextcloud:29" is not pinned by digest (@sha256:<64 hex>)']);
  });

  it("holds the catalog to the same rule, and reports a release pin on the Tenant", async () => {
    expect(catalogPinProblems()).toEqual([]);
    expect(catalogPinProblems({ "tool x": { repository: "docker.io/x", tag: "latest", digest: `sha256:${"e".repeat(64)}` } }))
      .toEqual([`catalog tool x: image "docker.io/x:latest@sha256:${"e".repeat(64)}" uses the "latest" tag`]);
    const tenant = await checkResource(pinnedArtifacts, { type: T.tenant, name: "acme-bakery", props: { release: { openclaw: { ...DEFAULT_RELEASE.openclaw, digest: "sha256:short" } } } });
    expect(tenant.messages).toEqual([`release pin openclaw: image "${imageRef({ ...DEFAULT_RELEASE.openclaw, digest: "sha256:short" })}" is not pinned by digest (@sha256:<64 hex>)`]);
  });
});

describe("no-public-ssh", () => {
  const firewall = (rules: unknown[]) => ({ type: T.firewall, name: "acme-bakery-firewall", props: { name: "acme-bakery-firewall", rules } });
  const web = { direction: "in", protocol: "tcp", port: "443", sourceIps: ["0.0.0.0/0", "::/0"] };

  it("passes web from anywhere and SSH from management", async () => {
    const ssh = { direction: "in", protocol: "tcp", port: "22", sourceIps: ["198.51.100.10/32", "2001:db8:100::/48"] };
    expect((await checkResource(noPublicSsh, firewall([web, ssh]))).messages).toEqual([]);
  });

  it("reports SSH opened to ::/0, also through a port range", async () => {
    const outcome = await checkResource(noPublicSsh, firewall([web, { direction: "in", protocol: "tcp", port: "20-25", sourceIps: ["::/0"] }]));
    expect(outcome.messages).toEqual(['firewall "acme-bakery-firewall" rule 1 opens port 20-25 (SSH) to ::/0']);
    expect(portCovers("any", 22)).toBe(true);
    expect(portCovers("2222", 22)).toBe(false);
  });
});

describe("no-public-ssh on the host firewall stage", () => {
  const stage = (vars: string) => ({ type: T.command, name: "acme-bakery-host-firewall", props: { create: `LB_STAGE=firewall ${vars} bash /var/lib/letsbe/bootstrap/firewall.sh` } });

  it("passes SSH from management CIDRs and mail ports public", async () => {
    const outcome = await checkResource(noPublicSsh, stage("LB_MGMT_CIDRS='198.51.100.10/32 2001:db8:100::/48' LB_SSH_PORT='22' LB_PUBLIC_TCP_PORTS='25 465 587 993'"));
    expect(outcome.messages).toEqual([]);
  });

  it("reports ::/0 among the management CIDRs and the SSH port among the public ones", async () => {
    const outcome = await checkResource(noPublicSsh, stage("LB_MGMT_CIDRS='198.51.100.10/32 ::/0' LB_SSH_PORT='2222' LB_PUBLIC_TCP_PORTS='25 2222'"));
    expect(outcome.messages).toEqual([
      "acme-bakery-host-firewall: host firewall allows SSH (port 2222) from ::/0",
      "acme-bakery-host-firewall: host firewall publishes the SSH port 2222 to everyone (80, 443 or LB_PUBLIC_TCP_PORTS)",
    ]);
  });
});

describe("secrets-are-secret", () => {
  const bootstrap = (secretPaths?: string[]) => ({
    type: T.command,
    name: "acme-bakery-bootstrap",
    props: {
      create: "bash /run/letsbe/bootstrap.sh",
      connection: { host: "100.64.0.1", user: "root", privateKey: FAKE_PRIVATE_KEY },
      environment: { CF_DNS_API_TOKEN: "t0k3n", TZ: "UTC" },
    },
    ...(secretPaths ? { secretPaths } : {}),
  });

  it("passes when the key and the token were secrets", async () => {
    expect((await checkResource(secretsAreSecret, bootstrap(["connection", "environment.CF_DNS_API_TOKEN"]))).messages).toEqual([]);
  });

  it("reports credentials in plain text by path, never by value", async () => {
    const outcome = await checkResource(secretsAreSecret, bootstrap(["connection"]));
    expect(outcome.messages).toEqual(['acme-bakery-bootstrap: input "environment.CF_DNS_API_TOKEN" carries a credential in plain text; it must be a secret']);
    expect(outcome.messages.join()).not.toContain("t0k3n");
  });

  it("sees KEY=value env entries and private keys under any name, but not URLs of token endpoints", () => {
    expect(sensitivePaths({ envs: ["POSTGRES_PASSWORD=x", "TZ=UTC"], userData: FAKE_PRIVATE_KEY, tokenUrl: "https://x/token", refreshToken: "r" }))
      .toEqual(["envs.0", "userData", "refreshToken"]);
  });

  it("sees an env file that sets a credential (a stage's stdin), but not a command line that only mentions one", async () => {
    const stage = (secretPaths: string[]) => ({
      type: T.command, name: "acme-bakery-host-layout", secretPaths,
      props: { create: "LB_STAGE=layout LB_WITH_SECRETS=1 bash /var/lib/letsbe/bootstrap/layout.sh", stdin: "# bootstrap secrets\nREGISTRATION_TOKEN=r3g\nTZ=UTC\n" },
    });
    expect((await checkResource(secretsAreSecret, stage(["stdin"]))).messages).toEqual([]);
    expect((await checkResource(secretsAreSecret, stage([]))).messages).toEqual(['acme-bakery-host-layout: input "stdin" carries a credential in plain text; it must be a secret']);
  });

  it("is not applicable where secretness is invisible (CrossGuard's validation path)", async () => {
    const outcome = await checkResource(secretsAreSecret, bootstrap());
    expect(outcome.notApplicable).toContain("pulumi/pulumi-policy#241");
  });
});

describe("stateful-protected", () => {
  it("passes protected servers and addresses in a tenant stack", async () => {
    expect((await checkResource(statefulProtected, hetznerServer())).messages).toEqual([]);
    expect((await checkResource(statefulProtected, primaryIp("ipv4"))).messages).toEqual([]);
  });

  it("reports an unprotected primary IP in a tenant stack and a docker volume in prod-eu", async () => {
    const ip = await checkResource(statefulProtected, { ...primaryIp("ipv6"), protect: false });
    expect(ip.messages).toEqual(["acme-bakery-ipv6 (hcloud:index/primaryIp:PrimaryIp) is stateful but not protected in production stack letsbe-tenant/acme-bakery"]);
    const volume = await checkResource(statefulProtected, { type: "docker:index/volume:Volume", name: "hub-db-data", props: {}, project: "letsbe-hub", stack: "prod-eu" });
    expect(volume.messages).toEqual(["hub-db-data (docker:index/volume:Volume) is stateful but not protected in production stack letsbe-hub/prod-eu"]);
  });

  it("reports an unprotected tenant child zone, and passes a protected one", async () => {
    const zone = { type: "cloudflare:index/zone:Zone", name: "acme-bakery-zone", props: { name: "acme-bakery.eu.letsbe.biz", type: "full" }, project: "letsbe-tenant", stack: "acme-bakery" };
    expect((await checkResource(statefulProtected, { ...zone, protect: false })).messages).toEqual(["acme-bakery-zone (cloudflare:index/zone:Zone) is stateful but not protected in production stack letsbe-tenant/acme-bakery"]);
    expect((await checkResource(statefulProtected, { ...zone, protect: true })).messages).toEqual([]);
  });

  it("leaves non-production hub stacks alone", async () => {
    expect((await checkResource(statefulProtected, { ...hetznerServer(), protect: false, project: "letsbe-hub", stack: "staging-eu" })).messages).toEqual([]);
  });

  it("lets a stack tagged letsbe:decommission lift protection, and only that tag", async () => {
    const server = { ...hetznerServer(), protect: false };
    expect((await checkResource(statefulProtected, { ...server, stackTags: { "letsbe:decommission": "op-destroy-1" } })).messages).toEqual([]);
    expect((await checkResource(statefulProtected, { ...server, stackTags: { "letsbe:group": "general" } })).messages).toHaveLength(1);
  });
});

describe("internals-internal", () => {
  it("passes nginx public and tools on 127.0.0.1, in compose and in docker", async () => {
    expect((await checkResource(internalsInternal, composeCopy())).messages).toEqual([]);
    const hubApi = { type: T.container, name: "hub-web-api", project: "letsbe-hub", stack: "prod-eu", props: { name: "hub-web-api", image: `sha256:${"a".repeat(64)}`, ports: [{ internal: 3000, external: 3000, ip: "127.0.0.1" }] } };
    expect((await checkResource(internalsInternal, hubApi)).messages).toEqual([]);
  });

  it("reports a tool published on every address in compose", async () => {
    const outcome = await checkResource(internalsInternal, composeCopy(composeYaml({ nextcloudPorts: ["3023:80"] })));
    expect(outcome.messages).toEqual(['compose service "nextcloud" publishes "3023:80" on 0.0.0.0; only the mail server image may publish, and only the mail ports; everything else binds 127.0.0.1']);
  });

  it("reports a docker container published without an address", async () => {
    const db = { type: T.container, name: "postgres", props: { name: "hub-postgres", image: "x", ports: [{ internal: 5432, external: 5432 }] } };
    expect((await checkResource(internalsInternal, db)).messages).toEqual(['container "hub-postgres" publishes port 5432 on 0.0.0.0; only the mail server image may publish, and only the mail ports; everything else binds 127.0.0.1']);
  });
});
