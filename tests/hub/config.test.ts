import { describe, expect, it } from "vitest";
import { MockRunOptions, runUnderMocks } from "../../automation/plan/mockRuntime";
import { hubRunOptions } from "../../automation/plan/stackConfig";
import { repoRoot } from "../../automation/repoRoot";
import { hubProgram } from "../../stacks/hub/program";
import { InputProblem, InvalidInputError } from "../../tenants/schema";

function options(stack = "prod-eu"): MockRunOptions {
  return hubRunOptions(repoRoot(), stack, { org: "letsbe" });
}

function withConfig(key: string, value: unknown, base = options()): MockRunOptions {
  return { ...base, config: { ...base.config, [`letsbe-hub:${key}`]: value } };
}

function configOf(key: string, base = options()): Record<string, unknown> {
  return structuredClone(base.config?.[`letsbe-hub:${key}`]) as Record<string, unknown>;
}

async function problems(opts: MockRunOptions): Promise<readonly InputProblem[]> {
  try {
    await runUnderMocks(hubProgram, opts);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return (error as InvalidInputError).problems;
  }
  throw new Error("expected the hub program to refuse its config");
}

describe("hub stack config", () => {
  it("refuses the latest tag and a reference without a tag, naming stack, key and field", async () => {
    const images = configOf("images") as Record<string, Record<string, string>>;
    images.hubWorker.current = "code.letsbe.solutions/letsbe/hub-worker:latest";
    images.notifications.current = "code.letsbe.solutions/letsbe/notifications@sha256:0e3d1c7b5a9f8e6d4c2b0a1f3e5d7c9b8a6f4e2d0c1b3a5f7e9d8c6b4a2f0e1d";
    expect(await problems(withConfig("images", images))).toEqual([{
      source: "stack prod-eu config letsbe-hub:images",
      path: "hubWorker.current",
      message: 'must not use the tag "latest"',
    }, {
      source: "stack prod-eu config letsbe-hub:images",
      path: "notifications.current",
      message: "must be repository:tag (its digest from tenants/images.lock.json) or repository:tag@sha256:<64 hex digits>",
    }]);
  });

  it("refuses a previous image equal to the current one or from another repository", async () => {
    const images = configOf("images") as Record<string, Record<string, string>>;
    images.hubWebApi.previous = images.hubWebApi.current;
    images.notifications.previous = images.hubWorker.current;
    const found = await problems(withConfig("images", images));
    expect(found.map((p) => [p.path, p.message])).toEqual([
      ["hubWebApi.previous", "must differ from current; omit it when there is no earlier release"],
      ["notifications.previous", "must be the same repository as current (code.letsbe.solutions/letsbe/notifications)"],
    ]);
  });

  it("requires a pin for every hub service", async () => {
    const images = configOf("images");
    delete images.notifications;
    const found = await problems(withConfig("images", images));
    expect(found[0]).toMatchObject({ source: "stack prod-eu config letsbe-hub:images", path: "notifications" });
  });

  it("refuses environment the component sets itself", async () => {
    const found = await problems(withConfig("environment", { LOG_LEVEL: "info", DATABASE_URL: "postgres://elsewhere" }));
    expect(found).toEqual([{ source: "stack prod-eu config letsbe-hub:environment", path: "DATABASE_URL", message: "is set by the hub component and cannot be overridden" }]);
  });

  it("refuses a Hetzner location outside the stack's region", async () => {
    const found = await problems(withConfig("server", { provider: "hetzner", name: "letsbe-hub-us", location: "nbg1" }, options("prod-us")));
    expect(found).toEqual([{ source: "stack prod-us config letsbe-hub:server", path: "location", message: '"nbg1" is not in region us (ash, hil)' }]);
  });

  it("refuses an unknown server provider", async () => {
    const found = await problems(withConfig("server", { provider: "aws", name: "letsbe-hub-eu" }));
    expect(found[0]).toMatchObject({ source: "stack prod-eu config letsbe-hub:server", path: "provider" });
  });

  it("runs a region's hub on Hetzner when config says so, in the region's first location", async () => {
    const result = await runUnderMocks(hubProgram, withConfig("server", { provider: "hetzner", name: "letsbe-hub-us" }, options("prod-us")));
    const server = result.resources.find((r) => r.type === "hcloud:index/server:Server");
    expect(server?.plainInputs).toMatchObject({ name: "letsbe-hub-us", location: "ash", serverType: "cpx41", image: "debian-13" });
    expect(result.resources.some((r) => r.type.includes("netcup"))).toBe(false);
    expect(result.plainOutputs.hubServerProvider).toBe("hetzner");
  });
});
