/**
 * Snapshot images of the fake: `create_image` (type snapshot), list/get/delete images, `rebuild`
 * from a snapshot, and `list_servers` with a label selector. A server's disk content is a marker
 * (`fake.diskOf`), so a test sees a rebuild put the snapshot's content back. Documented API rules
 * kept: a rebuild of a rebuild-protected server and a delete of a delete-protected image answer
 * 423 `protected`, an action on a busy server 423 `locked`; a create the fake is told to fail ends
 * its action in error and the image is gone (the fake's choice: nothing says what remains).
 */
import { type FakeServer, type Labels, actionBody } from "./model";
import { type FakeHetzner, type Reply, apiError } from "./server";
import { body as serverJson, notFound } from "./server-ops";

export interface FakeImage {
  readonly id: number;
  readonly description: string;
  labels: Labels;
  status: "creating" | "available";
  readonly createdFrom: { id: number; name: string };
  readonly created: string;
  /** The disk content the image holds. */
  readonly disk: string;
  readonly diskSize: number;
}

export function imageJson(image: FakeImage): Record<string, unknown> {
  return {
    id: image.id, type: "snapshot", status: image.status, name: null, description: image.description, image_size: image.status === "available" ? 1.2 : null,
    disk_size: image.diskSize, created: image.created, created_from: { ...image.createdFrom }, bound_to: null, os_flavor: "debian", os_version: null,
    rapid_deploy: false, protection: { delete: false }, deprecated: null, deleted: null, labels: { ...image.labels }, architecture: "x86",
  };
}

/** `k=v`, `k!=v`, `k`, `!k`, comma-separated (the API's label selector, without `in (...)` sets). */
export function matchesSelector(labels: Labels, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector.split(",").map((t) => t.trim()).filter(Boolean).every((term) => {
    const ne = /^([^!=]+)!=(.*)$/.exec(term);
    if (ne) return labels[ne[1]] !== ne[2];
    const eq = /^([^!=]+)==?(.*)$/.exec(term);
    if (eq) return labels[eq[1]] === eq[2];
    return term.startsWith("!") ? !(term.slice(1) in labels) : term in labels;
  });
}

function page<T>(items: T[], query: URLSearchParams): { items: T[]; meta: Record<string, unknown> } {
  const perPage = Number(query.get("per_page") ?? 25);
  const number = Number(query.get("page") ?? 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  return {
    items: items.slice((number - 1) * perPage, number * perPage),
    meta: { pagination: { page: number, per_page: perPage, previous_page: number > 1 ? number - 1 : null, next_page: number < last ? number + 1 : null, last_page: last, total_entries: items.length } },
  };
}

export function listServers(fake: FakeHetzner, query: URLSearchParams): Reply {
  const servers = [...fake.servers.values()].filter((s) => matchesSelector(s.labels, query.get("label_selector") ?? undefined)).sort((a, b) => a.id - b.id);
  const { items, meta } = page(servers, query);
  return { status: 200, body: { servers: items.map((s) => serverJson(fake, s)), meta } };
}

export function listImages(fake: FakeHetzner, query: URLSearchParams): Reply {
  const types = query.getAll("type");
  const images = [...fake.images.values()]
    .filter(() => types.length === 0 || types.includes("snapshot"))
    .filter((i) => matchesSelector(i.labels, query.get("label_selector") ?? undefined))
    .sort((a, b) => a.id - b.id);
  const { items, meta } = page(images, query);
  return { status: 200, body: { images: items.map(imageJson), meta } };
}

export function diskOf(fake: FakeHetzner, server: FakeServer): string {
  return fake.diskOf.get(server.id) ?? `image:${server.image}`;
}

export function createImage(fake: FakeHetzner, server: FakeServer, input: { type?: string; description?: string; labels?: Labels }): Reply {
  if (input.type === "backup") return apiError(422, "invalid_input", "the fake takes snapshots only");
  if (fake.busy("server", server.id)) return apiError(423, "locked", `server ${server.id} is locked by a running action`);
  const id = fake.id();
  const image: FakeImage = {
    id, description: input.description ?? `snapshot of ${server.name}`, labels: { ...(input.labels ?? {}) }, status: "creating",
    createdFrom: { id: server.id, name: server.name }, created: (fake.options.clock?.() ?? new Date()).toISOString(), disk: diskOf(fake, server), diskSize: 40,
  };
  fake.images.set(id, image);
  const failing = fake.imageFailures > 0;
  if (failing) fake.imageFailures--;
  const work = failing ? Promise.reject(new Error("snapshot creation failed")) : undefined;
  const action = fake.addAction("create_image", [{ id: server.id, type: "server" }, { id, type: "image" }], {
    ...(work ? { work } : {}),
    effect: () => { image.status = "available"; },
  });
  if (failing) void work?.catch(() => { fake.images.delete(id); });
  return { status: 201, body: { image: imageJson(image), action: actionBody(action) } };
}

export function rebuild(fake: FakeHetzner, server: FakeServer, input: { image: string }): Reply {
  if (server.protection.rebuild) return apiError(423, "protected", `server ${server.id} is rebuild protected`);
  if (fake.busy("server", server.id)) return apiError(423, "locked", `server ${server.id} is locked by a running action`);
  const image = fake.images.get(Number(input.image));
  if (!image || image.status !== "available") return apiError(404, "not_found", `image ${input.image} not found`);
  const action = fake.addAction("rebuild_server", [{ id: server.id, type: "server" }], { effect: () => { fake.diskOf.set(server.id, image.disk); } });
  return { status: 201, body: { action: actionBody(action), root_password: null } };
}

/** The image routes; undefined for other operations. */
export function routeImages(fake: FakeHetzner, operation: string, id: number, query: URLSearchParams, data: Record<string, unknown>): Reply | undefined {
  switch (operation) {
    case "list_servers": return listServers(fake, query);
    case "list_images": return listImages(fake, query);
    case "get_image":
    case "delete_image": {
      const image = fake.images.get(id);
      if (!image) return notFound("image", id);
      if (operation === "get_image") return { status: 200, body: { image: imageJson(image) } };
      fake.images.delete(id);
      return { status: 204 };
    }
    case "create_image_from_server":
    case "rebuild_server_from_image": {
      const server = fake.servers.get(id);
      if (!server) return notFound("server", id);
      return operation === "create_image_from_server" ? createImage(fake, server, data) : rebuild(fake, server, data as { image: string });
    }
  }
  return undefined;
}
