/**
 * Stack tags the guardrails read. `letsbe:decommission` (the operation id) marks a stack whose
 * removal was confirmed: its one `up` with protection off lifts the providers' delete protection
 * (Hetzner refuses to delete a protected server or address) before `pulumi destroy`.
 */
export const DECOMMISSION_TAG = "letsbe:decommission";
