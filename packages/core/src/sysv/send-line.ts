// The send line of one queue object: sends leave in call order. A send tries IPC_NOWAIT
// synchronously when nothing is ahead of it; otherwise it joins the line, and the front of
// the line waits for room on a waiter thread. Abort and timeout take a send out of the
// line (the timeout counts from the call, not from reaching the front).
import { native } from '@rxipc/native';

import { abortError, closedError, errnos, systemError, type SystemError } from '../errors.js';
import type { Lifecycle } from '../lifecycle.js';
import { PendingTask } from '../wait.js';
import { packRecords, recordOffset } from './records.js';

const EMPTY = new Uint8Array(0);

interface QueuedSend {
  type: number;
  data: Uint8Array;
  /** A batch (sendAll): packed records and how many; type/data are unused then. */
  records?: { buf: Buffer; count: number };
  signal: AbortSignal | undefined;
  timeout: number | undefined;
  resolve: () => void;
  reject: (err: Error) => void;
  onAbort?: () => void;
  /** While queued behind others: when the timeout expires (performance.now()), and its timer. */
  deadline?: number;
  timer?: NodeJS.Timeout;
}

export class SendLine {
  readonly #qid: number;
  readonly #life: Lifecycle;
  readonly #line: QueuedSend[] = [];
  #pumping = false;

  constructor(qid: number, life: Lifecycle) {
    this.#qid = qid;
    this.#life = life;
  }

  /** Whether sends are waiting (a new one must queue behind them to keep order). */
  get busy(): boolean {
    return this.#line.length > 0;
  }

  /** IPC_NOWAIT send: false when the queue is full. */
  now(type: number, bytes: Uint8Array): boolean {
    // Lifecycle.call's rule, written out: on every trySend's path, and a closure passed to
    // the one call() that every kind of object shares is not inlined.
    try {
      return native.msgsnd(this.#qid, type, bytes);
    } catch (err) {
      throw this.#life.normalize(err as SystemError, 'msgsnd');
    }
  }

  /** IPC_NOWAIT sends of several messages, in order, until one does not fit; returns how many went. */
  batch(messages: ReadonlyArray<{ type: number; data: Uint8Array }>): number {
    if (this.busy) return 0;
    return this.#life.call(() => native.msgsndRecords(this.#qid, packRecords(messages), messages.length), 'msgsnd');
  }

  /** A validated send: at once if there is room and nothing ahead, else in line. */
  send(type: number, bytes: Uint8Array, signal: AbortSignal | undefined, timeout: number | undefined): Promise<void> {
    if (!this.busy && this.now(type, bytes)) return Promise.resolve();
    let resolve!: () => void;
    let reject!: (err: Error) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Copied: the caller may reuse its buffer as soon as send() returns.
    const job: QueuedSend = { type, data: Buffer.from(bytes), signal, timeout, resolve, reject };
    this.#line.push(job);
    if (this.#line.length > 1) {
      // Still queued behind others: an abort or the timeout simply takes it out of the line.
      const leave = (err: Error) => {
        const i = this.#line.indexOf(job);
        if (i > 0) {
          this.#line.splice(i, 1);
          leaveLine(job);
          reject(err);
        }
      };
      if (signal) {
        job.onAbort = () => leave(abortError(signal));
        signal.addEventListener('abort', job.onAbort, { once: true });
      }
      if (timeout !== undefined) {
        job.deadline = performance.now() + timeout;
        job.timer = setTimeout(() => leave(systemError(errnos.ETIMEDOUT, 'msgsnd')), timeout);
      }
    }
    void this.#pump();
    return promise;
  }

  /**
   * Sends every message in order, after whatever is in line (for a caller whose own
   * batch() did not fit them all): at the front of the line, what fits at once, then the rest
   * on ONE waiter thread that waits for room before each message (a blocked C sender's way;
   * not a thread hop per message). Resolves when all are in the queue; on a failure or
   * close() the ones before it are in the queue, the rest are not.
   */
  sendAll(messages: ReadonlyArray<{ type: number; data: Uint8Array }>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      // Copied (packRecords): the caller may reuse its buffers at once.
      this.#line.push({ type: 0, data: EMPTY, records: { buf: packRecords(messages), count: messages.length }, signal: undefined, timeout: undefined, resolve, reject });
      void this.#pump();
    });
  }

  /** close()/remove(): every send behind the front one fails (the front one is a Pending). */
  shutdown(): void {
    for (const job of this.#line.splice(1)) {
      leaveLine(job);
      job.reject(this.#life.removed ? systemError(errnos.EIDRM, 'msgsnd') : closedError('MessageQueue'));
    }
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#line.length > 0) {
        const job = this.#line[0]!;
        leaveLine(job);
        try {
          if (job.signal?.aborted) throw abortError(job.signal);
          if (this.#life.removed) throw systemError(errnos.EIDRM, 'msgsnd');
          if (this.#life.closed) throw closedError('MessageQueue');
          if (job.records) await this.#sendRecords(job.records);
          else if (!this.now(job.type, job.data)) await this.#wait(job);
          job.resolve();
        } catch (err) {
          job.reject(err as Error);
        }
        this.#line.shift();
      }
    } finally {
      this.#pumping = false;
    }
  }

  /** A batch at the front of the line: at once what fits, the rest on a waiter thread. */
  async #sendRecords(records: { buf: Buffer; count: number }): Promise<void> {
    const now = this.#life.call(() => native.msgsndRecords(this.#qid, records.buf, records.count), 'msgsnd');
    if (now === records.count) return;
    const rest = records.buf.subarray(recordOffset(records.buf, now));
    const task = new PendingTask(() => native.msgsndRecordsStart(this.#qid, rest, records.count - now));
    const untrack = this.#life.track({ cancel: () => task.cancel('close') });
    const { errno, reason } = await task.result;
    untrack();
    if (errno === 0) return;
    if (reason === 'close' || errno === errnos.ECANCELED) throw this.#life.removed ? systemError(errnos.EIDRM, 'msgsnd') : closedError('MessageQueue');
    throw this.#life.normalize(systemError(errno, 'msgsnd'));
  }

  async #wait(job: QueuedSend): Promise<void> {
    const task = new PendingTask(() => native.msgsndStart(this.#qid, job.type, job.data), {
      signal: job.signal,
      timeout: job.deadline === undefined ? job.timeout : Math.max(0, job.deadline - performance.now()),
    });
    const untrack = this.#life.track({ cancel: () => task.cancel('close') });
    const { errno, reason } = await task.result;
    untrack();
    if (errno === 0) return; // sent, even if a cancel raced with it
    if (reason === 'abort') throw abortError(job.signal);
    if (reason === 'timeout') throw systemError(errnos.ETIMEDOUT, 'msgsnd');
    if (reason === 'close') throw this.#life.removed ? systemError(errnos.EIDRM, 'msgsnd') : closedError('MessageQueue');
    throw this.#life.normalize(systemError(errno, 'msgsnd'));
  }
}

/** A queued send leaves the line (sent, failed, aborted, timed out): its listeners go. */
function leaveLine(job: QueuedSend): void {
  if (job.onAbort) job.signal?.removeEventListener('abort', job.onAbort);
  if (job.timer) clearTimeout(job.timer);
}
