import type { PosixSharedMemory, SharedMemory } from '@rxipc/core';
import {
  invalidArgType,
  invalidArgValue,
  outOfRange,
  SharedMapping,
  validateBoolean,
  validateInteger,
  validateOptions,
} from '@rxipc/core/internal';
import { asyncScheduler, Observable, type SchedulerAction, type SchedulerLike } from 'rxjs';

export interface ShmChangesOptions {
  /**
   * Polling: where the watched region starts (default 0). Notify: where the record starts (a
   * multiple of 4; see `SharedMemory#publish` for its layout).
   */
  offset?: number;
  /**
   * Polling: bytes to watch (default: to the end; clamped to the end). Notify: the most data
   * bytes to copy out of a record (default: all of it).
   */
  length?: number;
  /** Polling period in milliseconds (default 100). Not with `notify`. */
  interval?: number;
  /** The scheduler polling runs on (default asyncScheduler; TestScheduler in tests). Not with `notify`. */
  scheduler?: SchedulerLike;
  /**
   * Wait on the record's futex instead of polling: no CPU while nothing changes, wakes within
   * microseconds of a `publish()` in any process. Default false.
   */
  notify?: boolean;
}

/**
 * A change feed of shared memory. Cold: each subscription starts its own watch, and
 * unsubscribing stops exactly that (a pending timer, or a futex wait on a waiter thread).
 *
 * **Polling** (default): every `interval` ms on `scheduler`, compares the region
 * `[offset, offset + length)` with the last value and emits a copy (a Buffer of its own)
 * when it differs. The region's value at subscription is emitted first, synchronously; after
 * that nothing is emitted while nothing changes. Polling sees the raw bytes: a writer in the
 * middle of a write can be seen half-done — use records and `notify` for that.
 *
 * **Notify** (`notify: true`): watches the seqlock record at `offset` (written with
 * `publish()`, or by any program following its layout). Emits the record's data at
 * subscription if it was ever published, then after each completed write it observes. A
 * snapshot is never torn. Values are not queued: after a burst of writes the feed may skip
 * intermediate values, but it always ends on the last value written.
 *
 * Bad arguments throw at the call (ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE /
 * ERR_OUT_OF_RANGE); a detached or closed object is an error notification
 * (ERR_RXIPC_DETACHED / ERR_RXIPC_CLOSED).
 *
 * @example
 * shmChanges(shm, { notify: true, offset: 0 }).subscribe((data) => console.log(JSON.parse(data.toString())));
 * shmChanges(shm, { interval: 10, offset: 64, length: 64 }).subscribe((bytes) => console.log(bytes));
 */
export function shmChanges(shm: SharedMemory | PosixSharedMemory, options?: ShmChangesOptions): Observable<Buffer> {
  if (!((shm as unknown) instanceof SharedMapping)) throw invalidArgType('shm', 'an instance of SharedMemory or PosixSharedMemory', shm);
  const mem = shm as SharedMapping;
  const opts = validateOptions<ShmChangesOptions>(options);
  const notify = opts.notify === undefined ? false : validateBoolean(opts.notify, 'options.notify');
  const size = mem.size;
  if (notify) {
    if (opts.interval !== undefined) throw invalidArgValue('options.interval', 'is not used with notify (no polling)', opts.interval);
    if (opts.scheduler !== undefined) throw invalidArgValue('options.scheduler', 'is not used with notify (no polling)', opts.scheduler);
    if (size < SharedMapping.RECORD_HEADER) throw outOfRange('shm.size', `>= ${SharedMapping.RECORD_HEADER} for a record`, size);
    const offset = opts.offset === undefined ? 0 : validateInteger(opts.offset, 'options.offset', 0, size - SharedMapping.RECORD_HEADER);
    if (offset % 4 !== 0) throw invalidArgValue('options.offset', 'must be a multiple of 4 (the sequence word is a futex)', offset);
    const length = opts.length === undefined ? undefined : validateInteger(opts.length, 'options.length', 0, Number.MAX_SAFE_INTEGER);
    return notified(mem, offset, length);
  }
  const offset = opts.offset === undefined ? 0 : validateInteger(opts.offset, 'options.offset', 0, size);
  const length = Math.min(
    size - offset,
    opts.length === undefined ? size : validateInteger(opts.length, 'options.length', 0, Number.MAX_SAFE_INTEGER),
  );
  const interval = opts.interval === undefined ? 100 : validateInteger(opts.interval, 'options.interval', 1, 2 ** 31 - 1);
  const scheduler = opts.scheduler === undefined ? asyncScheduler : validateScheduler(opts.scheduler);
  return polled(mem, offset, length, interval, scheduler);
}

function polled(mem: SharedMapping, offset: number, length: number, interval: number, scheduler: SchedulerLike): Observable<Buffer> {
  return new Observable<Buffer>((subscriber) => {
    let last: Buffer | undefined;
    /** Emits if the region changed; false once the subscription has failed. */
    const check = (): boolean => {
      try {
        if (mem.readOnly) {
          const now = mem.read(offset, length);
          if (last?.equals(now)) return true;
          last = now;
        } else {
          // Compared in place: a copy is made only when something changed.
          const view = mem.buffer.subarray(offset, offset + length);
          if (last?.equals(view)) return true;
          if (last === undefined) last = Buffer.from(view);
          else last.set(view);
        }
      } catch (err) {
        subscriber.error(err);
        return false;
      }
      subscriber.next(Buffer.from(last));
      return true;
    };
    if (!check()) return undefined;
    const action = scheduler.schedule(function (this: SchedulerAction<undefined>) {
      if (check()) this.schedule(undefined, interval);
    }, interval);
    return () => action.unsubscribe();
  });
}

function notified(mem: SharedMapping, offset: number, length: number | undefined): Observable<Buffer> {
  return new Observable<Buffer>((subscriber) => {
    const ac = new AbortController();
    const watch = async (): Promise<void> => {
      let { seq, data } = mem.snapshot(offset, length);
      if (seq !== 0) subscriber.next(data);
      for (;;) {
        await mem.waitForChange(offset, seq, { signal: ac.signal });
        const snap = mem.snapshot(offset, length);
        if (snap.seq === seq) continue;
        ({ seq, data } = snap);
        subscriber.next(data);
      }
    };
    watch().catch((err: unknown) => {
      if (!ac.signal.aborted) subscriber.error(err);
    });
    return () => ac.abort();
  });
}

function validateScheduler(value: unknown): SchedulerLike {
  const ok =
    value !== null &&
    typeof value === 'object' &&
    typeof (value as SchedulerLike).schedule === 'function' &&
    typeof (value as SchedulerLike).now === 'function';
  if (!ok) throw invalidArgType('options.scheduler', 'an RxJS scheduler (with schedule and now)', value);
  return value as SchedulerLike;
}
