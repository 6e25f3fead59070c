// The lifecycle every kernel-object class shares (message queues now; shared memory,
// semaphores next): open -> (removed) -> closed, the set of this object's pending waits,
// and one face for removal.
//
// Rules it keeps:
// - close() cancels every pending wait of this object; remove() hands each the kernel's
//   EIDRM instead. Both are idempotent and never throw for a wait that already ended.
// - close() resolves once everything this object took out of the kernel is delivered or
//   returned (each Pending's `settled`, then the object's own `drained`).
// - A kernel call that fails because the object is gone reads EIDRM, whatever the call
//   (after IPC_RMID the kernel says EIDRM to a waiting call but EINVAL to a new one).
import { closedError, errnos, systemError, type SystemError } from './errors.js';

/** Something of an object's that waits: close() cancels it; remove() hands it the EIDRM error. */
export interface Pending {
  cancel(removed?: SystemError): void;
  /** Settles when what it took from the kernel is delivered or returned (close() awaits it). */
  readonly settled?: Promise<void>;
}

export interface LifecycleHooks {
  /** Class name for errors ('MessageQueue'). */
  readonly what: string;
  /** Whether the kernel object still exists (a cheap stat). */
  exists(): boolean;
  /** The object was found removed (emit 'removed'). Called once. */
  onRemoved(): void;
  /** close() ran (emit 'close'). Called once. */
  onClosed(): void;
  /** Settles when the object holds nothing taken from the kernel. */
  drained(): Promise<void>;
}

export class Lifecycle {
  #closed = false;
  #removed = false;
  #closing: Promise<void> | undefined;
  readonly #pending = new Set<Pending>();
  readonly #hooks: LifecycleHooks;

  constructor(hooks: LifecycleHooks) {
    this.#hooks = hooks;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get removed(): boolean {
    return this.#removed;
  }

  /** Throws ERR_RXIPC_CLOSED after close(). */
  assertOpen(): void {
    if (this.#closed) throw closedError(this.#hooks.what);
  }

  /** Registers a wait; the returned function unregisters it (idempotent). */
  track(p: Pending): () => void {
    this.#pending.add(p);
    return () => this.#pending.delete(p);
  }

  /** Runs a synchronous native call, giving removal one face (EIDRM) whatever the call. */
  call<T>(fn: () => T, syscall: string): T {
    try {
      return fn();
    } catch (err) {
      throw this.normalize(err as SystemError, syscall);
    }
  }

  /** EINVAL / EIDRM from a call on an object that is gone becomes EIDRM (and marks it removed). */
  normalize(err: SystemError, syscall = err.syscall): SystemError {
    if (err.code !== 'EINVAL' && err.code !== 'EIDRM') return err;
    if (!this.#removed && this.#hooks.exists()) return err;
    this.markRemoved();
    return err.code === 'EIDRM' ? err : systemError(errnos.EIDRM, syscall);
  }

  markRemoved(): void {
    if (this.#removed) return;
    this.#removed = true;
    this.#hooks.onRemoved();
  }

  /**
   * Ends every wait: with `removed` (the EIDRM each would have seen) after removal, else
   * as closed. Returns the promise close() gives its caller.
   */
  shutdown(removed?: SystemError): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closed = true;
    const settling: Array<Promise<void>> = [];
    for (const p of [...this.#pending]) {
      p.cancel(removed);
      if (p.settled) settling.push(p.settled);
    }
    this.#hooks.onClosed();
    // Never rejects: close() is cleanup, and a failure to return a message is reported as
    // a warning where it happens.
    this.#closing = Promise.allSettled(settling)
      .then(() => this.#hooks.drained())
      .then(
        () => undefined,
        () => undefined,
      );
    return this.#closing;
  }
}
