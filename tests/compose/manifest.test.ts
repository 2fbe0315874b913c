/**
 * What apply.sh and the daily backup read from the manifest to decide what a release may change
 * and how each service's data is saved (issue 13: a tool upgrade migrated its database, which
 * the snapshot of the tool's own volume did not hold).
 */
import { describe, expect, it } from "vitest";
import { renderCompose } from "../../components/compose/render";
import { STACK_DIR, STACK_SCRIPTS, planComposeStage } from "../../components/compose/stage";
import { DEFAULT_RELEASE, TOOLS, ToolId } from "../../tenants/catalog";

const render = (tools: ToolId[], domain = "acme.eu.letsbe.biz") => renderCompose({ slug: "acme", domain, tools, release: DEFAULT_RELEASE });

describe("the manifest's data-safety fields", () => {
  it("lists the services each one waits for, as the compose file's depends_on does", () => {
    const { manifest } = render(["nextcloud", "chatwoot", "penpot"]);
    expect(manifest.services.nextcloud.dependsOn).toEqual(["nextcloud-db"]);
    expect(manifest.services.chatwoot.dependsOn).toEqual(["chatwoot-db", "chatwoot-redis", "chatwoot-sidekiq"]);
    expect(manifest.services["chatwoot-sidekiq"].dependsOn).toEqual(["chatwoot-db", "chatwoot-redis"]);
    expect(manifest.services.openclaw.dependsOn).toEqual(["safety-wrapper", "secrets-proxy"]);
    expect(manifest.services["penpot-backend"].dependsOn).toEqual(["penpot-db", "penpot-redis"]);
    expect(manifest.services.penpot.dependsOn).toEqual(["penpot-backend", "penpot-db", "penpot-exporter", "penpot-redis"]);
    expect(manifest.services["nextcloud-db"].dependsOn).toEqual([]);
  });

  it("marks exactly the database sidecars, with the engine, database and user to dump", () => {
    const { manifest } = render(["nextcloud", "ghost", "chatwoot"]);
    const databases = Object.entries(manifest.services).filter(([, s]) => s.database).map(([name, s]) => [name, s.database]);
    expect(databases).toEqual([
      ["chatwoot-db", { engine: "postgres", name: "chatwoot", user: "chatwoot" }],
      ["ghost-db", { engine: "mysql", name: "ghost", user: "ghost" }],
      ["nextcloud-db", { engine: "postgres", name: "nextcloud", user: "nextcloud" }],
    ]);
  });

  it("changes a service's config hash when its definition changes and only then", () => {
    const before = render(["nextcloud"]).manifest.services;
    const moved = render(["nextcloud"], "other.eu.letsbe.biz").manifest.services;
    // The domain reaches the tool's environment, not its database's.
    expect(moved.nextcloud.config).not.toBe(before.nextcloud.config);
    expect(moved.nextcloud.image).toBe(before.nextcloud.image);
    expect(moved["nextcloud-db"].config).toBe(before["nextcloud-db"].config);
    const bumped = renderCompose({
      slug: "acme", domain: "acme.eu.letsbe.biz", tools: ["nextcloud"], release: DEFAULT_RELEASE,
      toolCatalog: { ...TOOLS, nextcloud: { ...TOOLS.nextcloud, image: { ...TOOLS.nextcloud.image, tag: "30.0.0-apache" } } },
    }).manifest.services;
    expect(bumped.nextcloud.config).not.toBe(before.nextcloud.config);
    expect(bumped["nextcloud-db"].config).toBe(before["nextcloud-db"].config);
  });
});

describe("the compose stage's scripts", () => {
  it("copies the apply, its data helpers, the daily backup and the restore beside the project", () => {
    const plan = planComposeStage(render(["nextcloud"]));
    expect(STACK_DIR).toBe("/opt/letsbe/stack");
    expect(plan.files.map((f) => f.remotePath)).toEqual([
      "/opt/letsbe/stack/incoming/compose.yaml", "/opt/letsbe/stack/incoming/manifest.json", "/opt/letsbe/stack/incoming/sites.conf",
      "/opt/letsbe/stack/apply.sh", "/opt/letsbe/stack/data.sh", "/opt/letsbe/stack/backup.sh", "/opt/letsbe/stack/restore.sh",
    ]);
    expect(STACK_SCRIPTS).toHaveLength(4);
    for (const file of plan.files.slice(3)) expect(file.content.startsWith("#!/usr/bin/env bash\n"), file.name).toBe(true);
  });

  it("re-runs when a script changes (its content is in the trigger)", () => {
    const rendered = render(["nextcloud"]);
    expect(planComposeStage(rendered).trigger).toBe(planComposeStage(rendered).trigger);
    expect(planComposeStage(rendered, 601).trigger).not.toBe(planComposeStage(rendered).trigger);
  });
});
