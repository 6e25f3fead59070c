// SemaphoreSet's option types, and the validation of its arguments (misuse is thrown before
// any syscall, in one voice: TypeError / RangeError with Node's ERR_* codes).
import type { SemidDs, SemInfo } from '@rxipc/native';

import { invalidArgType, outOfRange } from '../errors.js';
import { validateAbortSignal, validateBoolean, validateInteger, validateTimeout } from '../validate.js';
import { SEMVMX } from './sem-ops.js';

export interface SemaphoreSetOpenOptions {
  /**
   * How many semaphores (nsems, 1..SEMMSL). Needed with `create`; when opening an existing
   * set it may be left out (or be at most the set's size).
   */
  count?: number;
  /** IPC_CREAT: create the set if it does not exist (default false). */
  create?: boolean;
  /** IPC_EXCL: with `create`, fail with EEXIST if it exists (default false). */
  exclusive?: boolean;
  /**
   * Values for a set this call creates (one number for all, or one per semaphore; 0..32767;
   * default 0). Never applied to a set that exists: see {@link SemaphoreSet.open}.
   */
  initial?: number | readonly number[];
  /** Permission bits for a new set. Default 0o600: never world-writable unless asked. */
  mode?: number;
}

export interface SemWaitOptions {
  /** Fail with EAGAIN instead of waiting (IPC_NOWAIT). Wins over `timeout`. */
  nowait?: boolean;
  /** Give up after this many milliseconds with ETIMEDOUT (semtimedop). */
  timeout?: number;
  /** Abort the wait: rejects with an AbortError. */
  signal?: AbortSignal;
}

export interface AcquireOptions extends SemWaitOptions {
  /** How many units to take (1..32767, default 1). */
  count?: number;
  /** SEM_UNDO (default true): the kernel gives the units back if this process dies holding them. */
  undo?: boolean;
}

export interface TryAcquireOptions {
  count?: number;
  undo?: boolean;
}

export interface ReleaseOptions {
  /**
   * SEM_UNDO (default true, matching {@link AcquireOptions.undo}, so that acquire + release
   * leave no adjustment). A producer that posts units it never acquired should pass false:
   * otherwise the kernel takes them back when it exits.
   */
  undo?: boolean;
}

/** One operation of {@link SemaphoreSet.op}. */
export interface SemaphoreOp {
  index: number;
  /** > 0 adds, < 0 takes (waiting until the value is large enough), 0 waits for zero. */
  delta: number;
  /** IPC_NOWAIT on this op: the whole call fails with EAGAIN if this op would wait. */
  nowait?: boolean;
  /** SEM_UNDO on this op (default true). */
  undo?: boolean;
}

export interface OpOptions {
  timeout?: number;
  signal?: AbortSignal;
}

/** semid_ds, as semctl(IPC_STAT) reports it (times in seconds since the epoch, 0 = never). */
export type SemaphoreSetStat = SemidDs;
/** The kernel's semaphore limits (IPC_INFO) or usage (SEM_INFO). */
export type SemaphoreSetLimits = SemInfo;

export interface SemaphoreSetPermissions {
  mode?: number;
  uid?: number;
  gid?: number;
}

export type SemaphoreSetEvents = {
  /** close() was called. */
  close: () => void;
  /** The set was removed (by this object's remove(), or found removed by anyone). */
  removed: () => void;
};

export function validateCount(count: unknown, name = 'options.count'): number {
  return count === undefined ? 1 : validateInteger(count, name, 1, SEMVMX);
}

export function validateUndo(undo: unknown): boolean {
  return undo === undefined ? true : validateBoolean(undo, 'options.undo');
}

export function validateWait(opts: SemWaitOptions): { nowait: boolean; timeout: number | undefined; signal: AbortSignal | undefined } {
  return {
    nowait: opts.nowait === undefined ? false : validateBoolean(opts.nowait, 'options.nowait'),
    timeout: validateTimeout(opts.timeout, 'options.timeout'),
    signal: validateAbortSignal(opts.signal, 'options.signal'),
  };
}

export function validateValues(values: unknown, name: string, length: number): number[] {
  if (!Array.isArray(values)) throw invalidArgType(name, 'an instance of Array', values);
  if (values.length !== length) throw outOfRange(`${name}.length`, `${length} (the set's size)`, values.length);
  return values.map((v: unknown, k) => validateInteger(v, `${name}[${k}]`, 0, SEMVMX));
}

export function validateInitial(initial: unknown, count: number): number[] {
  if (typeof initial === 'number') return new Array<number>(count).fill(validateInteger(initial, 'options.initial', 0, SEMVMX));
  return validateValues(initial, 'options.initial', count);
}
