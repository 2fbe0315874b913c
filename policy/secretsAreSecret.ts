import { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { forEachLeaf } from "./lib/resources";

/**
 * CrossGuard hands validation policies plain values: secrets are unwrapped and their secretness
 * is not visible (pulumi/pulumi-policy#241). Callers that know which input paths were secrets
 * (the offline plan records them) pass them here; without them the policy is not applicable.
 */
export type SecretAwareArgs = ResourceValidationArgs & {
  /** Dotted input paths that were Pulumi secrets; absent when the caller cannot tell. */
  readonly secretPaths?: readonly string[];
};

/** Key names that carry credentials. Names of places (`tokenUrl`, `passwordFile`) are not. */
const SENSITIVE_KEY = /(private_?key|passw(or)?d|secret|token|api_?key|credential|registration)/i;
const NOT_A_SECRET = /(url|uri|endpoint|file|path|name|id|ids|type|paths|length|special|upper|lower|numeric)$/i;
const PRIVATE_KEY_TEXT = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

function keyIsSensitive(key: string): boolean {
  return SENSITIVE_KEY.test(key) && !NOT_A_SECRET.test(key);
}

const ENV_LINE = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|'[^']*'|[^\s'"]*)\s*$/;

/** An env file (every line `KEY=value`, comments aside) that sets a credential. */
function envFileWithCredential(text: string): boolean {
  if (!text.includes("=")) return false;
  let credential = false;
  let assignments = 0;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = ENV_LINE.exec(line);
    if (!m) return false; // a script or prose, not an env file
    assignments++;
    if (keyIsSensitive(m[1]!) && !["", "''", '""'].includes(m[2]!)) credential = true;
  }
  return assignments > 0 && credential;
}

/**
 * Input paths that carry a credential: keys named like one (also `KEY=value` entries of env
 * lists and keys of environment maps), any string holding a private key, and env files (a
 * command's stdin, a copied file) that set a credential.
 */
export function sensitivePaths(props: Record<string, unknown>): string[] {
  const paths: string[] = [];
  forEachLeaf(props, (path, leaf) => {
    if (path.startsWith("__") || leaf === undefined || leaf === null || leaf === "") return;
    const key = path.split(".").pop() ?? "";
    const envKey = typeof leaf === "string" && /^\d+$/.test(key) ? /^([A-Za-z_][A-Za-z0-9_]*)=./.exec(leaf)?.[1] : undefined;
    const text = typeof leaf === "string" ? leaf : "";
    if (keyIsSensitive(key) || (envKey !== undefined && keyIsSensitive(envKey)) || PRIVATE_KEY_TEXT.test(text) || envFileWithCredential(text)) {
      paths.push(path);
    }
  });
  return paths;
}

const covered = (path: string, secrets: readonly string[]): boolean =>
  secrets.some((s) => s === "" || path === s || path.startsWith(`${s}.`));

export const secretsAreSecret: ResourceValidationPolicy = {
  name: "secrets-are-secret",
  description: "Private keys, passwords, tokens and registration secrets reach resources only as Pulumi secrets.",
  enforcementLevel: "mandatory",
  severity: "critical",
  tags: ["secrets"],
  remediationSteps: "Wrap the value with pulumi.secret() or read it with config.requireSecret(); never pass it as plain text.",
  validateResource: (args, report) => {
    const secrets = (args as SecretAwareArgs).secretPaths;
    if (secrets === undefined) {
      return args.notApplicable("secretness of inputs is not visible to CrossGuard validation (pulumi/pulumi-policy#241); the offline plan judges it");
    }
    const plain = sensitivePaths(args.props).filter((path) => !covered(path, secrets));
    // Names the path only: the value itself must never reach a message.
    for (const path of plain) report(`${args.name}: input "${path}" carries a credential in plain text; it must be a secret`);
  },
};
