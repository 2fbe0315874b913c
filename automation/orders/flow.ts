/**
 * The order flow the Hub calls: provision, update, preview and destroy a tenant stack through
 * a TenantWorkspace, one operation per tenant at a time and at most K at once, streaming
 * progress as order events. Running an order again converges: the resolved provider is pinned
 * in the tenant's record and config before the first `up`, so a retry never re-decides it.
 */
import { backOff } from "exponential-backoff";
import { isNetcupPoolEmpty } from "../../components/netcup/errors";
import { TENANT_PROJECT } from "../../contracts/hub";
import { TENANT_SECRET_CONFIG } from "../../contracts/secrets";
import { ReleaseOverride } from "../../tenants/release";
import { InvalidInputError, TenantSpec } from "../../tenants/schema";
import { tenantStackConfig } from "../../contracts/tenantStack";
import { OperationResult, OperationTimeoutError, StackConfig, StackOperation, TenantWorkspace } from "../workspace/types";
import { EngineOperationError } from "../workspace/diagnostics";
import { ConfirmationError, OperationAbortedError, SlugConflictError, UnknownTenantError, isRetryable, reasonOf } from "./errors";
import { KeyedLock, Semaphore, Slots } from "./limits";
import { ServerPool, resolveProvider } from "./provider";
import { Order, admissionProblems, fleetDomainProblems, repoTenantBaseDomain } from "./schema";
import { Scrubber } from "./scrub";
import { OrderEvent, OrderState, OrderStateTracker, OrderStep, stepOfResource } from "./states";
import { TenantRecord, TenantStore } from "./store";
import { WireguardNetworkSource, repoWireguardNetwork, withTunnelAddress } from "./tunnel";

/**
 * Secret stack config every tenant stack gets, by full key (`letsbe-tenant:provisioningPrivateKey`,
 * `hcloud:token`, ...; the list is contracts/secrets.ts). Held in memory, written only as Pulumi secrets.
 */
export type TenantSecrets = Readonly<Record<string, string>>;

const PER_STACK_SECRETS: ReadonlySet<string> = new Set(TENANT_SECRET_CONFIG.filter((s) => s.perStack).map((s) => s.key));

export interface OrderFlowOptions {
  readonly workspace: TenantWorkspace;
  readonly store: TenantStore;
  /** Pulumi organization owning the hub and tenant stacks. */
  readonly org: string;
  readonly secrets: TenantSecrets;
  /** Netcup pool for provider `auto`; without one, `auto` means Hetzner. */
  readonly pool?: ServerPool;
  /** Operations running at once across tenants (K). Default - 4. */
  readonly concurrency?: number;
  /** Time limit of one attempt, ms; the operation is cancelled past it. Default - 1 800 000 (30 min). */
  readonly timeoutMs?: number;
  /** Attempts for retryable failures (lock conflicts, timeouts, network). Default - 4. */
  readonly attempts?: number;
  /** First backoff delay, ms; doubles per attempt with full jitter. Default - 2000. */
  readonly retryDelayMs?: number;
  /** Longest backoff delay, ms. Default - 60 000. */
  readonly maxRetryDelayMs?: number;
  /** A region's platform domain, for the hub rules checked on admission. Default - the hub's committed stack config. */
  readonly tenantBaseDomain?: (region: string) => string | undefined;
  /** A region's WireGuard network, from which new tenants get tunnel addresses. Default - the hub's committed stack config. */
  readonly wireguardNetwork?: WireguardNetworkSource;
}

export type OperationKind = "provision" | "update" | "preview" | "destroy";

export type EventListener = (event: OrderEvent) => void;

export interface OperationOutcome {
  readonly kind: OperationKind;
  readonly slug: string;
  readonly orderId: string;
  readonly ok: boolean;
  readonly state: OrderState;
  /** Step that failed, with the reason (secrets scrubbed). */
  readonly failedStep?: OrderStep;
  readonly reason?: string;
  /** Non-secret stack outputs. */
  readonly outputs: Record<string, unknown>;
  readonly changes: Record<string, number>;
  readonly attempts: number;
}

export class OrderFlow {
  private readonly lock = new KeyedLock();
  /** Admission's fleet check and the record it admits run one at a time across tenants (no two overlapping domains get in). */
  private readonly fleet = new KeyedLock();
  private readonly slots: Semaphore;
  /** Every secret value the flow holds: one scrubber for all it lets out. */
  readonly scrubber: Scrubber;
  private readonly stopping = new AbortController();

  constructor(private readonly options: OrderFlowOptions) {
    this.slots = new Semaphore(options.concurrency ?? 4);
    this.scrubber = new Scrubber(Object.values(options.secrets));
  }

  get concurrency(): number {
    return this.slots.limit;
  }

  /** Checks an order against the tenants already known, without running anything. */
  async admit(order: Order): Promise<void> {
    const existing = await this.options.store.get(order.spec.slug);
    if (existing && existing.status === "active" && existing.orderId !== order.orderId) {
      throw new SlugConflictError(order.spec.slug, order.orderId, existing.orderId);
    }
    // The tenant program's hub rules, checked before anything is recorded for the slug.
    const problems = [
      ...admissionProblems(order, this.options.tenantBaseDomain ?? repoTenantBaseDomain),
      ...fleetDomainProblems(order, await this.options.store.list()),
    ];
    if (problems.length > 0) throw new InvalidInputError(problems);
  }

  /**
   * Admits the order again and records it, under the fleet lock: a racing order sees this record. A new
   * tenant in a region with a WireGuard network gets its tunnel address here, from the same fleet view.
   */
  private admitRecord(order: Order, record: TenantRecord, isNew = false): Promise<TenantRecord> {
    return this.fleet.run("domains", async () => {
      await this.admit(order);
      const network = isNew ? (this.options.wireguardNetwork ?? repoWireguardNetwork)(record.spec.region) : undefined;
      const recorded = network ? withTunnelAddress(record, await this.options.store.list(), network, `order ${order.orderId}`) : record;
      await this.options.store.put(recorded);
      return recorded;
    });
  }

  /** Creates (or converges) the tenant of an order. */
  provision(order: Order, listener?: EventListener): Promise<OperationOutcome> {
    const slug = order.spec.slug;
    return this.exclusive(slug, async () => {
      const emit = this.emitter(order.orderId, slug, listener);
      emit("AWAITING_SERVER", "validate", `order accepted: ${order.spec.tier} tier in ${order.spec.region}, ${order.spec.tools.length} tool(s)`);
      await this.admit(order);
      let record = await this.options.store.get(slug);
      if (!record || record.status !== "active") {
        let decision;
        try {
          decision = await resolveProvider(order.spec, order.providerChoice, order.allowOverflow, this.options.pool, `order ${order.orderId}`);
        } catch (error) {
          return this.failed("provision", order.orderId, slug, "provider", error, emit, 0);
        }
        emit("AWAITING_SERVER", "provider", `provider ${decision.provider}: ${decision.reason}`);
        record = {
          slug, orderId: order.orderId, spec: { ...order.spec, provider: decision.provider },
          ...(order.release ? { release: order.release } : {}), status: "active", updatedAt: new Date().toISOString(),
        };
        // Pinned before the first `up`: a retry reuses this decision (and tunnel address) instead of asking again.
        record = await this.admitRecord(order, record, true);
      } else {
        // The order's spec is applied (a corrected resubmission, an edited tier or tool list); the provider
        // stays pinned, and so do the release pins unless the order brings its own (a CI run must not revert a rollout).
        const spec: TenantSpec = { ...order.spec, provider: record.spec.provider };
        const release = order.release ?? record.release;
        if (JSON.stringify(spec) !== JSON.stringify(record.spec) || JSON.stringify(release) !== JSON.stringify(record.release)) {
          record = { ...record, spec, ...(release ? { release } : {}), updatedAt: new Date().toISOString() };
          record = await this.admitRecord(order, record);
        }
        emit("AWAITING_SERVER", "provider", `provider ${record.spec.provider} (pinned by an earlier run of this order)`);
      }
      const overflow = order.providerChoice === "auto" && order.allowOverflow;
      return this.apply("provision", order.orderId, record, emit, overflow);
    });
  }

  /**
   * Moves a tenant's release pins and applies them (rollouts); `release` replaces the old pins or, as a
   * function, derives them from the current ones under the tenant's lock (a rollout changes one channel).
   * `slots`: the caller's own pool instead of the flow's K (a rollout's concurrency is its own).
   */
  update(
    slug: string, release: ReleaseOverride | undefined | ((current: ReleaseOverride | undefined) => ReleaseOverride | undefined),
    operationId: string, listener?: EventListener, slots?: Slots,
  ): Promise<OperationOutcome> {
    return this.exclusive(slug, async () => {
      const record = await this.active(slug);
      const emit = this.emitter(operationId, slug, listener);
      const next = typeof release === "function" ? release(record.release) : release;
      const moved: TenantRecord = { ...record, ...(next ? { release: next } : { release: undefined }), updatedAt: new Date().toISOString() };
      await this.options.store.put(moved);
      return this.apply("update", operationId, moved, emit);
    }, slots);
  }

  /** What an `up` would change, without changing anything; `spec` (a tenant not created yet, or an edited one) is previewed. */
  preview(slug: string, operationId: string, listener?: EventListener, spec?: TenantSpec): Promise<OperationOutcome> {
    return this.exclusive(slug, async () => {
      const existing = await this.options.store.get(slug);
      // A given spec is what is previewed (an edited spec in a pull request), with an existing tenant's provider pin.
      const record: TenantRecord = existing?.status === "active" ? (spec ? { ...existing, spec: { ...spec, provider: existing.spec.provider } } : existing)
        : spec ? { slug, orderId: operationId, spec, status: "active", updatedAt: new Date().toISOString() }
        : await this.active(slug);
      return this.apply("preview", operationId, record, this.emitter(operationId, slug, listener));
    });
  }

  /** Destroys a tenant's stack; `confirmation` must repeat the slug. */
  async destroy(slug: string, confirmation: string, operationId: string, listener?: EventListener): Promise<OperationOutcome> {
    if (confirmation !== slug) throw new ConfirmationError(slug);
    return this.exclusive(slug, async () => {
      const record = await this.active(slug);
      const emit = this.emitter(operationId, slug, listener);
      emit("DESTROYING", "destroy", `destroying tenant ${slug} (${record.spec.provider})`);
      // Tenant resources are protected in the state and at the providers (Hetzner refuses to delete a
      // protected server or address): an `up` with protection off, tagged as this decommission, comes first.
      const unprotectConfig = { [`${TENANT_PROJECT}:protect`]: { value: "false" } };
      const unprotect = await this.attempt(slug, record, "up", emit, undefined, unprotectConfig, operationId);
      if (!unprotect.ok) return this.failed("destroy", operationId, slug, "destroy", unprotect.error, emit, unprotect.attempts);
      emit("DESTROYING", "destroy", "protection lifted");
      const run = await this.attempt(slug, record, "destroy", emit, undefined, unprotectConfig, operationId);
      if (!run.ok) return this.failed("destroy", operationId, slug, "destroy", run.error, emit, run.attempts);
      await this.options.store.put({ ...record, status: "destroyed", updatedAt: new Date().toISOString() });
      emit("DESTROYED", "destroy", `tenant ${slug} destroyed`);
      return { kind: "destroy", slug, orderId: operationId, ok: true, state: "DESTROYED", outputs: {}, changes: run.result.changes, attempts: unprotect.attempts + run.attempts };
    });
  }

  /** The stack config the flow writes: the same keys the offline plan reads. */
  stackConfig(record: TenantRecord): StackConfig {
    const plain = tenantStackConfig(record.spec, { org: this.options.org }, record.release, record.tunnelAddress);
    const config: Record<string, { value: string; secret?: boolean }> = {};
    for (const [key, value] of Object.entries(plain)) config[key] = { value: typeof value === "string" ? value : JSON.stringify(value) };
    // A per-stack secret (issued for one tenant) is never copied from the flow's fleet-wide set.
    for (const [key, value] of Object.entries(this.options.secrets)) if (!PER_STACK_SECRETS.has(key)) config[key] = { value, secret: true };
    return config;
  }

  private async apply(
    kind: "provision" | "update" | "preview", operationId: string, record: TenantRecord, emit: Emit, overflow = false, tracked?: OrderStateTracker,
  ): Promise<OperationOutcome> {
    const tracker = tracked ?? new OrderStateTracker((state, step, message, resource) => emit(state, step, message, resource));
    if (!tracked) tracker.start(kind === "preview" ? "preview started" : `${kind} started on the ${this.options.workspace.kind} workspace`);
    const run = await this.attempt(record.slug, record, kind === "preview" ? "preview" : "up", emit, tracker);
    if (!run.ok && overflow && record.spec.provider === "netcup" && isNetcupPoolEmpty(run.error)) {
      // The pool emptied between the decision and the claim: the overflow takes the order.
      const hetzner: TenantRecord = { ...record, spec: { ...record.spec, provider: "hetzner" }, updatedAt: new Date().toISOString() };
      await this.options.store.put(hetzner);
      emit(tracker.state, "provider", "Netcup pool emptied before the claim: provider hetzner (overflow)");
      return this.apply(kind, operationId, hetzner, emit, false, tracker);
    }
    if (!run.ok) {
      // The engine names the resource whose step failed; the tracker's last resource is the fallback.
      const failedResource = run.error instanceof EngineOperationError ? run.error.resource : undefined;
      const position = failedResource ? { step: stepOfResource(failedResource.urn, failedResource.type), resource: failedResource.urn } : tracker.position;
      const step = run.error instanceof InvalidInputError ? "validate" : position.step;
      return this.failed(kind, operationId, record.slug, step, run.error, emit, run.attempts, position.resource);
    }
    if (kind !== "preview" && !record.provisionedAt) {
      const current = await this.options.store.get(record.slug);
      if (current) await this.options.store.put({ ...current, provisionedAt: new Date().toISOString() });
    }
    const outputs = publicOutputs(run.result);
    const shown = Object.entries(outputs).filter(([, v]) => typeof v === "string").map(([k, v]) => `${k}=${String(v)}`).join(", ");
    tracker.fulfil(kind === "preview" ? `preview: ${formatChanges(run.result.changes)}` : `tenant ready: ${shown}`);
    return { kind, slug: record.slug, orderId: operationId, ok: true, state: "FULFILLED", outputs, changes: run.result.changes, attempts: run.attempts };
  }

  /** Runs one workspace operation with a time limit per attempt and bounded backoff between attempts. */
  private async attempt(
    slug: string,
    record: TenantRecord,
    op: "up" | "preview" | "destroy",
    emit: Emit,
    tracker: OrderStateTracker | undefined,
    extraConfig: StackConfig = {},
    decommission?: string,
  ): Promise<{ ok: true; result: OperationResult; attempts: number } | { ok: false; error: unknown; attempts: number }> {
    const config = { ...this.stackConfig(record), ...extraConfig };
    const timeoutMs = this.options.timeoutMs ?? 1_800_000;
    let attempts = 0;
    try {
      const result = await backOff(async () => {
        attempts += 1;
        return this.withTimeout(slug, timeoutMs, (signal) => {
          const operation: StackOperation = { slug, config, signal, onEvent: (event) => tracker?.onEngineEvent(event), ...(decommission ? { decommission } : {}) };
          return this.options.workspace[op](operation);
        });
      }, {
        numOfAttempts: this.options.attempts ?? 4,
        startingDelay: this.options.retryDelayMs ?? 2000,
        maxDelay: this.options.maxRetryDelayMs ?? 60_000,
        timeMultiple: 2,
        jitter: "full",
        retry: (error: unknown, attempt: number) => {
          if (!isRetryable(error)) return false;
          const position = tracker?.position.step ?? "destroy";
          emit(tracker?.state ?? "DESTROYING", position, `attempt ${attempt} failed, retrying: ${reasonOf(error, this.scrubber)}`);
          return true;
        },
      });
      return { ok: true, result, attempts };
    } catch (error) {
      return { ok: false, error, attempts };
    }
  }

  /**
   * Cancels every operation in flight and every attempt not started yet (the service is stopping):
   * the workspace aborts its operation (the CLI gets SIGINT, finishes the steps under way, writes the
   * state and releases the lock) and each fails with OperationAbortedError once it has really ended.
   */
  abort(): void {
    this.stopping.abort();
  }

  private async withTimeout<T>(slug: string, timeoutMs: number, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (this.stopping.signal.aborted) throw new OperationAbortedError(slug);
    const controller = new AbortController();
    let fail: (error: unknown) => void = () => undefined;
    const ended = new Promise<never>((_, reject) => { fail = reject; });
    const timer = setTimeout(() => {
      controller.abort();
      fail(new OperationTimeoutError(slug, timeoutMs));
    }, timeoutMs);
    const onStop = () => {
      controller.abort();
      fail(new OperationAbortedError(slug));
    };
    this.stopping.signal.addEventListener("abort", onStop, { once: true });
    const running = run(controller.signal);
    try {
      return await Promise.race([running, ended]);
    } catch (error) {
      // The lock is held until a cancelled operation has really ended, so nothing overlaps it.
      if (controller.signal.aborted) await running.catch(() => undefined);
      throw error;
    } finally {
      clearTimeout(timer);
      this.stopping.signal.removeEventListener("abort", onStop);
    }
  }

  private failed(
    kind: OperationKind, operationId: string, slug: string, step: OrderStep, error: unknown, emit: Emit, attempts: number, resource?: string,
  ): OperationOutcome {
    // Scrubbed before it is folded and cut (reasonOf), then once more as every event is.
    const reason = reasonOf(error, this.scrubber);
    emit("FAILED", step, reason, resource);
    return { kind, slug, orderId: operationId, ok: false, state: "FAILED", failedStep: step, reason, outputs: {}, changes: {}, attempts };
  }

  private async active(slug: string): Promise<TenantRecord> {
    const record = await this.options.store.get(slug);
    if (!record || record.status !== "active") throw new UnknownTenantError(slug);
    return record;
  }

  private exclusive<T>(slug: string, task: () => Promise<T>, slots: Slots = this.slots): Promise<T> {
    // Per-tenant lock first, so a queued operation on a busy tenant holds no slot.
    return this.lock.run(slug, () => slots.run(task));
  }

  private emitter(orderId: string, slug: string, listener?: EventListener): Emit {
    return (state, step, message, resource) => {
      const event: OrderEvent = {
        orderId, slug, state, step, ...(resource ? { resource } : {}), message: this.scrub(message), at: new Date().toISOString(),
      };
      listener?.(event);
    };
  }

  /** The flow's scrubber, for every other text that leaves it (job records, the service's errors). */
  scrub(text: string): string {
    return this.scrubber.scrub(text);
  }
}

type Emit = (state: OrderState, step: OrderStep, message: string, resource?: string) => void;

function publicOutputs(result: OperationResult): Record<string, unknown> {
  return Object.fromEntries(Object.entries(result.outputs).filter(([, o]) => !o.secret).map(([k, o]) => [k, o.value]));
}

export function formatChanges(changes: Readonly<Record<string, number>>): string {
  const parts = Object.entries(changes).filter(([, n]) => n > 0).sort(([a], [b]) => a.localeCompare(b)).map(([op, n]) => `${op} ${n}`);
  return parts.length > 0 ? parts.join(", ") : "no changes";
}


