import { ResourceValidationArgs, ResourceValidationPolicy, ReportViolation } from "@pulumi/policy";
import { CatalogImage, DEFAULT_RELEASE, SIDECAR_IMAGES, TOOLS, imageRef } from "../tenants/catalog";
import { composeDocuments } from "./lib/compose";
import { imagePinProblem } from "./lib/images";
import { TYPES } from "./lib/resources";
import { isUnverifiedLockedRef } from "./verifiedPins";

/**
 * Catalog images that are not pinned: every tool, sidecar and release pin is checked. An image
 * the lock marks unverified without a digest is `verified-pins`' finding (advisory in the plan)
 * and `pins-verified-for-production`'s (mandatory before production), not this policy's.
 */
export function catalogPinProblems(
  images: Readonly<Record<string, CatalogImage>> = {
    ...Object.fromEntries(Object.entries(TOOLS).map(([id, tool]) => [`tool ${id}`, tool.image])),
    ...Object.fromEntries(Object.entries(SIDECAR_IMAGES).map(([id, pin]) => [`sidecar ${id}`, pin])),
    "release openclaw": DEFAULT_RELEASE.openclaw,
    "release safetyWrapper": DEFAULT_RELEASE.safetyWrapper,
    "release secretsProxy": DEFAULT_RELEASE.secretsProxy,
  },
): string[] {
  return Object.entries(images).flatMap(([where, pin]) => {
    const ref = imageRef(pin);
    const problem = isUnverifiedLockedRef(ref) ? undefined : imagePinProblem(ref);
    return problem ? [`catalog ${where}: ${problem}`] : [];
  });
}

async function validate(args: ResourceValidationArgs, report: ReportViolation): Promise<void> {
  switch (args.type) {
    case TYPES.dockerContainer:
    case TYPES.dockerRemoteImage: {
      const ref = args.type === TYPES.dockerContainer ? args.props.image : args.props.name;
      // As for compose services: a tag the lock holds unverified without a digest is verified-pins' finding.
      const problem = typeof ref !== "string" ? "has no image reference" : isUnverifiedLockedRef(ref) ? undefined : imagePinProblem(ref);
      if (problem) report(`${args.type === TYPES.dockerContainer ? "container" : "remote image"} "${args.name}": ${problem}`);
      return;
    }
    case TYPES.tenant:
      // The Tenant renders its compose file from the catalog and the release pins.
      for (const problem of catalogPinProblems()) report(problem);
      for (const [key, pin] of Object.entries((args.props.release ?? {}) as Record<string, unknown>)) {
        if (pin === null || typeof pin !== "object") continue;
        const ref = imageRef(pin as CatalogImage);
        const problem = isUnverifiedLockedRef(ref) ? undefined : imagePinProblem(ref);
        if (problem) report(`release pin ${key}: ${problem}`);
      }
      return;
    default:
      for (const doc of await composeDocuments(args)) {
        for (const [service, spec] of Object.entries(doc.services)) {
          const problem = typeof spec.image !== "string" ? "has no image"
            : isUnverifiedLockedRef(spec.image) ? undefined : imagePinProblem(spec.image);
          if (problem) report(`compose service "${service}" (${doc.path}): ${problem}`);
        }
      }
  }
}

export const pinnedArtifacts: ResourceValidationPolicy = {
  name: "pinned-artifacts",
  description: "Every container image (docker resources, the rendered compose file, the catalog) is pinned by digest; no \"latest\".",
  enforcementLevel: "mandatory",
  severity: "high",
  tags: ["supply-chain", "releases"],
  remediationSteps: "Reference images as repository:tag@sha256:<digest>; move pins through tenants/catalog.ts or the release config.",
  validateResource: validate,
};
