export * from "./tenant/tenant";
export * from "./vps";
