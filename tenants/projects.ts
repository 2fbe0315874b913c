/** The two Pulumi projects of the estate; stack contracts, programs and guardrails name them from here. */
export const HUB_PROJECT = "letsbe-hub";
export const TENANT_PROJECT = "letsbe-tenant";
