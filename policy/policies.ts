/**
 * The LetsBe guardrails as plain values: the pack (index.ts) serves them to the Pulumi CLI,
 * and the offline plan and the tests call them directly. Importing this module starts nothing.
 */
import { Policies } from "@pulumi/policy";
import { dnsSanity } from "./dnsSanity";
import { domainsDisjoint } from "./domainsDisjoint";
import { internalsInternal } from "./internalsInternal";
import { noPublicSsh } from "./noPublicSsh";
import { oneVpsPerTenant } from "./oneVpsPerTenant";
import { pinnedArtifacts } from "./pinnedArtifacts";
import { regionAffinity } from "./regionAffinity";
import { secretsAreSecret } from "./secretsAreSecret";
import { statefulProtected } from "./statefulProtected";
import { toolsFitTier } from "./toolsFitTier";
import { pinsVerifiedForProduction, verifiedPins } from "./verifiedPins";

export const POLICY_PACK_NAME = "letsbe-guardrails";

export const policies: Policies = [
  pinnedArtifacts,
  oneVpsPerTenant,
  noPublicSsh,
  regionAffinity,
  secretsAreSecret,
  toolsFitTier,
  statefulProtected,
  dnsSanity,
  domainsDisjoint,
  internalsInternal,
  verifiedPins,
  pinsVerifiedForProduction,
];

export {
  dnsSanity, domainsDisjoint, internalsInternal, noPublicSsh, oneVpsPerTenant, pinnedArtifacts, regionAffinity,
  pinsVerifiedForProduction, secretsAreSecret, statefulProtected, toolsFitTier, verifiedPins,
};
