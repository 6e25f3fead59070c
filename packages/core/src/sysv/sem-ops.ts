// The two protocols behind SemaphoreSet that are not plain calls:
//
// 1. Race-free creation with initial values. semget(IPC_CREAT | IPC_EXCL) decides one
//    creator. The creator SETALLs the initial values, then applies one semop that leaves
//    every value as it was ([-1, +1] or [+1, -1] on semaphore 0, atomically): its only
//    effect is that sem_otime becomes non-zero. A process that lost the race (EEXIST) opens
//    the set without IPC_CREAT and waits until sem_otime != 0 — a short synchronous wait,
//    bounded by INIT_WAIT_MS, then ERR_RXIPC_NOT_INITIALISED. Opening an existing set never
//    writes its values.
//
// 2. A waiting semop and the cancel rule. An op that cannot be applied at once waits on a
//    waiter thread (never the libuv pool). A cancel (abort, close(), remove()) always ends the
//    call with a rejection; when the kernel applied the op at the moment the cancel arrived,
//    the op is reversed (the inverse ops, IPC_NOWAIT, same SEM_UNDO flags) before the
//    rejection, so "rejected" always means "nothing held". The one exception: an op() whose
//    reversal would itself have to wait (another process already took units it added, or
//    the inverse passes 32767) cannot be hidden; that call resolves: it happened.
import { constants as osConstants } from 'node:os';

import { native, type SemOp } from '@rxipc/native';

import { abortError, closedError, errnos, notInitialisedError, systemError, type SystemError } from '../errors.js';
import type { Lifecycle } from '../lifecycle.js';
import { PendingTask } from '../wait.js';

const { IPC_CREAT, IPC_EXCL, IPC_NOWAIT, SEM_UNDO } = native.constants;
const { EAGAIN, EEXIST, ENOENT } = osConstants.errno;

/** How long an opener waits for another process to initialise the set it created. */
export const INIT_WAIT_MS = 100;

/** The largest value of a System V semaphore (SEMVMX). */
export const SEMVMX = 32767;

export interface CreateRequest {
  key: number;
  count: number;
  mode: number;
  create: boolean;
  exclusive: boolean;
  /** One value per semaphore (create only). */
  initial: readonly number[] | undefined;
}

/** semget with the creation protocol above; returns the set id. */
export function openSet(req: CreateRequest): number {
  const { key, count, mode } = req;
  if (!req.create) return native.semget(key, count, mode);
  // A removal between our EEXIST and our open (ENOENT) sends us round again; bounded.
  for (let attempt = 0; ; attempt++) {
    let id: number;
    try {
      id = native.semget(key, count, IPC_CREAT | IPC_EXCL | mode);
    } catch (err) {
      if ((err as SystemError).errno !== EEXIST || req.exclusive) throw err;
      try {
        id = native.semget(key, count, mode);
      } catch (e) {
        if ((e as SystemError).errno === ENOENT && attempt < 3) continue;
        throw e;
      }
      awaitInitialised(id);
      return id;
    }
    try {
      initialise(id, req.initial ?? new Array<number>(count).fill(0));
    } catch (err) {
      // Never leave a set behind that every other opener would wait on in vain.
      try {
        native.semctlRemove(id);
      } catch {
        /* gone already */
      }
      throw err;
    }
    return id;
  }
}

/** The creator's part: values first, then the semop that marks the set initialised. */
function initialise(id: number, values: readonly number[]): void {
  native.semctlSetAll(id, values);
  const first = values[0]!;
  const ops: SemOp[] =
    first > 0
      ? [
          { num: 0, op: -1, flags: 0 },
          { num: 0, op: 1, flags: 0 },
        ]
      : [
          { num: 0, op: 1, flags: 0 },
          { num: 0, op: -1, flags: 0 },
        ];
  native.semop(id, ops);
}

/** The loser's part: a short, bounded synchronous wait for sem_otime != 0. */
function awaitInitialised(id: number): void {
  if (native.semctlStat(id).otime !== 0) return;
  const nap = new Int32Array(new SharedArrayBuffer(4));
  const start = performance.now();
  while (performance.now() - start < INIT_WAIT_MS) {
    Atomics.wait(nap, 0, 0, 1);
    if (native.semctlStat(id).otime !== 0) return;
  }
  throw notInitialisedError('SemaphoreSet', id, INIT_WAIT_MS);
}

/** A validated op of SemaphoreSet#op (index checked against the set's size). */
export interface ValidOp {
  index: number;
  delta: number;
  nowait: boolean;
  undo: boolean;
}

export function toSemOps(ops: readonly ValidOp[]): SemOp[] {
  return ops.map((o) => ({
    num: o.index,
    op: o.delta,
    flags: (o.nowait ? IPC_NOWAIT : 0) | (o.undo && o.delta !== 0 ? SEM_UNDO : 0),
  }));
}

export interface RunOptions {
  nowait: boolean;
  timeout: number | undefined;
  signal: AbortSignal | undefined;
}

/**
 * Applies `ops` atomically: at once if possible (IPC_NOWAIT, synchronously), else EAGAIN with
 * `nowait`, else on a waiter thread until applied, timed out, cancelled or removed.
 */
export function runOps(id: number, life: Lifecycle, ops: readonly ValidOp[], opts: RunOptions): Promise<void> {
  try {
    life.assertOpen();
    if (opts.signal?.aborted) return Promise.reject(abortError(opts.signal));
    const semops = toSemOps(ops);
    if (life.call(() => native.semop(id, semops), 'semop')) return Promise.resolve();
    // Would wait, and the call must not (or every op says IPC_NOWAIT): what the kernel says.
    // (An op() where only some ops carry `nowait` goes to the waiter: the kernel decides
    // whether the op that would block is one of those.)
    if (opts.nowait || semops.every((o) => o.flags & IPC_NOWAIT)) return Promise.reject(systemError(EAGAIN, 'semop'));
    return waitOps(id, life, semops, opts.timeout, opts.signal);
  } catch (err) {
    return Promise.reject(err as Error);
  }
}

async function waitOps(
  id: number,
  life: Lifecycle,
  ops: SemOp[],
  timeout: number | undefined,
  signal: AbortSignal | undefined,
): Promise<void> {
  const syscall = timeout === undefined ? 'semop' : 'semtimedop';
  // The kernel's own timeout (semtimedop): ETIMEDOUT means the op was not applied.
  const task = new PendingTask(() => native.semopStart(id, ops, timeout), { signal });
  let removed: SystemError | undefined;
  let settle!: () => void;
  const settled = new Promise<void>((r) => (settle = r));
  const untrack = life.track({
    cancel: (err) => {
      removed = err;
      task.cancel('close');
    },
    settled,
  });
  try {
    const { errno, reason } = await task.result;
    untrack();
    if (errno === 0) {
      if (reason === undefined || !giveBack(id, ops)) return;
    }
    if (reason === 'abort') throw abortError(signal);
    if (reason === 'close') throw removed ?? (life.removed ? systemError(errnos.EIDRM, syscall) : closedError('SemaphoreSet'));
    if (errno === errnos.ETIMEDOUT) throw systemError(errnos.ETIMEDOUT, syscall);
    throw life.normalize(systemError(errno, syscall));
  } finally {
    settle();
  }
}

/**
 * Reverses ops the kernel applied as their cancel arrived. True when nothing is held any
 * more (reversed, or the set is gone); false when the reversal would have to wait.
 */
function giveBack(id: number, ops: readonly SemOp[]): boolean {
  // Last op first: the exact undo of a sequence (ops on one semaphore may repeat).
  const inverse = ops
    .filter((o) => o.op !== 0)
    .reverse()
    .map((o) => ({ num: o.num, op: -o.op, flags: o.flags & SEM_UNDO }));
  if (inverse.length === 0) return true;
  try {
    return native.semop(id, inverse);
  } catch (err) {
    const code = (err as SystemError).code;
    return code === 'EIDRM' || code === 'EINVAL';
  }
}
