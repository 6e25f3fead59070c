// Promise glue over the native waiter tasks (@rxipc/native `tasks`).
import { tasks } from '@rxipc/native';

export type CancelReason = 'abort' | 'timeout' | 'close';

export interface TaskResult {
  errno: number;
  a: unknown;
  b: unknown;
  /** Set when the task was cancelled by us; the task may still have completed first. */
  reason: CancelReason | undefined;
}

export interface WaitOptions {
  signal?: AbortSignal | undefined;
  timeout?: number | undefined;
}

/**
 * A native task that waits on a waiter thread (never on the libuv pool). `cancel()` takes
 * effect within milliseconds; the promise always settles with the task's own final result,
 * so an operation the kernel completed just before the cancel is never lost.
 */
export class PendingTask {
  readonly id: number;
  readonly result: Promise<TaskResult>;
  #reason: CancelReason | undefined;
  #done = false;
  #cleanup: (() => void) | undefined;

  constructor(start: () => number, opts: WaitOptions = {}) {
    let resolve!: (r: TaskResult) => void;
    this.result = new Promise<TaskResult>((r) => (resolve = r));
    this.id = tasks.start(start, (final, errno, a, b) => {
      if (!final) return;
      this.#done = true;
      this.#cleanup?.();
      resolve({ errno, a, b, reason: this.#reason });
    });
    const { signal, timeout } = opts;
    const onAbort = () => this.cancel('abort');
    let timer: NodeJS.Timeout | undefined;
    if (signal) signal.addEventListener('abort', onAbort, { once: true });
    if (timeout !== undefined) timer = setTimeout(() => this.cancel('timeout'), timeout);
    if (signal?.aborted) this.cancel('abort'); // 'abort' never fires for a signal aborted already
    this.#cleanup = () => {
      signal?.removeEventListener('abort', onAbort);
      if (timer) clearTimeout(timer);
    };
  }

  get done(): boolean {
    return this.#done;
  }

  cancel(reason: CancelReason): void {
    if (this.#done || this.#reason) return;
    this.#reason = reason;
    tasks.cancel(this.id);
  }

  /** Whether the pending task keeps the event loop alive (default: yes). */
  ref(ref: boolean): void {
    if (!this.#done) tasks.setRef(this.id, ref);
  }
}
