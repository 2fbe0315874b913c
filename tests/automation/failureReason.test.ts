/**
 * Failure reasons and secrets: what the flow lets out (outcome reasons, events) is scrubbed before it
 * is cut or folded; the scrubber takes a multi-line key line by line and a token cut short by its
 * prefix; the engine's diagnostics, not the CommandError's text, make the reason.
 */
import { CommandError, EngineEvent } from "@pulumi/pulumi/automation";
import { describe, expect, it } from "vitest";
import { REASON_LIMIT, reasonOf } from "../../automation/orders/errors";
import { OrderFlow } from "../../automation/orders/flow";
import { parseOrder } from "../../automation/orders/schema";
import { SECRET_MARK, Scrubber, secretValuesOf } from "../../automation/orders/scrub";
import { OrderEvent } from "../../automation/orders/states";
import { MemoryTenantStore } from "../../automation/orders/store";
import { EngineDiagnostics, EngineOperationError } from "../../automation/workspace/diagnostics";
import { OperationResult, TenantWorkspace } from "../../automation/workspace/types";
import { FAKE_PRIVATE_KEY } from "../fixtures/keys";
import { ORG, SECRETS, orderInput } from "./support";

const TOKEN = SECRETS["letsbe-tenant:registrationToken"];
const KEY_LINE = "S3CR3T-not-a-key";

/** Every run of six characters of a secret: any of them in a text is a leak. */
function leaked(text: string, secret: string): string[] {
  const parts = new Set<string>();
  for (const line of secret.split("\n").map((l) => l.trim()).filter((l) => l.length >= 6 && !l.startsWith("-----"))) {
    for (let i = 0; i + 6 <= line.length; i += 1) if (text.includes(line.slice(i, i + 6))) parts.add(line.slice(i, i + 6));
  }
  return [...parts];
}

/** A workspace whose every operation fails with the given error. */
class FailingWorkspace implements TenantWorkspace {
  readonly kind = "failing";
  constructor(private readonly error: () => unknown) {}
  up(): Promise<OperationResult> {
    return Promise.reject(this.error());
  }
  preview(): Promise<OperationResult> {
    return Promise.reject(this.error());
  }
  destroy(): Promise<OperationResult> {
    return Promise.reject(this.error());
  }
  refresh(): Promise<OperationResult> {
    return Promise.reject(this.error());
  }
}

async function failedProvision(error: () => unknown) {
  const events: OrderEvent[] = [];
  const flow = new OrderFlow({ workspace: new FailingWorkspace(error), store: new MemoryTenantStore(), org: ORG, secrets: SECRETS, attempts: 1 });
  const outcome = await flow.provision(parseOrder(orderInput("leak-one")), (e) => events.push(e));
  return { outcome, text: `${outcome.reason ?? ""}\n${events.map((e) => e.message).join("\n")}` };
}

describe("failure reasons leave the flow scrubbed", () => {
  it("a token the cut of a long reason falls inside leaves no prefix", async () => {
    // The token starts 20 characters before the reason's limit: a cut there keeps its first 20.
    const message = `${"x".repeat(REASON_LIMIT - 20)} token ${TOKEN} rejected`;
    const { outcome, text } = await failedProvision(() => new Error(message));
    expect(outcome.ok).toBe(false);
    expect(outcome.reason?.length).toBeLessThanOrEqual(REASON_LIMIT + 1);
    expect(leaked(text, TOKEN)).toEqual([]);
  });

  it("a multi-line key quoted line by line, then folded into one line, leaves none of its lines", async () => {
    const quoted = FAKE_PRIVATE_KEY.trim().split("\n").map((line) => `  > ${line}`).join("\n");
    const { outcome, text } = await failedProvision(() => new Error(`the host refused the key:\n${quoted}\nend`));
    expect(outcome.reason).toMatch(/the host refused the key: .*end$/);
    expect(text).not.toContain(KEY_LINE);
    expect(leaked(text, FAKE_PRIVATE_KEY)).toEqual([]);
  });

  it("a token a provider already cut short (ending in an ellipsis) loses its prefix", async () => {
    const { text } = await failedProvision(() => new Error(`sign-up refused for token ${TOKEN.slice(0, 20)}… (try again)`));
    expect(text).toContain(`token ${SECRET_MARK}… (try again)`);
    expect(leaked(text, TOKEN)).toEqual([]);
  });

  it("takes the failed resource and the engine's diagnostic as the reason and its step, not the CommandError's text", async () => {
    const urn = "urn:pulumi:leak-one::letsbe-tenant::letsbe:host:Host$command:remote:Command::leak-one-bootstrap";
    const diagnostics = new EngineDiagnostics();
    diagnostics.onEvent(engineEvent({ resourcePreEvent: { metadata: meta(urn, "command:remote:Command") } }));
    diagnostics.onEvent(engineEvent({ diagnosticEvent: { urn, prefix: "error: ", message: `error: Process exited with status 1: token ${TOKEN} refused\n`, color: "never", severity: "error" } }));
    diagnostics.onEvent(engineEvent({ resOpFailedEvent: { metadata: meta(urn, "command:remote:Command"), status: 0, steps: 1 } }));
    diagnostics.onEvent(engineEvent({ diagnosticEvent: { prefix: "error: ", message: "update failed\n", color: "never", severity: "error" } }));
    const cliError = Object.assign(Object.create(CommandError.prototype) as CommandError, { message: "code: 255\n stdout: Updating (leak-one):\n ..." });
    const explained = diagnostics.explain("up", "leak-one", cliError);
    expect(explained).toBeInstanceOf(EngineOperationError);

    const { outcome } = await failedProvision(() => explained);
    expect(outcome.failedStep).toBe("bootstrap");
    expect(outcome.reason).toBe(`create of command:remote:Command "leak-one-bootstrap" failed: Process exited with status 1: token ${SECRET_MARK} refused`);
  });

  it("takes the CLI's own error lines when the engine sent no event (it stopped before the update began)", () => {
    const cliError = Object.assign(Object.create(CommandError.prototype) as CommandError, {
      message: "code: 255\n stdout: \n stderr: Command failed with exit code 255: pulumi preview --stack one\nerror: incorrect passphrase\n\n err?: Error: Command failed\nerror: incorrect passphrase\n",
    });
    const explained = new EngineDiagnostics().explain("preview", "one", cliError);
    expect(explained).toBeInstanceOf(EngineOperationError);
    expect((explained as Error).message).toBe("preview of stack one failed: incorrect passphrase");
  });

  it("leaves a failure the engine did not explain as it is", () => {
    const plain = new Error("no such hub stack");
    expect(new EngineDiagnostics().explain("up", "x", plain)).toBe(plain);
  });
});

describe("the scrubber", () => {
  const scrubber = new Scrubber([TOKEN, FAKE_PRIVATE_KEY, "abc"]);

  it("replaces whole values, their JSON-escaped form and each line of a multi-line one", () => {
    expect(scrubber.scrub(`a ${TOKEN} b`)).toBe(`a ${SECRET_MARK} b`);
    expect(scrubber.scrub(JSON.stringify({ key: FAKE_PRIVATE_KEY }))).toBe(`{"key":"${SECRET_MARK}"}`);
    expect(scrubber.scrub(`key line: ${KEY_LINE}.`)).toBe(`key line: ${SECRET_MARK}.`);
  });

  it("replaces the rest of a secret cut at the start of a text", () => {
    expect(scrubber.scrub(`${TOKEN.slice(8)} was sent`)).toBe(`${SECRET_MARK} was sent`);
  });

  it("leaves ordinary text, and values too short to be secrets, alone", () => {
    const text = "create of hcloud:index/server:Server \"acme-server\" failed: abc quota exceeded";
    expect(scrubber.scrub(text)).toBe(text);
  });

  it("reasonOf folds and cuts only what it has scrubbed", () => {
    expect(reasonOf(new Error(`first\n\n  second ${TOKEN}`), scrubber)).toBe(`first second ${SECRET_MARK}`);
  });

  it("finds the secret values of an environment by name, not URLs that name where a token is fetched", () => {
    const values = secretValuesOf({ LETSBE_API_TOKEN: "api-token-value-1234", NETCUP_TOKEN_URL: "https://id.example/token", PULUMI_CONFIG_PASSPHRASE: "pass-phrase-5678", HOME: "/root" });
    expect(values.sort()).toEqual(["api-token-value-1234", "pass-phrase-5678"]);
  });
});

function meta(urn: string, type: string) {
  return { op: "create" as const, urn, type, provider: "" };
}

function engineEvent(fields: Partial<EngineEvent>): EngineEvent {
  return { sequence: 0, timestamp: 0, ...fields } as EngineEvent;
}
