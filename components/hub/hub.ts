import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { RegionId, imageRef } from "../../tenants/catalog";
import { createBaseStages, createStage, stageSecrets } from "../host";
import type { Stage } from "../host/stages";
import { HUB_APPS_DIR, HUB_PROJECT, HUB_WAIT_TIMEOUT_S, keptImages, renderAppEnv, renderDbEnv, renderHubCompose } from "./apps";
import { HubBackupArgs, hubBackupStage } from "./backup";
import { createHubDns } from "./dns";
import { renderHubNginxConf } from "./nginx";
import { HubServerChoice, createHubServer } from "./server";
import { HUB_SERVICE_IDS, HubImages, HubServiceId } from "./services";
import { HubSnapshotsArgs, hubSnapshotsRun } from "./snapshots";
import { hubStage } from "./stage";
import { WireguardNetwork, createWireguardHub, hubTunnelAddress } from "./wireguard";
import type { HubWireguard } from "../../contracts/hub";

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
  /** Private half of the provisioning key, for the stages over SSH (secret). */
  readonly provisioningPrivateKey: pulumi.Input<string>;
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
  /** The region's WireGuard management network: the hub becomes its hub and SSH bastion. Default - none. */
  readonly wireguard?: WireguardNetwork;
  /** The daily VPS snapshot job of the region's tenants, on a timer after the backup. Default - none. */
  readonly snapshots?: HubSnapshotsArgs;
}

/** A hub stage with the secret values it names and what, besides the stage before, it waits for. */
interface HubStageRun {
  readonly stage: Stage;
  readonly secrets: Readonly<Record<string, pulumi.Input<string>>>;
  readonly after?: pulumi.Resource[];
}

/** Image references (`repository:tag@digest`) per service. */
export type HubImageRefs = Partial<Record<HubServiceId, string>>;

/**
 * A region's control plane: the hub server, the tenants' base stages, then the hub's own
 * stages (its containers as a compose project, the nginx site, the daily database backup),
 * and DNS for the hub name. Every stage carries the server's identity in its trigger.
 */
export class Hub extends pulumi.ComponentResource {
  declare readonly ipv4: pulumi.Output<string>;
  declare readonly ipv6: pulumi.Output<string>;
  declare readonly serverId: pulumi.Output<string>;
  declare readonly provider: pulumi.Output<string>;
  declare readonly currentImages: pulumi.Output<HubImageRefs>;
  declare readonly previousImages: pulumi.Output<HubImageRefs>;
  /** What spokes need of the hub (its public key, endpoint, jump host); only with `wireguard`. */
  declare readonly wireguard: pulumi.Output<HubWireguard> | undefined;

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
      wireguardPort: args.wireguard?.port,
      labels,
      protect,
    }, this);
    // Hardening and the shared host layers (packages, unattended upgrades, Docker, firewall,
    // SSH, fail2ban, TLS by DNS-01, base nginx): the very stages every tenant runs.
    const base = createBaseStages(name, {
      connection: { host: vps.ipv4, privateKey: args.provisioningPrivateKey },
      params: { hostname: args.serverName, domain: args.domain, managementCidrs: args.managementCidrs,
        acmeEmail: args.acmeEmail, acmeServer: args.acmeServer, issueCertificate: args.issueCertificate,
        ...(args.wireguard ? { publicUdpPorts: [args.wireguard.port] } : {}) },
      secrets: { cloudflareDnsToken: args.cloudflareDnsToken },
      server: vps,
    }, { parent: this });

    // Protected like the server: the database on its disk keeps the password it was initialised
    // with, so a plain destroy must not take it (the next up would hand the apps a new one).
    const secretOpts: pulumi.CustomResourceOptions = { parent: this, additionalSecretOutputs: ["result"], protect };
    const dbPassword = new random.RandomPassword(`${name}-db-password`, { length: 40, special: false }, secretOpts);
    const authSecret = new random.RandomPassword(`${name}-auth-secret`, { length: 64, special: false }, secretOpts);
    const dns = createHubDns(name, { zoneId: args.zoneId, domain: args.domain, ipv4: vps.ipv4, ipv6: vps.ipv6 }, { parent: this, dependsOn: [vps.server] });

    // The hub's stages, in order after the base ones; each waits for the one before.
    const appEnv = pulumi.all([dbPassword.result, authSecret.result, args.secretEnvironment]).apply(([password, auth, secretEnv]) => renderAppEnv({
      region: args.region, hubUrl: `https://${args.domain}`, tenantBaseDomain: args.tenantBaseDomain,
      environment: args.environment, secretEnvironment: secretEnv, dbPassword: password, authSecret: auth,
    }));
    const stages: HubStageRun[] = [
      { stage: hubStage("apps", {
        files: { compose: renderHubCompose(args.images) },
        params: { LB_HUB_DIR: HUB_APPS_DIR, LB_PROJECT: HUB_PROJECT, LB_WAIT_TIMEOUT: String(HUB_WAIT_TIMEOUT_S), LB_KEEP_IMAGES: keptImages(args.images).join(" ") },
        secrets: ["HUB_DB_ENV", "HUB_APP_ENV"],
      }), secrets: { HUB_DB_ENV: dbPassword.result.apply(renderDbEnv), HUB_APP_ENV: appEnv } },
      // nginx proxies to the web container, under the name DNS gives it.
      { stage: hubStage("site", { files: { "site.conf": renderHubNginxConf({ domain: args.domain }) } }), secrets: {}, after: dns },
      { stage: hubBackupStage(args.backup), secrets: { BACKUP_RCLONE_CONFIG: args.backup.rcloneConfig } },
      ...(args.snapshots ? [hubSnapshotsRun(args.snapshots)] : []),
    ];
    let previous: pulumi.Resource[] = [base.done];
    let wireguard: pulumi.Output<HubWireguard> | undefined;
    if (args.wireguard) {
      // Right after the base stages (the firewall has opened its port), before the hub's own.
      const net = args.wireguard;
      const wg = createWireguardHub(name, net, args.managementCidrs, { ipv4: vps.ipv4, ipv6: vps.ipv6 }, { connection: base.connection, identity: base.identity, dependsOn: previous }, { parent: this });
      previous = [wg.stage];
      // Public keys only; a stage's stdout may come back marked secret because its connection is.
      wireguard = pulumi.unsecret(pulumi.all([vps.ipv4, wg.publicKey, base.hostKey.stdout]).apply(([ipv4, publicKey, hostKey]): HubWireguard => ({
        network: net.network,
        port: net.port,
        publicKey,
        endpoint: `${ipv4}:${net.port}`,
        hubAddress: hubTunnelAddress(net.network),
        jump: { host: ipv4, port: 22, user: "root", hostKey: String(hostKey ?? "").trim() },
      })));
    }
    for (const { stage, secrets, after } of stages) {
      const stdin = stageSecrets(stage.secrets, secrets);
      const run = createStage(`${name}-${stage.name.replace(/^hub-/, "")}`, stage, {
        connection: base.connection, identity: base.identity, stdin, dependsOn: [...previous, ...(after ?? [])],
      }, { parent: this });
      previous = [run];
    }

    const refs = (which: "current" | "previous"): HubImageRefs => Object.fromEntries(HUB_SERVICE_IDS.flatMap((id) => {
      const pin = args.images[id][which];
      return pin ? [[id, imageRef(pin)]] : [];
    }));
    const outputs = {
      ipv4: vps.ipv4,
      ipv6: vps.ipv6,
      serverId: vps.serverId,
      provider: pulumi.output(vps.provider),
      currentImages: pulumi.output(refs("current")),
      previousImages: pulumi.output(refs("previous")),
      ...(wireguard ? { wireguard } : {}),
    };
    Object.assign(this, { wireguard }, outputs);
    this.registerOutputs(outputs);
  }
}
