/** One operation per tenant, at most K at once: the two limits the order flow keeps. */

/** A pool of slots an operation runs in: the flow's own K, or a caller's (a rollout brings its own). */
export interface Slots {
  run<T>(task: () => Promise<T>): Promise<T>;
}

/** Counting semaphore with FIFO waiters. */
export class Semaphore implements Slots {
  private active = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency must be a positive integer (got ${limit})`);
  }

  get inUse(): number {
    return this.active;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiters.push(resolve));
    else this.active += 1;
    try {
      return await task();
    } finally {
      const next = this.waiters.shift();
      // The slot passes straight to the next waiter, so `active` never overshoots.
      if (next) next();
      else this.active -= 1;
    }
  }
}

/** Serializes tasks per key; different keys run independently. */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  isBusy(key: string): boolean {
    return this.tails.has(key);
  }

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
