import type { Dispatch } from './binding.js';
import { native } from './load.js';

/** Receives a waiter task's results: dispatch(id, final, errno, a, b) minus the id. */
export type TaskHandler = (final: boolean, errno: number, a?: unknown, b?: unknown) => void;

const handlers = new Map<number, TaskHandler>();

const dispatch: Dispatch = (id, final, errno, a, b) => {
  const handler = handlers.get(id);
  if (handler === undefined) return;
  if (final) handlers.delete(id);
  try {
    handler(final, errno, a, b);
  } catch (err) {
    // A throwing handler is the program's bug: report it the way a throwing event listener
    // is reported (an uncaught exception), and never let it look like a failed delivery to
    // the addon, which would then release the result as undeliverable.
    process.nextTick(() => {
      throw err;
    });
  }
};

native.setDispatcher(dispatch);

/**
 * Routes waiter-task results to their handlers. Each environment (main thread or worker)
 * has its own registry, like the addon's own state.
 *
 * @example
 * const id = tasks.start(() => native.openWait('/tmp/f', native.constants.O_WRONLY), (final, errno, fd) => {});
 * tasks.cancel(id); // the handler still gets the final result (errno ECANCELED, or an fd to close)
 */
export const tasks = {
  /** Registers `handler` for the task `start()` creates; returns the task id. */
  start(start: () => number, handler: TaskHandler): number {
    const id = start();
    handlers.set(id, handler);
    return id;
  },
  cancel(id: number): void {
    native.cancel(id);
  },
  /** Whether a pending task keeps the event loop alive (it does by default). */
  setRef(id: number, ref: boolean): void {
    native.setRef(id, ref);
  },
  /** Tasks still waiting for their final result. */
  get pending(): number {
    return handlers.size;
  },
};
