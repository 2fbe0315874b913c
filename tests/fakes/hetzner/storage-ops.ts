/**
 * Storage Box subaccounts of the fake (the Hetzner API at api.hetzner.com, served on the same
 * root as the Cloud API: their paths do not overlap). A storage box exists only when a test adds
 * it (the product is ordered, never created by these stacks). Rules kept from the description:
 * `home_directory` by its pattern (the validator), the password policy of the `storage_boxes`
 * tag (12-128 characters from its alphabet, one upper, lower, digit and special each; the breach
 * check is not reproduced), one subaccount action at a time per box (423 `locked`, which
 * terraform-provider-hcloud retries), and access settings defaulting to off when not sent.
 */
import { type ActionResource, type Labels, actionBody } from "./model";
import { type FakeHetzner, type Reply, apiError } from "./server";

export interface AccessSettings {
  reachable_externally: boolean;
  readonly: boolean;
  samba_enabled: boolean;
  ssh_enabled: boolean;
  webdav_enabled: boolean;
}

export interface FakeSubaccount {
  readonly id: number;
  readonly storageBox: number;
  readonly username: string;
  name: string;
  description: string;
  homeDirectory: string;
  /** Kept so a test (or the host tier's SFTP peer) can check what the provider sent; the API never returns it. */
  password: string;
  accessSettings: AccessSettings;
  labels: Labels;
  readonly created: string;
}

export interface FakeStorageBox {
  readonly id: number;
  /** The main account, e.g. `u1337`; subaccounts are `u1337-sub<n>`. */
  readonly username: string;
  /** Host name of a subaccount: default `<username>.your-storagebox.de`; a test may point it at its own SFTP host. */
  readonly subaccountServer: (username: string) => string;
  readonly subaccounts: Map<number, FakeSubaccount>;
  nextSub: number;
}

const PASSWORD_ALPHABET = /^[a-zA-ZÄÖÜäöüß0-9^°!§$%/()=?+#\-.,;:~*@{}_&]+$/;
const SPECIAL = /[^a-zA-ZÄÖÜäöüß0-9]/;

/** The description's Storage Box password policy; undefined when the password keeps it. */
export function passwordProblem(password: string): string | undefined {
  const length = [...password].length;
  if (length < 12 || length > 128) return `password must be 12 to 128 characters long (got ${length})`;
  if (!PASSWORD_ALPHABET.test(password)) return "password holds a character outside the allowed set";
  if (!/[A-ZÄÖÜ]/.test(password) || !/[a-zäöüß]/.test(password) || !/[0-9]/.test(password) || !SPECIAL.test(password)) {
    return "password needs an upper case letter, a lower case letter, a number and a special character";
  }
  return undefined;
}

export function subaccountBody(box: FakeStorageBox, sub: FakeSubaccount): Record<string, unknown> {
  return {
    id: sub.id, storage_box: box.id, username: sub.username, name: sub.name, description: sub.description, home_directory: sub.homeDirectory,
    server: box.subaccountServer(sub.username), access_settings: { ...sub.accessSettings }, labels: { ...sub.labels }, created: sub.created,
  };
}

const DEFAULT_ACCESS: AccessSettings = { reachable_externally: false, readonly: false, samba_enabled: false, ssh_enabled: false, webdav_enabled: false };

type Data = Record<string, unknown>;

function boxResources(box: FakeStorageBox, sub: number): ActionResource[] {
  return [{ id: box.id, type: "storage_box" }, { id: sub, type: "storage_box_subaccount" }];
}

/** Answers the storage box operations; undefined for every other one. */
export function routeStorageBoxes(fake: FakeHetzner, operation: string, segments: readonly string[], data: Data): Reply | undefined {
  if (operation === "get_storage_box_action") {
    const action = fake.actions.get(Number(segments[2]));
    return action && action.resources.some((r) => r.type === "storage_box")
      ? { status: 200, body: { action: actionBody(action) } }
      : apiError(404, "not_found", `action ${segments[2]} not found`);
  }
  if (!["create_subaccount", "get_subaccount", "replace_subaccount", "delete_subaccount", "change_home_directory",
    "reset_storage_box_subaccount_password", "update_storage_box_subaccount_access_settings"].includes(operation)) return undefined;
  const box = fake.storageBoxes.get(Number(segments[1]));
  if (!box) return apiError(404, "not_found", `storage box ${segments[1]} not found`);
  if (operation === "create_subaccount") return createSubaccount(fake, box, data);
  const sub = box.subaccounts.get(Number(segments[3]));
  if (!sub) return apiError(404, "not_found", `storage box subaccount ${segments[3]} not found`);
  if (operation === "get_subaccount") return { status: 200, body: { subaccount: subaccountBody(box, sub) } };
  if (operation === "replace_subaccount") {
    if (typeof data.name === "string") sub.name = data.name;
    if (typeof data.description === "string") sub.description = data.description;
    if (data.labels) sub.labels = { ...(data.labels as Labels) };
    return { status: 200, body: { subaccount: subaccountBody(box, sub) } };
  }
  if (fake.busy("storage_box", box.id)) return apiError(423, "locked", "storage box is locked by a running action");
  const act = (command: string, effect: () => void): Reply => ({ status: 201, body: { action: actionBody(fake.addAction(command, boxResources(box, sub.id), { effect })) } });
  switch (operation) {
    case "delete_subaccount":
      return act("delete_subaccount", () => { box.subaccounts.delete(sub.id); });
    case "change_home_directory":
      return act("change_home_directory", () => { sub.homeDirectory = String(data.home_directory); });
    case "reset_storage_box_subaccount_password": {
      const problem = passwordProblem(String(data.password ?? ""));
      if (problem) return apiError(422, "invalid_input", problem);
      return act("reset_subaccount_password", () => { sub.password = String(data.password); });
    }
    default:
      return act("update_access_settings", () => { sub.accessSettings = { ...sub.accessSettings, ...(data as Partial<AccessSettings>) }; });
  }
}

function createSubaccount(fake: FakeHetzner, box: FakeStorageBox, data: Data): Reply {
  const password = String(data.password ?? "");
  const problem = passwordProblem(password);
  if (problem) return apiError(422, "invalid_input", problem);
  if (fake.busy("storage_box", box.id)) return apiError(423, "locked", "storage box is locked by a running action");
  const id = fake.id();
  const username = `${box.username}-sub${box.nextSub++}`;
  const sub: FakeSubaccount = {
    id, storageBox: box.id, username, name: typeof data.name === "string" ? data.name : username, description: typeof data.description === "string" ? data.description : "",
    homeDirectory: String(data.home_directory), password, accessSettings: { ...DEFAULT_ACCESS, ...((data.access_settings ?? {}) as Partial<AccessSettings>) },
    labels: { ...((data.labels ?? {}) as Labels) }, created: new Date().toISOString(),
  };
  // The subaccount is listed once its action ends, as a created resource would be.
  const action = fake.addAction("create_subaccount", boxResources(box, id), { effect: () => { box.subaccounts.set(id, sub); } });
  return { status: 201, body: { action: actionBody(action), subaccount: { id, storage_box: box.id } } };
}
