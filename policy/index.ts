/**
 * The CrossGuard pack. The Pulumi CLI runs this module in its own process
 * (`pulumi preview --policy-pack policy`, after `npm run build`): constructing the PolicyPack
 * serves the analyzer over gRPC and prints its port.
 */
import { PolicyPack } from "@pulumi/policy";
import { POLICY_PACK_NAME, policies } from "./policies";

new PolicyPack(POLICY_PACK_NAME, {
  description: "LetsBe guardrails: one VPS per tenant, pinned artifacts, no public SSH, region affinity, secrets kept secret.",
  enforcementLevel: "mandatory",
  policies,
});
