/**
 * `FirstContact`: a script run once per installation over a host's public address, pinned to its
 * recorded host key (a dynamic resource, type `pulumi-nodejs:dynamic/letsbe:FirstContact`).
 *
 * The command provider runs a command again on any change of its inputs, its connection included,
 * over that connection. First contact must not: once it has run, the public address may be closed
 * (a WireGuard spoke's SSH moves onto its tunnel) and later stages keep what it set up current. So
 * here a changed script or connection (a rotated provisioning key) is no change; a new
 * installation (`identity`) or a new plan (`trigger`) replaces it, run with the inputs of the day.
 * It has no delete: a host being replaced may not answer, and its wipe removes what this made.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { login, messageOf, parseHostKey, sessionOf } from "./sshSession";

/** Bump when the provider's behaviour changes; recorded in state, a change alone is no change. */
export const FIRST_CONTACT_PROVIDER_VERSION = "1.0.0";

export interface FirstContactInputs {
  /** Named in errors: whose first contact, for what. */
  readonly label: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly privateKey: string;
  /** `type base64`: the host key recorded at install; any other refuses before login. */
  readonly hostKey: string;
  /** Where the script is written (mode 0600, its directory made). */
  readonly remotePath: string;
  readonly script: string;
  /** Runs after the script is in place; its standard output is `stdout`. */
  readonly command: string;
  /** `serverIdentity(server)`: a new installation runs first contact again. */
  readonly identity: string;
  /** What else makes a new first contact (a hash of the plan's parameters). */
  readonly trigger: string;
  readonly providerVersion: string;
}

export interface FirstContactOutputs extends FirstContactInputs {
  readonly stdout: string;
}

/** The inputs whose change is a new first contact; nothing else is ever a change. */
export const FIRST_CONTACT_REPLACES = ["identity", "trigger"] as const;

export function diffFirstContact(olds: FirstContactOutputs, news: FirstContactInputs): pulumi.dynamic.DiffResult {
  const replaces = FIRST_CONTACT_REPLACES.filter((key) => olds[key] !== news[key]);
  return replaces.length > 0 ? { changes: true, replaces: [...replaces], deleteBeforeReplace: false } : { changes: false };
}

/** Check failures of the inputs; values unknown in a preview pass. */
export function firstContactFailures(news: Partial<FirstContactInputs>, unknown: (value: unknown) => boolean): pulumi.dynamic.CheckFailure[] {
  const failures: pulumi.dynamic.CheckFailure[] = [];
  const rule = (property: keyof FirstContactInputs, ok: (value: unknown) => boolean, reason: string) => {
    if (!unknown(news[property]) && !ok(news[property])) failures.push({ property, reason });
  };
  rule("host", (v) => typeof v === "string" && v.length > 0, "must be the host's public address");
  rule("port", (v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65535, "must be a port (an integer of 1 to 65535)");
  rule("user", (v) => /^[a-z_][a-z0-9_-]*$/.test(String(v ?? "")), "must be a user name");
  rule("hostKey", (v) => /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+={0,2}$/.test(String(v ?? "").trim()),
    "must be the host key recorded at install (type and base64): first contact is pinned");
  rule("remotePath", (v) => /^\/[A-Za-z0-9._/-]+$/.test(String(v ?? "")), "must be an absolute path of letters, digits and ._/-");
  rule("privateKey", (v) => typeof v === "string" && v.includes("PRIVATE KEY"), "must be the provisioning private key (OpenSSH or PEM)");
  return failures;
}

/** Logs in (pinned; a refused connection is retried while the host boots), writes the script, runs the command. */
export async function runFirstContact(inputs: FirstContactInputs, attempts = 6): Promise<string> {
  const { backOff } = require("exponential-backoff") as typeof import("exponential-backoff");
  const where = `${inputs.label} (${inputs.user}@${inputs.host}:${inputs.port})`;
  const client = await backOff(
    () => login({ host: inputs.host, port: inputs.port, username: inputs.user, privateKey: inputs.privateKey, readyTimeoutMs: 20_000, hostKey: parseHostKey(inputs.hostKey) }),
    { numOfAttempts: attempts, startingDelay: 1000, timeMultiple: 2, maxDelay: 8000, retry: (error: { hostKeyMismatch?: boolean }) => !error.hostKeyMismatch },
  ).catch((error: { hostKeyMismatch?: boolean }) => {
    if (error.hostKeyMismatch) throw new Error(`first contact with ${where}: the host presented a key other than the one recorded at install; refused before logging in`);
    throw new Error(`first contact with ${where}: SSH login failed after ${attempts} attempts (${messageOf(error)})`);
  });
  const session = sessionOf(client);
  try {
    const path = inputs.remotePath;
    const upload = await session.run(`set -eu; umask 077; mkdir -p "$(dirname ${path})"; cat > ${path}.part; mv -f ${path}.part ${path}`, inputs.script);
    if (upload.code !== 0) throw new Error(`first contact with ${where}: writing ${path} exited ${upload.code}: ${upload.stderr.trim()}`);
    const result = await session.run(inputs.command, "");
    if (result.code !== 0) throw new Error(`first contact with ${where}: the command exited ${result.code}: ${result.stderr.trim()}`);
    return result.stdout;
  } finally {
    session.close();
  }
}

const firstContactProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: FirstContactInputs, news: FirstContactInputs) {
    // The engine's placeholder for values not known yet during a preview.
    const unknown = (value: unknown) => value === "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    return { inputs: news, failures: firstContactFailures(news, unknown) };
  },
  async diff(_id: string, olds: FirstContactOutputs, news: FirstContactInputs) {
    return diffFirstContact(olds, news);
  },
  async create(inputs: FirstContactInputs) {
    const stdout = await runFirstContact(inputs);
    return { id: `${inputs.identity}/${inputs.trigger.slice(0, 16)}`, outs: { ...inputs, stdout } };
  },
};

type Connection = command.types.input.remote.ConnectionArgs;

export interface FirstContactArgs {
  readonly label: string;
  /** The public address, pinned: `hostKey` set (components/host pinnedConnection). */
  readonly connection: pulumi.Input<Connection>;
  readonly file: { readonly remotePath: string; readonly content: string };
  readonly command: string;
  readonly identity: pulumi.Input<string>;
  readonly trigger: pulumi.Input<string>;
}

export class FirstContact extends pulumi.dynamic.Resource {
  declare readonly stdout: pulumi.Output<string>;

  constructor(name: string, args: FirstContactArgs, opts?: pulumi.CustomResourceOptions) {
    const connection = pulumi.output(args.connection);
    // The connection is secret as a whole (it holds the key); only the key need stay so.
    const field = <T>(pick: (c: pulumi.Unwrap<Connection>) => T) => pulumi.unsecret(connection.apply(pick));
    const props = {
      label: args.label,
      host: field((c) => c.host),
      port: field((c) => c.port ?? 22),
      user: field((c) => c.user ?? "root"),
      privateKey: pulumi.secret(connection.apply((c) => c.privateKey ?? "")),
      hostKey: field((c) => String(c.hostKey ?? "").trim()),
      remotePath: args.file.remotePath,
      script: args.file.content,
      command: args.command,
      identity: args.identity,
      trigger: args.trigger,
      providerVersion: FIRST_CONTACT_PROVIDER_VERSION,
      stdout: undefined,
    };
    super(firstContactProvider, name, props, { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "privateKey"] }, "letsbe", "FirstContact");
  }
}
