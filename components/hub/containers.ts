/**
 * The hub's containers through `@pulumi/docker`, talking to the hub's engine over SSH: a
 * network, named volumes, images pulled by digest and four containers with health checks.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { posix } from "node:path";
import { RegionId } from "../../tenants/catalog";
import { BACKUP_STATUS_DIR, HUB_DB, HUB_SERVICES, HUB_SERVICE_IDS, HubImages, HubServiceId, pinnedRef } from "./services";

export interface HubContainersArgs {
  /** Public IPv4 of the hub; the provider reaches `ssh://root@<it>:22`. */
  readonly host: pulumi.Input<string>;
  /** Private key file the local `ssh` client uses (the provisioning key). */
  readonly sshIdentityFile: string;
  readonly region: RegionId;
  /** `https://hub...`, the auth callback base. */
  readonly hubUrl: string;
  readonly tenantBaseDomain: string;
  readonly images: HubImages;
  /** Plain container environment from config; the program's own names win. */
  readonly environment: Readonly<Record<string, string>>;
  /** Secret container environment from config. */
  readonly secretEnvironment: pulumi.Input<Record<string, string>>;
  /** Database password (secret). */
  readonly dbPassword: pulumi.Input<string>;
  /** NEXTAUTH_SECRET (secret). */
  readonly authSecret: pulumi.Input<string>;
  /** Protect the volumes from deletion. Default - true. */
  readonly protect?: boolean;
  /** Host stages the engine needs first (Docker installed, hardened). */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
  /** The hub server; its replacement replaces everything on its Docker engine. */
  readonly server: pulumi.Resource;
}

export interface HubContainers {
  readonly provider: docker.Provider;
  readonly containers: Record<HubServiceId, docker.Container>;
  readonly images: Record<HubServiceId, docker.RemoteImage>;
  readonly previousImages: Partial<Record<HubServiceId, docker.RemoteImage>>;
}

/** Rotated json-file logs: a chatty container never fills the disk. */
const LOG_OPTS = { "max-size": "20m", "max-file": "5" };

export function createHubContainers(name: string, args: HubContainersArgs, parent: pulumi.Resource): HubContainers {
  // Host keys are trusted on first use per installation: a new file for each (re)installed server,
  // checked strictly after that first contact. One machine-wide known_hosts refuses a reinstalled hub.
  const installation = new random.RandomId(`${name}-ssh-installation`, { byteLength: 8 }, { parent, replaceWith: [args.server] });
  const knownHosts = pulumi.interpolate`${posix.dirname(args.sshIdentityFile)}/known_hosts.${name}.${installation.hex}`;
  const provider = new docker.Provider(`${name}-docker-engine`, {
    host: pulumi.interpolate`ssh://root@${args.host}:22`,
    sshOpts: [
      "-i", args.sshIdentityFile, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "ConnectTimeout=30",
      "-o", pulumi.interpolate`UserKnownHostsFile=${knownHosts}`, "-o", "StrictHostKeyChecking=accept-new",
    ],
  }, { parent, dependsOn: args.dependsOn });
  // A replaced server is a blank Docker engine: networks, images and containers go with it
  // (volumes are protected and recreated empty by the engine on first mount; their data comes from backup).
  const opts: pulumi.CustomResourceOptions = { parent, provider, dependsOn: args.dependsOn, replaceWith: [args.server] };

  // Apps talk to the database on an internal network (no route out); the app network has egress.
  const dbNetwork = new docker.Network(`${name}-db-network`, { name: "letsbe-hub-db", driver: "bridge", internal: true }, opts);
  const appNetwork = new docker.Network(`${name}-app-network`, { name: "letsbe-hub", driver: "bridge" }, opts);
  // All three hold state (the database, provisioning job records, logs): protected alike.
  const volume = (suffix: string, volumeName: string) =>
    new docker.Volume(`${name}-${suffix}`, { name: volumeName, labels: [{ label: "letsbe.role", value: "hub" }] }, { ...opts, replaceWith: undefined, protect: args.protect ?? true });
  const dbData = volume("db-data", "hub-db-data");
  const jobs = volume("jobs", "hub-jobs");
  const logs = volume("logs", "hub-logs");

  const images = {} as Record<HubServiceId, docker.RemoteImage>;
  const previousImages: Partial<Record<HubServiceId, docker.RemoteImage>> = {};
  for (const id of HUB_SERVICE_IDS) {
    const pair = args.images[id];
    // keepLocally: a replaced image stays on disk, so the last two releases are always runnable.
    images[id] = new docker.RemoteImage(`${name}-${id}-image`, { name: pinnedRef(pair.current), keepLocally: true }, opts);
    if (pair.previous) {
      previousImages[id] = new docker.RemoteImage(`${name}-${id}-previous-image`, { name: pinnedRef(pair.previous), keepLocally: true }, opts);
    }
  }

  const health = (id: HubServiceId): docker.types.input.ContainerHealthcheck => ({
    tests: [...HUB_SERVICES[id].healthCheck],
    interval: "10s",
    timeout: "5s",
    retries: 5,
    startPeriod: "30s",
  });
  const ports = (id: HubServiceId): docker.types.input.ContainerPort[] => {
    const service = HUB_SERVICES[id];
    return service.hostPort === undefined ? [] : [{ internal: service.containerPort, external: service.hostPort, ip: "127.0.0.1", protocol: "tcp" }];
  };
  // Fixed names and host ports: a replaced container must go before its successor starts.
  const container = (id: HubServiceId, extra: Omit<docker.ContainerArgs, "image" | "name">, dependsOn: pulumi.Resource[] = []) =>
    new docker.Container(`${name}-${id}`, {
      name: HUB_SERVICES[id].containerName,
      image: images[id].imageId,
      restart: "unless-stopped",
      healthcheck: health(id),
      ports: ports(id),
      // Create waits for "healthy": a broken release fails the update instead of serving errors.
      wait: true,
      waitTimeout: 180,
      logDriver: "json-file",
      logOpts: LOG_OPTS,
      labels: [{ label: "letsbe.role", value: "hub" }, { label: "letsbe.image.tag", value: args.images[id].current.tag }],
      ...extra,
    }, { ...opts, dependsOn: [...args.dependsOn, ...dependsOn], deleteBeforeReplace: true });

  const db = container("postgres", {
    envs: pulumi.secret(pulumi.all([args.dbPassword]).apply(([password]) => [
      `POSTGRES_DB=${HUB_DB.name}`,
      `POSTGRES_USER=${HUB_DB.user}`,
      `POSTGRES_PASSWORD=${password}`,
    ])),
    volumes: [{ volumeName: dbData.name, containerPath: "/var/lib/postgresql/data" }],
    networksAdvanced: [{ name: dbNetwork.name, aliases: ["db"] }],
    shmSize: 256,
  });

  const appEnv = pulumi.secret(pulumi.all([args.dbPassword, args.authSecret, args.secretEnvironment]).apply(([password, authSecret, secretEnv]) => envList({
    ...args.environment,
    ...secretEnv,
    DATABASE_URL: `postgresql://${HUB_DB.user}:${encodeURIComponent(password)}@db:5432/${HUB_DB.name}`,
    NEXTAUTH_URL: args.hubUrl,
    NEXTAUTH_SECRET: authSecret,
    HUB_REGION: args.region,
    TENANT_BASE_DOMAIN: args.tenantBaseDomain,
    NODE_ENV: "production",
  })));
  const appNetworks = [{ name: appNetwork.name }, { name: dbNetwork.name }];
  const app = (id: Exclude<HubServiceId, "postgres">, extra: Omit<docker.ContainerArgs, "image" | "name">) =>
    container(id, { envs: appEnv, networksAdvanced: appNetworks, ...extra }, [db]);

  const containers: Record<HubServiceId, docker.Container> = {
    postgres: db,
    hubWebApi: app("hubWebApi", {
      volumes: [{ volumeName: jobs.name, containerPath: "/app/jobs", readOnly: true }, { volumeName: logs.name, containerPath: "/app/logs" }],
    }),
    // The worker runs provisioning jobs, which start provisioner containers (seed 001 §3.1):
    // it alone gets the engine socket. It also watches the backup report.
    hubWorker: app("hubWorker", {
      volumes: [
        { volumeName: jobs.name, containerPath: "/app/jobs" },
        { volumeName: logs.name, containerPath: "/app/logs" },
        { hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock" },
        { hostPath: BACKUP_STATUS_DIR, containerPath: "/run/letsbe/hub-backup", readOnly: true },
      ],
    }),
    notifications: app("notifications", { volumes: [{ volumeName: logs.name, containerPath: "/app/logs" }] }),
  };
  return { provider, containers, images, previousImages };
}

function envList(env: Record<string, string>): string[] {
  return Object.keys(env).sort().map((key) => `${key}=${env[key]}`);
}
