/**
 * `letsbe pins update` and `letsbe pins verify`: the image lock (tenants/images.lock.json)
 * against the registries, through skopeo (automation/pins/). Exit codes: 0 done, 1 a pin could
 * not be resolved or failed verification (each named), 2 bad usage or an invalid lock file.
 */
import { existsSync, writeFileSync } from "node:fs";
import { Command } from "commander";
import { LockFile, LockFileError, defaultLockPath, loadLock, serializeLock } from "../../tenants/pins/lock";
import { ImageName, formatFailure, hubConfigImages, parseImageName, updateLock, verifyLock } from "../pins/pins";
import { defaultRecordPath, removeRecord, writeRecord } from "../../tenants/pins/record";
import { RegistryClient, skopeoClient } from "../pins/skopeo";
import { repoRoot } from "../repoRoot";

export interface PinsIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
}

export interface PinsDeps {
  readonly client?: (opts: { authFile?: string; insecureRegistries: readonly string[] }) => RegistryClient;
  readonly now?: () => Date;
}

class PinsUsageError extends Error {}

interface ClientOptions { lock?: string; authfile?: string; insecureRegistry: string[] }
const collect = (value: string, previous: string[]) => [...previous, value];

function withClientOptions(c: Command): Command {
  return c
    .option("--lock <file>", "the lock file (default: tenants/images.lock.json)")
    .option("--authfile <file>", "containers auth file, as `skopeo login` writes it (default: $REGISTRY_AUTH_FILE, else skopeo's own lookup)")
    .option("--insecure-registry <host>", "speak plain HTTP to this registry host (local test registries only); repeatable", collect, [] as string[]);
}

export function registerPinsCommands(program: Command, io: PinsIo, setCode: (code: number) => void, deps: PinsDeps = {}): void {
  const makeClient = (opts: ClientOptions) => (deps.client ?? ((o) => skopeoClient({ authFile: o.authFile, insecureRegistries: o.insecureRegistries })))({
    ...((opts.authfile ?? io.env.REGISTRY_AUTH_FILE) ? { authFile: opts.authfile ?? io.env.REGISTRY_AUTH_FILE } : {}),
    insecureRegistries: opts.insecureRegistry,
  });
  const now = deps.now ?? (() => new Date());
  const guarded = (action: () => Promise<number>) => async () => {
    try {
      setCode(await action());
    } catch (error) {
      if (error instanceof PinsUsageError || error instanceof LockFileError) {
        io.err(`letsbe pins: ${error.message}\n`);
        setCode(2);
        return;
      }
      throw error;
    }
  };

  const pins = program.command("pins").description("image pins: resolve tags to digests into the lock, and verify the lock against the registries");

  withClientOptions(pins.command("update"))
    .description("resolve every image the catalog and hub config name (or --image ones) and rewrite the lock")
    .option("--image <repo:tag>", "resolve only this image (others stay as locked); repeatable", collect, [] as string[])
    .action((opts: ClientOptions & { image: string[] }) => guarded(async () => {
      const file = opts.lock ?? defaultLockPath();
      const previous: LockFile | undefined = existsSync(file) ? loadLock(file).lock : undefined;
      let names: ImageName[];
      if (opts.image.length > 0) {
        names = opts.image.map((text) => {
          const name = parseImageName(text);
          if (!name) throw new PinsUsageError(`--image ${JSON.stringify(text)}: must be registry-host/path:tag (e.g. docker.io/library/nextcloud:32.0.1)`);
          return name;
        });
      } else {
        const { CATALOG_IMAGES } = await import("../../tenants/catalog");
        names = [...CATALOG_IMAGES.map(({ repository, tag }) => ({ repository, tag })), ...hubConfigImages(repoRoot())];
      }
      const result = await updateLock(previous, names, makeClient(opts), { now: now(), keepOthers: opts.image.length > 0 });
      writeFileSync(file, serializeLock(result.lock));
      for (const entry of result.resolved) io.out(`resolved ${entry.repository}:${entry.tag} ${entry.digest} (${entry.platforms.join(", ")})\n`);
      for (const key of result.dropped) io.out(`dropped ${key} (no longer named)\n`);
      for (const failure of result.failures) io.err(`letsbe pins update: ${formatFailure(failure)}\n`);
      io.out(`${file}: ${result.resolved.length} resolved, ${result.failures.length} failed\n`);
      return result.failures.length === 0 ? 0 : 1;
    })());

  withClientOptions(pins.command("verify"))
    .description("check every locked digest still exists and its tag still names it; on success write the verification record")
    .option("--record <file>", "verification record to write on success (default: $LETSBE_PINS_RECORD, else .cache/pins/verified.json)")
    .action((opts: ClientOptions & { record?: string }) => guarded(async () => {
      const file = opts.lock ?? defaultLockPath();
      if (!existsSync(file)) throw new PinsUsageError(`${file}: no such lock file`);
      const loaded = loadLock(file);
      const client = makeClient(opts);
      const record = opts.record ?? defaultRecordPath(file, io.env);
      const failures = await verifyLock(loaded.lock, client);
      for (const failure of failures) io.err(`letsbe pins verify: ${formatFailure(failure)}\n`);
      io.out(`${file}: ${loaded.lock.images.length} checked, ${failures.length} failed\n`);
      if (failures.length > 0) {
        removeRecord(record);
        return 1;
      }
      writeRecord(record, {
        recordVersion: 1, lockFile: file, lockSha256: loaded.sha256,
        verifiedAt: now().toISOString().replace(/\.\d{3}Z$/, "Z"), images: loaded.lock.images.length, client: await client.version(),
      });
      io.out(`verification record: ${record}\n`);
      return 0;
    })());
}
