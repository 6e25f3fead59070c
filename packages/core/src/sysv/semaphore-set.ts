import { native, type IpcPerm } from '@rxipc/native';

import { TypedEventEmitter } from '../events.js';
import { errnos, invalidArgType, invalidArgValue, outOfRange, systemError, type SystemError } from '../errors.js';
import { Lifecycle } from '../lifecycle.js';
import { validateBoolean, validateFunction, validateInteger, validateMode, validateObject, validateOptions } from '../validate.js';
import {
  validateCount,
  validateInitial,
  validateUndo,
  validateValues,
  validateWait,
  type AcquireOptions,
  type OpOptions,
  type ReleaseOptions,
  type SemaphoreOp,
  type SemaphoreSetEvents,
  type SemaphoreSetLimits,
  type SemaphoreSetOpenOptions,
  type SemaphoreSetPermissions,
  type SemaphoreSetStat,
  type SemWaitOptions,
  type TryAcquireOptions,
} from './sem-options.js';
import { listSemaphoreSets, type SemaphoreInfo, type SemaphoreSetInfo } from './list.js';
import { openSet, runOps, SEMVMX, toSemOps, type ValidOp } from './sem-ops.js';

const { IPC_INFO, SEM_INFO, GETVAL, GETPID, GETNCNT, GETZCNT } = native.constants;

export type { SemaphoreInfo, SemaphoreSetInfo };
export type {
  AcquireOptions,
  OpOptions,
  ReleaseOptions,
  SemaphoreOp,
  SemaphoreSetEvents,
  SemaphoreSetLimits,
  SemaphoreSetOpenOptions,
  SemaphoreSetPermissions,
  SemaphoreSetStat,
  SemWaitOptions,
  TryAcquireOptions,
};

/**
 * A System V semaphore set. Operations try IPC_NOWAIT synchronously first and wait on a
 * waiter thread only when they must: waiting never blocks the event loop or the libuv thread
 * pool. A wait ends with the kernel's EIDRM when the set is removed (by anyone), ETIMEDOUT
 * after `timeout`, an AbortError on `signal`. Each call that waits holds one waiter thread
 * while it waits (threads are pooled and reused): for a stream of many waiting values use
 * @rxipc/rx `withSemaphore`, which keeps them in one line behind a single wait.
 *
 * **Cancel rule.** A cancelled call (abort, close(), remove()) always rejects, and a rejected
 * call holds nothing: if the kernel applied the operation at the moment the cancel arrived,
 * it is reversed before the rejection. (Only an {@link SemaphoreSet.op} whose reversal would
 * itself have to wait resolves instead: it happened, and cannot be hidden.)
 *
 * @example
 * const sem = SemaphoreSet.open(IPC_PRIVATE, { count: 1, create: true, initial: 1 });
 * await sem.withLock(0, async () => {
 *   // one process at a time
 * });
 * sem.remove();
 */
export class SemaphoreSet extends TypedEventEmitter<SemaphoreSetEvents> {
  /** The set id (semid). */
  readonly id: number;
  /** The key it was opened with (IPC_PRIVATE = 0), undefined for {@link SemaphoreSet.fromId}. */
  readonly key: number | undefined;
  /** How many semaphores the set has (nsems). */
  readonly size: number;

  readonly #life: Lifecycle;

  private constructor(id: number, key: number | undefined, size: number) {
    super();
    this.id = id;
    this.key = key;
    this.size = size;
    this.#life = new Lifecycle({
      what: 'SemaphoreSet',
      exists: () => setExists(id),
      onRemoved: () => this.emit('removed'),
      onClosed: () => this.emit('close'),
      drained: () => Promise.resolve(),
    });
  }

  /**
   * semget(key, count, flags): opens (or with `create`, makes) the set for `key`.
   *
   * Creation is race-free: of processes that open the same key with `create` at the same
   * moment, exactly one creates the set and writes `initial`; the others wait (briefly,
   * synchronously, at most 100 ms) until the creator has initialised it — they never see
   * its values before that — and fail with ERR_RXIPC_NOT_INITIALISED if it does not (a
   * creator killed between semget and its first semop). Opening an existing set never
   * re-initialises it. An open without `create` does not wait: it also opens sets made by
   * programs that never run a semop.
   *
   * @example
   * // every process runs the same line; one creates, the rest open
   * const sem = SemaphoreSet.open(ftok('/tmp/app', 1), { count: 2, create: true, initial: [1, 0] });
   */
  static open(key: number, options?: SemaphoreSetOpenOptions): SemaphoreSet {
    validateInteger(key, 'key', -(2 ** 31), 2 ** 32 - 1);
    const opts = validateOptions<SemaphoreSetOpenOptions>(options);
    const create = opts.create === undefined ? false : validateBoolean(opts.create, 'options.create');
    const exclusive = opts.exclusive === undefined ? false : validateBoolean(opts.exclusive, 'options.exclusive');
    const mode = opts.mode === undefined ? 0o600 : validateMode(opts.mode, 'options.mode');
    let count: number;
    if (opts.count === undefined) {
      if (create) throw invalidArgType('options.count', 'of type number (the set size, needed with create)', undefined);
      count = 0;
    } else {
      count = validateInteger(opts.count, 'options.count', create ? 1 : 0, 65535);
    }
    let initial: number[] | undefined;
    if (opts.initial !== undefined) {
      if (!create) throw invalidArgValue('options.initial', 'is only used with create: true', opts.initial);
      initial = validateInitial(opts.initial, count);
    }
    const id = openSet({ key, count, mode, create, exclusive, initial });
    return new SemaphoreSet(id, key, native.semctlStat(id).nsems);
  }

  /**
   * Attaches to a set by id (for example one a parent process made with IPC_PRIVATE).
   * Fails with EINVAL/EIDRM if no such set exists, EACCES without read permission.
   *
   * @example
   * const sem = SemaphoreSet.fromId(Number(process.env.SEM_ID));
   */
  static fromId(id: number): SemaphoreSet {
    validateInteger(id, 'id', 0, 2 ** 31 - 1);
    return new SemaphoreSet(id, undefined, native.semctlStat(id).nsems);
  }

  /**
   * The kernel's limits (semctl IPC_INFO): semmsl (semaphores per set), semmni (sets),
   * semmns (semaphores system-wide), semopm (ops per call), semvmx (largest value), ...
   *
   * @example
   * SemaphoreSet.limits().semvmx; // 32767
   */
  static limits(): SemaphoreSetLimits {
    return native.semctlInfo(IPC_INFO);
  }

  /**
   * Every semaphore set on the machine (semctl SEM_STAT_ANY over the kernel's index space),
   * with each semaphore's value, ncnt, zcnt and last pid where this process may read them.
   *
   * @example
   * for (const set of SemaphoreSet.list()) console.log(set.id, set.semaphores?.map((s) => s.value));
   */
  static list(): SemaphoreSetInfo[] {
    return listSemaphoreSets();
  }

  /**
   * System-wide usage (semctl SEM_INFO): semusz = sets in use, semaem = semaphores in use.
   *
   * @example
   * SemaphoreSet.usage().semusz; // sets in use system-wide
   */
  static usage(): SemaphoreSetLimits {
    return native.semctlInfo(SEM_INFO);
  }

  /** Whether close() was called. */
  get closed(): boolean {
    return this.#life.closed;
  }

  /**
   * Takes `count` units from semaphore `index`: at once if the value allows, otherwise after
   * waiting (on a waiter thread) until it does. With SEM_UNDO by default. `nowait` fails at
   * once with EAGAIN (the value unchanged).
   *
   * @example
   * await sem.acquire(0, { timeout: 1000, signal });
   */
  acquire(index: number, options?: AcquireOptions): Promise<void> {
    try {
      const opts = validateOptions<AcquireOptions>(options);
      const count = validateCount(opts.count);
      const undo = validateUndo(opts.undo);
      const op = { index: this.#index(index), delta: -count, nowait: false, undo };
      return runOps(this.id, this.#life, [op], validateWait(opts));
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  /**
   * Takes `count` units if it can without waiting: true if it did, false otherwise.
   *
   * @example
   * if (sem.tryAcquire(0)) try { work(); } finally { sem.release(0); }
   */
  tryAcquire(index: number, options?: TryAcquireOptions): boolean {
    const i = this.#index(index);
    const opts = validateOptions<TryAcquireOptions>(options);
    const count = validateCount(opts.count);
    const undo = validateUndo(opts.undo);
    return this.#now([{ index: i, delta: -count, nowait: true, undo }]);
  }

  /**
   * Adds `count` units to semaphore `index` (waking waiters). Fails with ERANGE (from the
   * kernel) past 32767. `undo` defaults to true: see {@link ReleaseOptions.undo}.
   *
   * @example
   * sem.release(1, 5, { undo: false }); // a producer posting 5 units
   */
  release(index: number, count?: number, options?: ReleaseOptions): void {
    const i = this.#index(index);
    const n = validateCount(count);
    const opts = validateOptions<ReleaseOptions>(options);
    const undo = validateUndo(opts.undo);
    this.#now([{ index: i, delta: n, nowait: true, undo }]);
  }

  /**
   * Applies several operations atomically (one semop): all of them or none. Waits (on a
   * waiter thread) while any of them cannot be applied, unless that one has `nowait`.
   *
   * @example
   * await sem.op([{ index: 0, delta: -1 }, { index: 1, delta: 1 }]); // move a unit from 0 to 1
   */
  op(ops: readonly SemaphoreOp[], options?: OpOptions): Promise<void> {
    try {
      const valid = this.#validateOps(ops);
      const opts = validateOptions<OpOptions>(options);
      return runOps(this.id, this.#life, valid, validateWait(opts));
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  /**
   * Resolves when semaphore `index` is 0 (at once if it is); `nowait` fails with EAGAIN
   * if it is not.
   *
   * @example
   * await sem.waitForZero(1, { timeout: 5000 });
   */
  waitForZero(index: number, options?: SemWaitOptions): Promise<void> {
    try {
      const opts = validateOptions<SemWaitOptions>(options);
      const op = { index: this.#index(index), delta: 0, nowait: false, undo: false };
      return runOps(this.id, this.#life, [op], validateWait(opts));
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  /**
   * Acquires, runs `fn`, and releases in `finally` (also when `fn` throws or rejects);
   * resolves with what `fn` returns.
   *
   * @example
   * const n = await sem.withLock(0, async () => counter.increment(), { timeout: 1000 });
   */
  async withLock<T>(index: number, fn: () => T | PromiseLike<T>, options?: AcquireOptions): Promise<Awaited<T>> {
    const i = this.#index(index);
    validateFunction(fn, 'fn');
    const opts = validateOptions<AcquireOptions>(options);
    const count = validateCount(opts.count);
    const undo = validateUndo(opts.undo);
    await this.acquire(i, { ...opts, count, undo });
    try {
      return await fn();
    } finally {
      this.release(i, count, { undo });
    }
  }

  /**
   * semctl(GETVAL): the value of semaphore `index`.
   *
   * @example
   * sem.get(0); // 1
   */
  get(index: number): number {
    const i = this.#index(index);
    return this.#ctl(() => native.semctlGet(this.id, i, GETVAL));
  }

  /**
   * semctl(SETVAL): sets semaphore `index` to `value` (0..32767); clears every process's
   * undo adjustment for it, and wakes waiters that can now proceed.
   *
   * @example
   * sem.set(0, 1);
   */
  set(index: number, value: number): void {
    const i = this.#index(index);
    const v = validateInteger(value, 'value', 0, SEMVMX);
    this.#ctl(() => native.semctlSetVal(this.id, i, v));
  }

  /**
   * semctl(GETALL): every value, by index.
   *
   * @example
   * sem.getAll(); // [1, 0]
   */
  getAll(): number[] {
    return this.#ctl(() => native.semctlGetAll(this.id));
  }

  /**
   * semctl(SETALL): one value (0..32767) per semaphore.
   *
   * @example
   * sem.setAll([1, 0]);
   */
  setAll(values: readonly number[]): void {
    const v = validateValues(values, 'values', this.size);
    this.#ctl(() => native.semctlSetAll(this.id, v));
  }

  /**
   * semctl(GETPID): the pid of the last process that operated on semaphore `index`.
   *
   * @example
   * sem.lastPid(0) === process.pid;
   */
  lastPid(index: number): number {
    const i = this.#index(index);
    return this.#ctl(() => native.semctlGet(this.id, i, GETPID));
  }

  /**
   * semctl(GETNCNT / GETZCNT): how many processes (threads) wait for semaphore `index` to
   * increase (`ncnt`) and to become zero (`zcnt`).
   *
   * @example
   * sem.waiting(0); // { ncnt: 2, zcnt: 0 }
   */
  waiting(index: number): { ncnt: number; zcnt: number } {
    const i = this.#index(index);
    return this.#ctl(() => ({
      ncnt: native.semctlGet(this.id, i, GETNCNT),
      zcnt: native.semctlGet(this.id, i, GETZCNT),
    }));
  }

  /**
   * semctl(IPC_STAT): { perm, otime (last semop), ctime (last change), nsems }.
   *
   * @example
   * sem.stat().otime; // seconds since the epoch, 0 = no semop yet
   */
  stat(): SemaphoreSetStat {
    return this.#ctl(() => native.semctlStat(this.id));
  }

  /**
   * semctl(IPC_SET) of the owner and mode. (Named so, not `set`, which sets a value.)
   *
   * @example
   * sem.setPermissions({ mode: 0o660, gid: 100 });
   */
  setPermissions(fields: SemaphoreSetPermissions): void {
    const f = validateOptions<SemaphoreSetPermissions>(fields, 'fields');
    const out: { uid?: number; gid?: number; mode?: number } = {};
    if (f.mode !== undefined) out.mode = validateMode(f.mode, 'fields.mode');
    if (f.uid !== undefined) out.uid = validateInteger(f.uid, 'fields.uid', 0, 2 ** 32 - 2);
    if (f.gid !== undefined) out.gid = validateInteger(f.gid, 'fields.gid', 0, 2 ** 32 - 2);
    this.#ctl(() => native.semctlSet(this.id, out));
  }

  /**
   * semctl(IPC_RMID): removes the set for everyone. Blocked operations (in any process) fail
   * with EIDRM; so do this object's own. Also closes this object.
   *
   * @example
   * sem.remove();
   */
  remove(): void {
    this.#ctl(() => native.semctlRemove(this.id));
    this.#life.markRemoved();
    void this.#life.shutdown(systemError(errnos.EIDRM, 'semop'));
  }

  /**
   * Cancels this object's waiting operations (they reject, holding nothing: see the cancel
   * rule above) and makes it unusable; the set itself stays (see {@link SemaphoreSet.remove}).
   * Units acquired earlier stay acquired. Idempotent; the promise (which never rejects)
   * settles when every cancelled wait has ended.
   *
   * @example
   * await sem.close();
   */
  close(): Promise<void> {
    return this.#life.shutdown(undefined);
  }

  [Symbol.dispose](): void {
    void this.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** IPC_NOWAIT semop: whether it was applied. */
  #now(ops: readonly ValidOp[]): boolean {
    this.#life.assertOpen();
    const semops = toSemOps(ops);
    return this.#life.call(() => native.semop(this.id, semops), 'semop');
  }

  #ctl<T>(fn: () => T): T {
    this.#life.assertOpen();
    return this.#life.call(fn, 'semctl');
  }

  #index(index: unknown, name = 'index'): number {
    return validateInteger(index, name, 0, this.size - 1);
  }

  #validateOps(ops: unknown): ValidOp[] {
    if (!Array.isArray(ops)) throw invalidArgType('ops', 'an instance of Array', ops);
    if (ops.length === 0) throw outOfRange('ops.length', '>= 1', 0);
    return ops.map((raw: unknown, k) => {
      const o = validateObject<SemaphoreOp>(raw, `ops[${k}]`);
      return {
        index: this.#index(o.index, `ops[${k}].index`),
        delta: validateInteger(o.delta, `ops[${k}].delta`, -SEMVMX, SEMVMX),
        nowait: o.nowait === undefined ? false : validateBoolean(o.nowait, `ops[${k}].nowait`),
        undo: o.undo === undefined ? true : validateBoolean(o.undo, `ops[${k}].undo`),
      };
    });
  }
}

/** Whether set `id` still exists. */
function setExists(id: number): boolean {
  try {
    native.semctlStat(id);
    return true;
  } catch (e) {
    return (e as SystemError).code !== 'EINVAL' && (e as SystemError).code !== 'EIDRM';
  }
}

export type { IpcPerm };

