import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { RegionId } from "../../tenants/catalog";
import { createBaseStages } from "../host";
import { HubBackupArgs, hubBackupStage } from "./backup";
import { createHubContainers } from "./containers";
import { createHubDns } from "./dns";
import { renderHubNginxConf } from "./nginx";
import { HubServerChoice, createHubServer } from "./server";
import { HUB_SERVICE_IDS, HubImages, HubServiceId } from "./services";
import { hubScript, renderStage, runStage } from "./stage";

export interface HubArgs {
  readonly region: RegionId;
  /** Public name of the hub, e.g. `hub.eu.letsbe.biz`. */
  readonly domain: string;
  /** Tenants without a zone of their own live under it; passed to the containers. */
  readonly tenantBaseDomain: string;
  /** Cloudflare zone of the platform domain, where the hub's records go. */
  readonly zoneId: string;
  /** Hostname of the hub server, e.g. `letsbe-hub-eu`. */
  readonly serverName: string;
  readonly server: HubServerChoice;
  /** Sources allowed to reach the hub's SSH. */
  readonly managementCidrs: readonly string[];
  readonly provisioningPublicKey: string;
  /** Private half of the provisioning key, for the command stages (secret). */
  readonly provisioningPrivateKey: pulumi.Input<string>;
  /** File holding that private key for the local `ssh` the docker provider runs. */
  readonly sshIdentityFile: string;
  /** Image pins per service, current and previous. */
  readonly images: HubImages;
  readonly environment: Readonly<Record<string, string>>;
  readonly secretEnvironment: pulumi.Input<Record<string, string>>;
  readonly backup: HubBackupArgs;
  /** Let's Encrypt account address. */
  readonly acmeEmail: string;
  /** ACME directory. Default - Let's Encrypt production. */
  readonly acmeServer?: string;
  /** Issue the certificate during bootstrap. Default - true. */
  readonly issueCertificate?: boolean;
  /** Zone-scoped Cloudflare token (DNS edit) for the DNS-01 certificate of the hub name (secret). */
  readonly cloudflareDnsToken: pulumi.Input<string>;
  /** Protect server, addresses and the database volume. Default - true. */
  readonly protect?: boolean;
}

/** Image references (`repository:tag@digest`) per service. */
export type HubImageRefs = Partial<Record<HubServiceId, string>>;

/**
 * A region's control plane: the hub server, its containers over the docker provider, nginx
 * with TLS, DNS for the hub name, and the daily database backup.
 */
export class Hub extends pulumi.ComponentResource {
  declare readonly ipv4: pulumi.Output<string>;
  declare readonly ipv6: pulumi.Output<string>;
  declare readonly serverId: pulumi.Output<string>;
  declare readonly provider: pulumi.Output<string>;
  /** `ssh://root@<ipv4>:22`: where the docker provider reaches the engine. */
  declare readonly dockerHost: pulumi.Output<string>;
  declare readonly currentImages: pulumi.Output<HubImageRefs>;
  declare readonly previousImages: pulumi.Output<HubImageRefs>;

  constructor(name: string, args: HubArgs, opts?: pulumi.ComponentResourceOptions) {
    super("letsbe:hub:Hub", name, {}, opts);
    const protect = args.protect ?? true;
    const labels = { role: "hub", region: args.region, "managed-by": "letsbe" };

    const vps = createHubServer(name, {
      name: args.serverName,
      region: args.region,
      fqdn: args.domain,
      choice: args.server,
      sshPublicKey: args.provisioningPublicKey,
      sshPrivateKey: args.provisioningPrivateKey,
      managementCidrs: args.managementCidrs,
      labels,
      protect,
    }, this);
    // Hardening and the shared host layers (packages, unattended upgrades, Docker, firewall,
    // SSH, fail2ban, TLS by DNS-01, base nginx): the very stages every tenant runs.
    const base = createBaseStages(name, {
      connection: { host: vps.ipv4, privateKey: args.provisioningPrivateKey },
      params: { hostname: args.serverName, domain: args.domain, managementCidrs: args.managementCidrs,
        acmeEmail: args.acmeEmail, acmeServer: args.acmeServer, issueCertificate: args.issueCertificate },
      secrets: { cloudflareDnsToken: args.cloudflareDnsToken },
      server: vps.server,
    }, { parent: this });
    const connection = base.connection;
    const hostReady: pulumi.Resource[] = [base.done];

    const secretOpts: pulumi.CustomResourceOptions = { parent: this, additionalSecretOutputs: ["result"] };
    const dbPassword = new random.RandomPassword(`${name}-db-password`, { length: 40, special: false }, secretOpts);
    const authSecret = new random.RandomPassword(`${name}-auth-secret`, { length: 64, special: false }, secretOpts);

    const hubUrl = `https://${args.domain}`;
    const containers = createHubContainers(name, {
      host: vps.ipv4,
      sshIdentityFile: args.sshIdentityFile,
      region: args.region,
      hubUrl,
      tenantBaseDomain: args.tenantBaseDomain,
      images: args.images,
      environment: args.environment,
      secretEnvironment: args.secretEnvironment,
      dbPassword: pulumi.secret(dbPassword.result),
      authSecret: pulumi.secret(authSecret.result),
      protect,
      dependsOn: hostReady,
      server: vps.server,
    }, this);

    const dns = createHubDns(name, { zoneId: args.zoneId, domain: args.domain, ipv4: vps.ipv4, ipv6: vps.ipv6 }, { parent: this, dependsOn: [vps.server] });

    const siteConf = "/etc/letsbe/nginx/hub.conf";
    const site = runStage(`${name}-site`, connection, renderStage({
      title: `letsbe-hub nginx site for ${args.domain}`,
      vars: { SITE_CONF: siteConf },
      files: [{ path: siteConf, mode: "0644", content: renderHubNginxConf({ domain: args.domain }) }],
      body: hubScript("nginx-site.sh"),
    }), { parent: this, dependsOn: [...hostReady, ...dns, containers.containers.hubWebApi], replaceWith: [vps.server] });
    void site;

    const backup = runStage(`${name}-backup`, connection, renderStage(hubBackupStage(args.backup)), {
      parent: this,
      dependsOn: [...hostReady, containers.containers.postgres],
      replaceWith: [vps.server],
    });
    void backup;

    const refs = (which: "current" | "previous"): HubImageRefs => Object.fromEntries(HUB_SERVICE_IDS.flatMap((id) => {
      const pin = args.images[id][which];
      return pin ? [[id, `${pin.repository}:${pin.tag}@${pin.digest}`]] : [];
    }));
    const outputs = {
      ipv4: vps.ipv4,
      ipv6: vps.ipv6,
      serverId: vps.serverId,
      provider: pulumi.output(vps.provider),
      dockerHost: pulumi.interpolate`ssh://root@${vps.ipv4}:22`,
      currentImages: pulumi.output(refs("current")),
      previousImages: pulumi.output(refs("previous")),
    };
    Object.assign(this, outputs);
    this.registerOutputs(outputs);
  }
}
