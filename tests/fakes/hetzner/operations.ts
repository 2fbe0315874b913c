/** The Hetzner Cloud operations (spec operationIds) the fake serves; every other request is a violation. */
export const SERVED_OPERATIONS: readonly string[] = [
  "get_action",
  "create_server", "get_server", "replace_server", "delete_server",
  "get_action_for_server", "power_on_server", "power_off_server", "shutdown_server", "change_server_protection", "change_type_of_server",
  "create_primary_ip", "get_primary_ip", "replace_primary_ip", "delete_primary_ip",
  "assign_primary_ip_to_resource", "unassign_primary_ip_from_resource", "change_primary_ip_protection",
  "create_firewall", "get_firewall", "replace_firewall", "delete_firewall",
  "set_rules", "apply_to_resources", "remove_from_resources",
  "create_ssh_key", "get_ssh_key", "delete_ssh_key",
  "list_servers", "create_image_from_server", "rebuild_server_from_image", "list_images", "get_image", "delete_image",
  // Storage Box subaccounts (the Hetzner API, api.hetzner.com; served on the same fake): ./storage-ops.ts
  "get_storage_box_action", "create_subaccount", "get_subaccount", "replace_subaccount", "delete_subaccount",
  "change_home_directory", "reset_storage_box_subaccount_password", "update_storage_box_subaccount_access_settings",
];
