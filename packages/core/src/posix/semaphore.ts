import { native } from '@rxipc/native';

import { TypedEventEmitter } from '../events.js';
import { abortError, closedError, errnos, invalidArgValue, outOfRange, systemError } from '../errors.js';
import { Lifecycle } from '../lifecycle.js';
import { validateAbortSignal, validateBoolean, validateInteger, validateMode, validateOptions, validateString, validateTimeout } from '../validate.js';
import { PendingTask } from '../wait.js';

const { O_CREAT, O_EXCL, SEM_VALUE_MAX } = native.constants;

/** The longest name after its leading slash: NAME_MAX (255) less glibc's "sem." prefix. */
export const POSIX_SEM_NAME_MAX = 251;

export interface PosixSemaphoreOpenOptions {
  /** O_CREAT: create the semaphore if it does not exist (default false). */
  create?: boolean;
  /** O_EXCL: with `create`, fail with EEXIST if it exists (default false). */
  exclusive?: boolean;
  /** Permission bits for a new semaphore (default 0o600). */
  mode?: number;
  /** The value of a semaphore this call creates (default 0); ignored when it exists. */
  initial?: number;
}

export interface PosixWaitOptions {
  /** Give up after this many milliseconds with ETIMEDOUT (sem_clockwait, CLOCK_MONOTONIC). */
  timeout?: number;
  signal?: AbortSignal;
}

export type PosixSemaphoreEvents = {
  /** close() ran. */
  close: () => void;
};

/**
 * A POSIX named semaphore (sem_open): a counter in /dev/shm (as `sem.NAME`) that any process
 * can open by name. `wait()` waits on a waiter thread, never the event loop or the libuv pool.
 *
 * **Cancel rule** (as {@link SemaphoreSet}'s): a cancelled wait (abort, close()) always
 * rejects and holds nothing: a unit the kernel handed over as the cancel arrived is posted
 * back first.
 *
 * @example
 * const sem = PosixSemaphore.open('/my-app-lock', { create: true, initial: 1 });
 * await sem.wait({ timeout: 1000 });
 * try { work(); } finally { sem.post(); }
 * await sem.close();
 */
export class PosixSemaphore extends TypedEventEmitter<PosixSemaphoreEvents> {
  /** The name it was opened with ('/name'). */
  readonly name: string;

  readonly #handle: number;
  readonly #life: Lifecycle;
  #released = false;

  private constructor(name: string, handle: number) {
    super();
    this.name = name;
    this.#handle = handle;
    this.#life = new Lifecycle({
      what: 'PosixSemaphore',
      exists: () => true,
      onRemoved: () => {},
      onClosed: () => this.emit('close'),
      drained: () => Promise.resolve(),
    });
  }

  /**
   * sem_open(name, flags, mode, initial). `name` is one leading slash and 1..251 more
   * characters, none of them a slash (nor only '.' or '..').
   *
   * @example
   * const sem = PosixSemaphore.open('/jobs', { create: true, mode: 0o600, initial: 0 });
   */
  static open(name: string, options?: PosixSemaphoreOpenOptions): PosixSemaphore {
    validateSemName(name);
    const opts = validateOptions<PosixSemaphoreOpenOptions>(options);
    const create = opts.create === undefined ? false : validateBoolean(opts.create, 'options.create');
    const exclusive = opts.exclusive === undefined ? false : validateBoolean(opts.exclusive, 'options.exclusive');
    const mode = opts.mode === undefined ? 0o600 : validateMode(opts.mode, 'options.mode');
    const initial = opts.initial === undefined ? 0 : validateInteger(opts.initial, 'options.initial', 0, SEM_VALUE_MAX);
    if (exclusive && !create) throw invalidArgValue('options.exclusive', 'is only used with create: true', exclusive);
    const flags = (create ? O_CREAT : 0) | (exclusive ? O_EXCL : 0);
    return new PosixSemaphore(name, native.semOpen(name, flags, mode, initial));
  }

  /**
   * sem_unlink(name): removes the name; processes that have it open keep using it.
   *
   * @example
   * PosixSemaphore.unlink('/jobs');
   */
  static unlink(name: string): void {
    validateSemName(name);
    native.semUnlink(name);
  }

  /** Whether close() was called. */
  get closed(): boolean {
    return this.#life.closed;
  }

  /**
   * sem_post: adds one (EOVERFLOW at SEM_VALUE_MAX).
   *
   * @example
   * sem.post();
   */
  post(): void {
    this.#life.assertOpen();
    native.semPost(this.#handle);
  }

  /**
   * sem_trywait: takes one if the value is above 0; false otherwise.
   *
   * @example
   * if (sem.tryWait()) { ... }
   */
  tryWait(): boolean {
    this.#life.assertOpen();
    return native.semTrywait(this.#handle);
  }

  /**
   * sem_getvalue: the current value.
   *
   * @example
   * sem.value(); // 1
   */
  value(): number {
    this.#life.assertOpen();
    return native.semGetvalue(this.#handle);
  }

  /**
   * Takes one: at once if the value is above 0, otherwise after waiting on a waiter thread.
   *
   * @example
   * await sem.wait({ signal: AbortSignal.timeout(500) });
   */
  wait(options?: PosixWaitOptions): Promise<void> {
    try {
      const opts = validateOptions<PosixWaitOptions>(options);
      const timeout = validateTimeout(opts.timeout, 'options.timeout');
      const signal = validateAbortSignal(opts.signal, 'options.signal');
      this.#life.assertOpen();
      if (signal?.aborted) return Promise.reject(abortError(signal));
      if (native.semTrywait(this.#handle)) return Promise.resolve();
      return this.#wait(timeout, signal);
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  /**
   * Cancels this object's waits (they reject, holding nothing), then sem_close. The name
   * stays (see {@link PosixSemaphore.unlink}). Idempotent; never rejects.
   *
   * @example
   * await sem.close();
   */
  close(): Promise<void> {
    return this.#life.shutdown(undefined).then(() => {
      if (this.#released) return;
      this.#released = true;
      try {
        native.semClose(this.#handle);
      } catch {
        /* close() is cleanup: the handle is dead either way */
      }
    });
  }

  [Symbol.dispose](): void {
    void this.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #wait(timeout: number | undefined, signal: AbortSignal | undefined): Promise<void> {
    const task = new PendingTask(() => native.semWaitStart(this.#handle, timeout), { signal });
    let settle!: () => void;
    const settled = new Promise<void>((r) => (settle = r));
    const untrack = this.#life.track({ cancel: () => task.cancel('close'), settled });
    try {
      const { errno, reason } = await task.result;
      untrack();
      if (errno === 0) {
        if (reason === undefined) return;
        // Taken as the cancel arrived: give it back (close() keeps the handle open until now).
        try {
          native.semPost(this.#handle);
        } catch {
          /* EOVERFLOW: others posted it full meanwhile; nothing is held either way */
        }
      }
      if (reason === 'abort') throw abortError(signal);
      if (reason === 'close') throw closedError('PosixSemaphore');
      if (errno === errnos.ETIMEDOUT) throw systemError(errnos.ETIMEDOUT, 'sem_clockwait');
      throw systemError(errno, timeout === undefined ? 'sem_wait' : 'sem_clockwait');
    } finally {
      settle();
    }
  }
}

function validateSemName(name: unknown): string {
  const s = validateString(name, 'name');
  if (!s.startsWith('/') || s.indexOf('/', 1) !== -1) {
    throw invalidArgValue('name', 'must be one leading slash and a name without slashes', s);
  }
  if (s.length < 2 || s.length - 1 > POSIX_SEM_NAME_MAX) throw outOfRange('name.length', `2 to ${POSIX_SEM_NAME_MAX + 1} characters with its slash`, s.length);
  if (s.includes('\0')) throw invalidArgValue('name', 'must be a string without null bytes', s.replace(/\0/g, '\\x00'));
  if (s === '/.' || s === '/..') throw invalidArgValue('name', "must not be '.' or '..'", s);
  return s;
}
