/**
 * The Hub's order states and how engine events map onto them. States only move forward: an
 * event that belongs to a later stage first passes through the stages before it, so the Hub
 * always sees the full sequence whichever resources a program version declares.
 */
import type { EngineEvent } from "../workspace/types";

export const ORDER_STATES = ["AWAITING_SERVER", "SERVER_READY", "DNS_READY", "PROVISIONING", "FULFILLED", "FAILED", "DESTROYING", "DESTROYED"] as const;
export type OrderState = (typeof ORDER_STATES)[number];

/** What the operation was doing when an event happened. */
export type OrderStep = "validate" | "provider" | "server" | "dns" | "bootstrap" | "compose" | "outputs" | "destroy" | "program";

/** A progress event as the Hub receives it. Never carries a secret. */
export interface OrderEvent {
  readonly orderId: string;
  readonly slug: string;
  readonly state: OrderState;
  readonly step: OrderStep;
  /** URN of the resource concerned, when there is one. */
  readonly resource?: string;
  readonly message: string;
  /** ISO timestamp. */
  readonly at: string;
}

const PROGRESS: readonly OrderState[] = ["AWAITING_SERVER", "SERVER_READY", "DNS_READY", "PROVISIONING", "FULFILLED"];
const NATURAL_STEP: Readonly<Record<OrderState, OrderStep>> = {
  AWAITING_SERVER: "server", SERVER_READY: "server", DNS_READY: "dns", PROVISIONING: "bootstrap", FULFILLED: "outputs", FAILED: "program", DESTROYING: "destroy", DESTROYED: "destroy",
};

/** The VPS itself: its outputs mean the server is up. */
export function isServerType(type: string): boolean {
  return type === "hcloud:index/server:Server" || /netcup:Server$/.test(type) || type.startsWith("netcup:");
}

/** The step a resource type belongs to. */
export function stepOfType(type: string): OrderStep {
  if (isServerType(type) || type.startsWith("hcloud:")) return "server";
  if (type.startsWith("cloudflare:") || type.startsWith("letsbe:dns:")) return "dns";
  if (type.startsWith("docker:") || /compose/i.test(type)) return "compose";
  if (type.startsWith("command:") || type.startsWith("letsbe:host:") || /bootstrap/i.test(type)) return "bootstrap";
  return "program";
}

/** The step of one resource: its type, refined by the URN (parent types and name) for commands. */
export function stepOfResource(urn: string, type: string): OrderStep {
  const step = stepOfType(type);
  if (step !== "bootstrap") return step;
  const qualified = urn.split("::").slice(2).join("::");
  return /compose/i.test(qualified) ? "compose" : "bootstrap";
}

/**
 * A spoke's entry on the region's hub (`<slug>-host-wg-peer` and its script, components/hub/wireguard.ts):
 * the script is copied to the hub as soon as the run starts, before the tenant has a server, so
 * it says nothing of how far the tenant is and moves no state.
 */
export function isHubSide(urn: string): boolean {
  return /-wg-peer(-script)?$/.test(urn.slice(urn.lastIndexOf("::") + 2));
}

/** The state an operation is in once a step has started. */
function stateWhileIn(step: OrderStep): OrderState | undefined {
  switch (step) {
    case "server": return "AWAITING_SERVER";
    case "dns": return "SERVER_READY";
    case "bootstrap":
    case "compose": return "PROVISIONING";
    default: return undefined;
  }
}

export type EmitFn = (state: OrderState, step: OrderStep, message: string, resource?: string) => void;

/** Follows one operation's engine events and emits order events as the state advances. */
export class OrderStateTracker {
  private index = -1;
  /** `program` until a resource event arrives: a failure before one is the program's own. */
  private lastStep: OrderStep = "program";
  private lastResource: string | undefined;

  constructor(private readonly emit: EmitFn) {}

  get state(): OrderState {
    return this.index < 0 ? "AWAITING_SERVER" : PROGRESS[this.index];
  }

  /** The step and resource of the last resource event: where a failure happened. */
  get position(): { step: OrderStep; resource?: string } {
    return { step: this.lastStep, resource: this.lastResource };
  }

  start(message: string): void {
    this.advanceTo("AWAITING_SERVER", "server", message);
  }

  onEngineEvent(event: EngineEvent): void {
    const pre = event.resourcePreEvent?.metadata;
    const done = event.resOutputsEvent?.metadata;
    const failed = event.resOpFailedEvent?.metadata;
    const meta = pre ?? done ?? failed;
    if (!meta || meta.type === "pulumi:pulumi:Stack" || meta.type.startsWith("pulumi:providers:")) return;
    const step = stepOfResource(meta.urn, meta.type);
    if (step === "program") return;
    this.lastStep = step;
    this.lastResource = meta.urn;
    const during = isHubSide(meta.urn) ? undefined : stateWhileIn(step);
    if (during) this.advanceTo(during, step, `${step} step reached`, meta.urn);
    if (pre) {
      this.emit(this.state, step, `${meta.op} ${meta.type}`, meta.urn);
    } else if (done) {
      if (isServerType(meta.type)) this.advanceTo("SERVER_READY", step, "server is up", meta.urn);
      else this.emit(this.state, step, `${meta.op === "same" ? "unchanged" : "done"}: ${meta.type}`, meta.urn);
    }
  }

  /** The operation succeeded: every remaining state up to FULFILLED. */
  fulfil(message: string): void {
    this.advanceTo("PROVISIONING", "bootstrap", "host and compose stack applied");
    this.advanceTo("FULFILLED", "outputs", message);
  }

  private advanceTo(target: OrderState, step: OrderStep, message: string, resource?: string): void {
    const targetIndex = PROGRESS.indexOf(target);
    while (this.index < targetIndex) {
      this.index += 1;
      const reached = PROGRESS[this.index];
      const isTarget = this.index === targetIndex;
      if (isTarget) this.emit(reached, step, message, resource);
      else this.emit(reached, NATURAL_STEP[reached], `${reached.toLowerCase().replace("_", " ")}`);
    }
  }
}
