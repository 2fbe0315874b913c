/**
 * What `tenant up` prints: a line per state change and one per finished resource, named by
 * its step and stage with the time it took (`acme  bootstrap  4/11 firewall  3.1 s`), instead
 * of a create and a done line for every resource. File uploads and unchanged resources are
 * left out; the closing summary counts them.
 */
import { BASE_STAGES } from "../../components/host/stages";
import { OrderEvent } from "../orders/states";

/** One order event as a line: slug, state, step, message and the resource it is about. */
export function formatEvent(event: OrderEvent): string {
  // The resource's own name (the URN's last part) says which command or record a line is about.
  const name = event.resource ? event.resource.slice(event.resource.lastIndexOf("::") + 2) : "";
  const shown = name && !event.message.includes(name) ? `${event.message} (${name})` : event.message;
  return `${event.slug}  ${event.state.padEnd(15)} ${event.step.padEnd(9)} ${shown}`;
}

const PRE_OP = /^(create|update|delete|replace|create-replacement|delete-replaced|read|import|refresh) /;

export class StageLines {
  private readonly started = new Map<string, number>();
  private lastState = "";
  /** The stage now running, for a progress bar's label. */
  label = "";

  constructor(private readonly slug: string, private readonly now: () => number = Date.now) {}

  /** The line an event prints, if any. */
  line(event: OrderEvent): string | undefined {
    const stateChanged = event.state !== this.lastState;
    this.lastState = event.state;
    const urn = event.resource;
    if (urn && PRE_OP.test(event.message)) {
      this.started.set(urn, this.now());
      this.label = `${event.step} ${this.stageOf(urn, event.step)}`.trim();
      return stateChanged ? formatEvent(event) : undefined;
    }
    const done = urn && (event.message.startsWith("done: ") || event.message === "server is up");
    if (done && !stateChanged) {
      if (event.message.includes(":CopyToRemote")) return undefined;
      const ms = this.now() - (this.started.get(urn) ?? this.now());
      return `${this.slug}  ${event.step.padEnd(9)} ${this.stageOf(urn, event.step).padEnd(16)} ${(ms / 1000).toFixed(1)} s`;
    }
    if (urn && event.message.startsWith("unchanged: ") && !stateChanged) return undefined;
    return formatEvent(event);
  }

  /** Bootstrap's `acme-host-firewall` -> `5/11 firewall`; other resources by their name without the slug. */
  private stageOf(urn: string, step: string): string {
    const name = urn.slice(urn.lastIndexOf("::") + 2);
    const short = name.startsWith(`${this.slug}-`) ? name.slice(this.slug.length + 1) : name;
    const stage = short.startsWith("host-") ? short.slice("host-".length) : short;
    const index = step === "bootstrap" ? (BASE_STAGES as readonly string[]).indexOf(stage) : -1;
    return index >= 0 ? `${index + 1}/${BASE_STAGES.length} ${stage}` : stage;
  }
}
