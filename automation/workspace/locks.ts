/**
 * A stack lock left by an operation that died (SIGKILL, a lost machine). On a DIY (file or bucket)
 * backend each update holds a lock file under `.pulumi/locks/<org>/<project>/<stack>/`; the CLI refuses
 * the next update with "the stack is currently locked by N lock(s). Either wait for the other process(es)
 * to end or delete the lock file with `pulumi cancel`", listing each lock's holder as `user@host (pid N)`.
 * A holder on this host whose process is gone cannot end: its lock is deleted with `pulumi cancel` (what
 * the CLI says to do) and the operation runs again. Pulumi Cloud names no holder; its locks are the
 * service's, ended by `pulumi cancel` after a person has looked, or by the update's lease expiring.
 */
import { hostname } from "node:os";
import { ConcurrentUpdateError } from "@pulumi/pulumi/automation";

export interface LockHolder {
  readonly user: string;
  readonly host: string;
  readonly pid: number;
}

const HOLDER = /created by (\S*)@([^\s@]+) \(pid (\d+)\)/g;

/** The holders a DIY backend's lock refusal names; none for other backends. */
export function lockHolders(error: unknown): LockHolder[] {
  const text = error instanceof Error ? error.message : String(error);
  return [...text.matchAll(HOLDER)].map((m) => ({ user: m[1], host: m[2], pid: Number(m[3]) }));
}

/** True only when the holder ran on this host and its process no longer exists. */
export function holderIsDead(holder: LockHolder, host: string = hostname()): boolean {
  if (holder.host !== host || !Number.isInteger(holder.pid) || holder.pid <= 0) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (error) {
    // EPERM: the process exists under another user; only ESRCH means it is gone.
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/** Every lock of the refusal is held by a dead process of this host (and there is at least one). */
export function onlyDeadLocks(error: unknown, host: string = hostname()): boolean {
  if (!(error instanceof ConcurrentUpdateError)) return false;
  const holders = lockHolders(error);
  return holders.length > 0 && holders.every((h) => holderIsDead(h, host));
}

/**
 * Runs `operation`; when the backend refuses it only because of dead holders' locks, clears them with
 * `cancel` (the stack's `pulumi cancel`) and runs it once more, so the operation converges from the state
 * the dead one left. `cleared` is told, for the record.
 */
export async function clearingDeadLocks<T>(
  cancel: () => Promise<void>, operation: () => Promise<T>, cleared?: (holders: readonly LockHolder[]) => void,
): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (!onlyDeadLocks(error)) throw error;
    cleared?.(lockHolders(error));
    await cancel();
    return operation();
  }
}
