import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { runUnderMocks } from "../../automation/plan/mockRuntime";

class Thing extends pulumi.CustomResource {
  constructor(name: string, props: Record<string, unknown>, opts?: pulumi.CustomResourceOptions) {
    super("test:index:Thing", name, props, opts);
  }
}

describe("the mock runtime harness", () => {
  it("records inputs with secrets redacted, and where they were", async () => {
    const result = await runUnderMocks(() => {
      const parent = new Thing("a", { password: pulumi.secret("hunter2"), nested: { token: pulumi.secret("t0k3n"), plain: 1 } });
      new Thing("b", { ref: parent.id, tags: ["x"] }, { parent, protect: true, ignoreChanges: ["tags"] });
      return { shown: "ok", hidden: pulumi.secret("s3cr3t") };
    }, { project: "p", stack: "s" });
    const [a, b] = result.resources.filter((r) => r.type === "test:index:Thing");
    expect(a.inputs).toEqual({ nested: { plain: 1, token: "[secret]" }, password: "[secret]" });
    expect(a.secretPaths.sort()).toEqual(["nested.token", "password"]);
    expect(a.plainInputs).toEqual({ nested: { plain: 1, token: "t0k3n" }, password: "hunter2" });
    expect(b.parent).toBe(a.urn);
    expect(b.protect).toBe(true);
    expect(b.ignoreChanges).toEqual(["tags"]);
    expect(b.dependencies).toEqual([a.urn]);
    expect(result.outputs).toEqual({ shown: "ok", hidden: "[secret]" });
    expect(result.secretOutputs).toEqual(["hidden"]);
    expect(JSON.stringify(result.resources.map((r) => r.inputs))).not.toMatch(/hunter2|t0k3n/);
  });

  it("keeps runs apart: a second stack starts from nothing", async () => {
    await runUnderMocks(() => { new Thing("only-in-first", {}); }, { project: "p", stack: "one" });
    const second = await runUnderMocks(() => { new Thing("x", {}); }, { project: "p", stack: "two" });
    expect(second.resources.map((r) => r.name)).toEqual(["p-two", "x"]);
    expect(second.resources[1].urn).toBe("urn:pulumi:two::p::pulumi:pulumi:Stack$test:index:Thing::x");
  });

  it("reports a failing program and leaves the next run working", async () => {
    await expect(runUnderMocks(() => { throw new Error("broken program"); }, { project: "p", stack: "bad" })).rejects.toThrow("broken program");
    const next = await runUnderMocks(() => ({ fine: true }), { project: "p", stack: "good" });
    expect(next.outputs).toEqual({ fine: true });
  });

  it("lets a caller answer resources itself, feeding real outputs to dependents", async () => {
    const created: string[] = [];
    const result = await runUnderMocks(() => {
      const server = new Thing("server", { size: "s" });
      new Thing("record", { content: server.id.apply((id) => `points-at-${id}`) }, { dependsOn: [server] });
    }, {
      project: "p",
      stack: "answered",
      answer: async (args) => {
        if (args.name !== "server") return undefined;
        await new Promise((resolve) => setTimeout(resolve, 20));
        created.push(args.name);
        return { id: "srv-42", state: { ...args.inputs, address: "192.0.2.1" } };
      },
    });
    expect(created).toEqual(["server"]);
    const record = result.resources.find((r) => r.name === "record");
    expect(record?.plainInputs.content).toBe("points-at-srv-42");
  });
});
