/**
 * Image pins and the lock (tenants/images.lock.json, tenants/pins/lock.ts).
 *
 * `verified-pins` (advisory, offline plan and CLI alike): names every image a stack runs whose
 * lock entry is unverified (never resolved by `letsbe pins update`), or that the lock does not
 * hold at the digest the stack uses.
 *
 * `pins-verified-for-production` (mandatory): a production preview or update (every
 * `letsbe-tenant` stack; `letsbe-hub` stacks named `prod-*`) under the Pulumi CLI needs a passing
 * `letsbe pins verify` for this very lock: the verification record (tenants/pins/record.ts)
 * must name the lock's sha256 and be younger than `maxAgeHours` (policy config, default 24).
 * The offline plan is no preview or update: there the policy reports itself not applicable and
 * `verified-pins` carries the finding as advisory. (The plan tells itself apart as it does for
 * `secrets-are-secret`: only the plan passes `secretPaths`.)
 */
import { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { LoadedLock, LockEntry, lockKey } from "../tenants/pins/lock";
import { DEFAULT_MAX_AGE_HOURS, defaultRecordPath, recordProblem } from "../tenants/pins/record";
import { IMAGE_LOCK } from "../tenants/catalog";
import { composeDocuments } from "./lib/compose";
import { TYPES, isProdStack } from "./lib/resources";

const REF = /^(.+?):([A-Za-z0-9_][A-Za-z0-9._-]{0,127})(?:@(sha256:[0-9a-f]{64}))?$/;
const BY_DIGEST = /^(.+)@(sha256:[0-9a-f]{64})$/;

/** What the lock says of one image reference, or undefined when the lock does not concern it. */
export function lockFinding(ref: string, lock: LoadedLock = IMAGE_LOCK): string | undefined {
  const byDigest = BY_DIGEST.exec(ref);
  // `repo@digest` (the hub pulls so) has no tag: a colon after the last slash would be one.
  const tagged = byDigest && !/:[^/]*$/.test(byDigest[1]!) ? null : REF.exec(ref);
  if (tagged) {
    const [, repository, tag, digest] = tagged as unknown as [string, string, string, string | undefined];
    const entry = lock.byKey.get(lockKey({ repository, tag }));
    if (!entry) return undefined; // not a catalog image (a per-stack override, a stand-in)
    if (entry.status === "unverified") return `${repository}:${tag} is unverified (${entry.digest ? `digest ${entry.digest} unchecked` : "no digest"})`;
    if (digest !== entry.digest) return `${ref} differs from the lock's ${entry.digest}`;
    return undefined;
  }
  if (byDigest) {
    const [, repository, digest] = byDigest as unknown as [string, string, string];
    const entries = lock.lock.images.filter((e) => e.repository === repository);
    if (entries.length === 0) return undefined;
    const entry = entries.find((e) => e.digest === digest);
    if (!entry) return `${ref} is not in the lock (it holds ${entries.map(lockKey).join(", ")})`;
    if (entry.status === "unverified") return `${lockKey(entry)} is unverified (digest ${digest} unchecked)`;
  }
  return undefined;
}

/** A tag-only reference the lock holds as unverified without a digest: `verified-pins` reports it. */
export function isUnverifiedLockedRef(ref: string, lock: LoadedLock = IMAGE_LOCK): boolean {
  const tagged = REF.exec(ref);
  if (!tagged || tagged[3] !== undefined) return false;
  const entry: LockEntry | undefined = lock.byKey.get(lockKey({ repository: tagged[1]!, tag: tagged[2]! }));
  return entry?.status === "unverified" && entry.digest === undefined;
}

async function imagesOf(resources: StackValidationArgs["resources"]): Promise<string[]> {
  const refs = new Set<string>();
  for (const r of resources) {
    if (r.type === TYPES.dockerRemoteImage && typeof r.props.name === "string") refs.add(r.props.name);
    if (r.type === TYPES.dockerContainer && typeof r.props.image === "string" && !r.props.image.startsWith("sha256:")) refs.add(r.props.image);
    for (const doc of await composeDocuments({ type: r.type, props: r.props })) {
      for (const spec of Object.values(doc.services)) if (typeof spec.image === "string") refs.add(spec.image);
    }
  }
  return [...refs].sort();
}

export const verifiedPins: StackValidationPolicy = {
  name: "verified-pins",
  description: "Every image a stack runs is locked in tenants/images.lock.json by a resolved digest (letsbe pins update), not marked unverified.",
  enforcementLevel: "advisory",
  severity: "medium",
  tags: ["supply-chain", "releases"],
  remediationSteps: "Run `letsbe pins update` where the registries are reachable and commit tenants/images.lock.json; CI runs `letsbe pins verify` before production previews and updates.",
  validateStack: async (args: StackValidationArgs, report: ReportViolation) => {
    const findings = (await imagesOf(args.resources)).flatMap((ref) => {
      const finding = lockFinding(ref);
      return finding ? [finding] : [];
    });
    if (findings.length > 0) {
      report(`${findings.length} image pin(s) not verified in ${IMAGE_LOCK.file.replace(/^.*\/(tenants\/)/, "$1")} (each entry's source says why):\n${findings.map((f) => `  - ${f}`).join("\n")}`);
    }
  },
};

/** `urn:pulumi:<stack>::<project>::...` -> production or not (tenant stacks, prod-* hubs). */
export const isProductionUrn = isProdStack;

/** Whether the lock holds this reference (by repository and tag, or by repository and digest). */
export function isLockedRef(ref: string, lock: LoadedLock = IMAGE_LOCK): boolean {
  const byDigest = BY_DIGEST.exec(ref);
  const tagged = byDigest && !/:[^/]*$/.test(byDigest[1]!) ? null : REF.exec(ref);
  if (tagged) return lock.byKey.has(lockKey({ repository: tagged[1]!, tag: tagged[2]! }));
  return byDigest ? lock.lock.images.some((e) => e.repository === byDigest[1]) : false;
}

/** The image references one resource deploys: a RemoteImage, a Container, or a compose file it copies. */
async function imagesOfResource(type: string, props: Record<string, unknown>): Promise<string[]> {
  const refs = new Set<string>();
  if (type === TYPES.dockerRemoteImage && typeof props.name === "string") refs.add(props.name);
  if (type === TYPES.dockerContainer && typeof props.image === "string" && !props.image.startsWith("sha256:")) refs.add(props.image);
  for (const doc of await composeDocuments({ type, props })) {
    for (const spec of Object.values(doc.services)) if (typeof spec.image === "string") refs.add(spec.image);
  }
  return [...refs].sort();
}

interface GateConfig { readonly maxAgeHours?: number; readonly recordFile?: string }

export function productionGateProblem(lock: LoadedLock, now: Date, config: GateConfig = {}): string | undefined {
  const file = config.recordFile ?? defaultRecordPath(lock.file);
  const problem = recordProblem(file, lock, now, config.maxAgeHours ?? DEFAULT_MAX_AGE_HOURS);
  return problem ? `production preview/update without a passing \`letsbe pins verify\` of ${lock.file}: ${problem}` : undefined;
}

export const pinsVerifiedForProduction: ResourceValidationPolicy = {
  name: "pins-verified-for-production",
  description: "A production preview or update (tenant stacks, prod-* hubs) runs only after `letsbe pins verify` passed on this lock.",
  enforcementLevel: "mandatory",
  severity: "high",
  tags: ["supply-chain", "releases"],
  configSchema: {
    properties: {
      maxAgeHours: { type: "number", minimum: 0 },
      recordFile: { type: "string" },
    },
  },
  remediationSteps: "Run `letsbe pins verify` (CI does, before every production preview and update) in the same checkout; it writes the verification record this policy reads.",
  // Judged where images reach a host (compose copies, hub images and containers), and only for images
  // the lock holds: a stack whose every image is a per-stack pin by digest deploys nothing to verify.
  validateResource: async (args: ResourceValidationArgs, report: ReportViolation) => {
    if (!isProductionUrn(args.urn)) return;
    const locked = (await imagesOfResource(args.type, args.props)).filter((ref) => isLockedRef(ref));
    if (locked.length === 0) return;
    if ("secretPaths" in args) {
      args.notApplicable("the offline plan is no preview or update; verified-pins reports unverified pins there");
      return;
    }
    const problem = productionGateProblem(IMAGE_LOCK, new Date(), args.getConfig<GateConfig>());
    if (problem) report(`${problem}; ${args.name} deploys ${locked.join(", ")}`);
  },
};
