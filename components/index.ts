export * from "./hub/hub";
export * from "./tenant/tenant";
export * from "./vps";
